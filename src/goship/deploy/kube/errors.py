"""The errors of talking to a Kubernetes cluster, all with exit code 14 (DEPLOY).

The API server explains itself in a Status body (``message``); that message is what a user
needs (which field is invalid, which RBAC verb is missing, which manager owns a field), so it
is shown as the API wrote it, after what goship was doing.
"""

from __future__ import annotations

from goship.errors import ExitCode, GoshipError


class DeployError(GoshipError):
    """Base of every deploy, rollback and status failure."""

    exit_code = ExitCode.DEPLOY


class KubeconfigError(DeployError):
    """No kubeconfig, an unreadable one, or no such context in it."""


class ClusterUnreachableError(DeployError):
    """The API server could not be reached (connection refused, DNS, TLS, timeout)."""


class ClusterAuthError(DeployError):
    """The API server refused the credentials (401)."""


class ForbiddenError(DeployError):
    """RBAC refused a verb on a resource (403)."""


class FieldConflictError(DeployError):
    """A server-side apply would change fields another field manager owns (409)."""


class RejectedError(DeployError):
    """The API refused an object or a request: invalid (422), bad request (400), a missing
    namespace (404), or a server error."""
