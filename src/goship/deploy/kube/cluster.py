"""``Cluster``: the ClusterAPI over lightkube, for one namespace of one kubeconfig context.

Writes are server-side applies with field manager ``goship`` (the object as a plain dict,
sent as it is, so exactly the fields goship means are the fields it owns). Reads come back as
plain dicts in the API's JSON form. Every failure becomes a DeployError that says what goship
was doing and carries the API server's own Status message.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from goship.deploy.kube.errors import (
    ClusterAuthError,
    ClusterUnreachableError,
    DeployError,
    FieldConflictError,
    ForbiddenError,
    KubeconfigError,
    RejectedError,
)
from goship.deploy.kube.interface import FIELD_MANAGER, KubeObject, ProxyAnswer
from goship.deploy.kube.resources import kind_class, resource_class

if TYPE_CHECKING:
    from goship.deploy.kube.kubeconfig import KubeContext

PROXY_BODY_LIMIT = 4096  # characters of an answer kept for messages
_KUBECONFIG_HINT = ("fix the kubeconfig's user or cluster entry (`kubectl --context CONTEXT get pods` "
                    "shows the same)")


class Cluster:
    def __init__(self, context: KubeContext, namespace: str, *, timeout: float = 30.0) -> None:
        import ssl

        import httpx2
        from lightkube import Client
        from lightkube.core.exceptions import ConfigError

        self.namespace = namespace
        self.context = context.name
        self.server = context.server
        self._context = context
        self._timeout = timeout
        try:
            self._client = Client(config=context.config, namespace=namespace, field_manager=FIELD_MANAGER,
                                  timeout=httpx2.Timeout(timeout))
        except (ConfigError, OSError, ssl.SSLError) as exc:
            raise KubeconfigError(f"{context.describe()} of the kubeconfig {context.files[0]} cannot be "
                                  f"used: {_config_reason(exc, context)}", _KUBECONFIG_HINT) from exc
        self._proxy: Any = None

    def close(self) -> None:
        self._client.close()
        if self._proxy is not None:
            self._proxy.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    # ClusterAPI ----------------------------------------------------------------------------------

    def get(self, kind: str, name: str) -> KubeObject | None:
        action = f"reading {kind} {self.namespace}/{name}"
        try:
            found = self._client.get(kind_class(kind), name, namespace=self.namespace)
        except Exception as exc:
            if _status_code(exc) == 404:
                return None
            self._fail(exc, action)
        return _as_dict(found)

    def list(self, kind: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        action = f"listing {kind} objects in namespace {self.namespace}"
        try:
            return [_as_dict(item) for item in self._client.list(kind_class(kind), namespace=self.namespace,
                                                                 labels=dict(labels) if labels else None)]
        except Exception as exc:
            self._fail(exc, action)

    def apply(self, obj: Mapping[str, Any], *, force: bool = False) -> KubeObject:
        from lightkube.types import PatchType

        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        name = str((obj.get("metadata") or {}).get("name", ""))
        action = f"applying {kind} {self.namespace}/{name}"
        resource = resource_class(api_version, kind)
        if resource is None:
            raise RejectedError(f"{action}: goship does not know the kind {api_version} {kind}",
                                "render only the kinds goship deploys")
        body = dict(obj)
        body["metadata"] = {**(obj.get("metadata") or {}), "namespace": self.namespace}
        try:
            applied = self._client.patch(resource, name, body, namespace=self.namespace,
                                         patch_type=PatchType.APPLY, field_manager=FIELD_MANAGER, force=force)
        except Exception as exc:
            self._fail(exc, action)
        return _as_dict(applied)

    def proxy_get(self, service: str, port: int | str, path: str) -> ProxyAnswer:
        import httpx2
        from lightkube.config.client_adapter import Client as adapter_client
        from lightkube.config.client_adapter import ConnectionParams

        url = (f"/api/v1/namespaces/{urllib.parse.quote(self.namespace)}/services/"
               f"{urllib.parse.quote(service)}:{port}/proxy/{path.lstrip('/')}")
        action = f"GET {path} on Service {self.namespace}/{service} through the API server's proxy"
        try:
            if self._proxy is None:
                self._proxy = adapter_client(self._context.config,
                                             ConnectionParams(timeout=httpx2.Timeout(self._timeout)))
            response = self._proxy.get(url)
        except Exception as exc:
            self._fail(exc, action)
        text = response.text[:PROXY_BODY_LIMIT]
        if response.status_code in (401, 403) and _is_status(response):
            # The API server itself refused (RBAC on services/proxy), not the app.
            self._fail_status(response.status_code, _status_message(response), action)
        if response.status_code in (502, 503) and _is_status(response):
            return ProxyAnswer(response.status_code, _status_message(response))
        return ProxyAnswer(response.status_code, text)

    # Errors ---------------------------------------------------------------------------------------

    def _fail(self, exc: Exception, action: str) -> NoReturn:
        import httpx2
        import msgspec
        from lightkube.core.exceptions import ApiError, ConfigError

        if isinstance(exc, ApiError):
            status = exc.status
            self._fail_status(int(status.code or exc.response.status_code), str(status.message or ""),
                              action, str(status.reason or ""))
        if isinstance(exc, httpx2.HTTPStatusError):
            body = exc.response.text.strip()[:300]
            self._fail_status(exc.response.status_code, body or exc.response.reason_phrase, action)
        if isinstance(exc, httpx2.TransportError):
            raise ClusterUnreachableError(
                f"{action}: cannot reach the Kubernetes API at {self.server} (context {self.context}): "
                f"{_transport_reason(exc)}",
                "check that the cluster is up and that the kubeconfig context is the right one "
                "(kubectl --context CONTEXT cluster-info); behind a proxy set HTTPS_PROXY") from exc
        if isinstance(exc, ConfigError):  # an exec credential plugin failed, for one
            raise KubeconfigError(f"{action}: the credentials of context {self.context} cannot be had: {exc}",
                                  _KUBECONFIG_HINT) from exc
        if isinstance(exc, msgspec.MsgspecError):
            raise DeployError(f"{action}: the Kubernetes API at {self.server} answered something that is not "
                              f"the object asked for: {exc}",
                              "check that the server is a Kubernetes API server") from exc
        raise exc

    def _fail_status(self, code: int, message: str, action: str, reason: str = "") -> NoReturn:
        text = f"{action}: {message}" if message else f"{action}: the API answered {code} {reason}".rstrip()
        if code == 401:
            raise ClusterAuthError(f"{action}: the Kubernetes API at {self.server} refused the "
                                   f"credentials of context {self.context} ({message or 'Unauthorized'})",
                                   "log in to the cluster again or refresh the kubeconfig's token")
        if code == 403:
            raise ForbiddenError(text, f"ask the cluster's administrators for that right (an RBAC Role bound "
                                       f"to this user in namespace {self.namespace}); see docs/deploy.md for "
                                       "the rights goship needs")
        if code == 409 and reason == "Conflict" and message.startswith("Apply failed"):
            raise FieldConflictError(text, "another tool (a field manager) set these fields; run again "
                                           "with --force-conflicts to let goship take them over, or stop "
                                           "the other tool from managing them")
        if code == 404 and "namespaces" in message and "not found" in message:
            raise RejectedError(text, f"create the namespace first (kubectl create namespace "
                                      f"{self.namespace}), or set `namespace` in goship.toml")
        if code in (400, 404, 409, 415, 422):
            raise RejectedError(text, "the API refused the object as rendered: fix the setting in "
                                      "goship.toml it comes from (the message names the field)")
        raise RejectedError(f"{action}: the Kubernetes API answered {code}: {message or reason}".rstrip(": "),
                            "try again; if it persists, check the API server's health")


def _as_dict(obj: Any) -> KubeObject:
    converted = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return dict(converted)


def _status_code(exc: Exception) -> int | None:
    from lightkube.core.exceptions import ApiError

    if isinstance(exc, ApiError):
        return int(exc.status.code or exc.response.status_code)
    return None


def _is_status(response: Any) -> bool:
    if not str(response.headers.get("content-type", "")).startswith("application/json"):
        return False
    try:
        return bool(response.json().get("kind") == "Status")
    except ValueError:
        return False


def _status_message(response: Any) -> str:
    return str(response.json().get("message") or "")


def _config_reason(exc: Exception, context: KubeContext) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, OSError):  # ssl names no file: find the one the kubeconfig names that is missing
        config = context.config
        named = [config.cluster.certificate_auth, *(
            (config.user.client_cert, config.user.client_key, config.user.token_file) if config.user else ())]
        missing = [str(config.abs_file(path)) for path in named
                   if path and not Path(config.abs_file(path)).exists()]
        if missing:
            return f"{missing[0]}: {exc.strerror or 'cannot be read'}"
    return str(exc) or type(exc).__name__


def _transport_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS failed ({text}); the kubeconfig's certificate-authority does not match the server"
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in type(exc).__name__.lower():
        return "timed out"
    return text
