"""A Helm chart (apiVersion v2) of the app: Chart.yaml with the app version as the chart
version, values.yaml from ``[deploy]``, values-ENV.yaml per environment, and templates for the
ConfigMap, Service, Deployment, HorizontalPodAutoscaler and PodDisruptionBudget.

The templates render the rolling shape of ``goship manifests``, with the same locked-down pod;
the pod security settings are written into the template, not into values, so that a values
file cannot weaken them. Object names come from ``name`` in the values; the namespace is the
release's (``helm install -n``). The ConfigMap's name carries a hash of its data, so a config
change rolls the pods here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import semver

from goship.deploy.output.documents import dump_object
from goship.deploy.output.files import FileContent
from goship.deploy.render.deployment import NONROOT
from goship.deploy.render.labels import label_value, parse_image
from goship.deploy.render.secrets import secret_name
from goship.deploy.settings import DeploySettings


def chart_version(version: str, digest: str) -> str:
    """The chart version: the app version when it is SemVer (a leading "v" dropped), else
    0.0.0 with the image digest as build metadata."""
    candidate = version.removeprefix("v")
    if candidate and semver.Version.is_valid(candidate):
        return candidate
    return f"0.0.0+{digest.removeprefix('sha256:')[:12] or 'unversioned'}"


def chart_values(settings: DeploySettings, image: str, version: str) -> dict[str, Any]:
    reference = parse_image(image)
    probes = settings.probes
    resources: dict[str, Any] = {}
    given = settings.resources
    for section, pairs in (("requests", (("cpu", given.cpu_request), ("memory", given.memory_request))),
                           ("limits", (("cpu", given.cpu_limit), ("memory", given.memory_limit)))):
        chosen = {key: value for key, value in pairs if value}
        if chosen:
            resources[section] = chosen
    secrets = [{"variable": item.variable, "secret": item.secret or secret_name(settings),
                "key": item.key or item.variable}
               for item in sorted(settings.secrets, key=lambda item: item.variable)]
    scale = settings.autoscale
    return {
        "name": settings.name,
        "environment": settings.environment,
        "version": label_value(version),
        "labels": dict(settings.labels),
        "image": {"repository": reference.name, "tag": reference.tag, "digest": str(reference.digest)},
        "replicas": settings.replicas,
        "port": settings.port,
        "service": {"port": settings.service_port},
        "progressDeadlineSeconds": max(1, int(settings.timeout + 0.999)),
        "resources": resources,
        "probes": {
            "path": probes.path,
            "readinessPath": probes.readiness_path or probes.path,
            "initialDelaySeconds": max(0, int(probes.initial_delay + 0.999)),
            "periodSeconds": max(1, int(probes.period + 0.999)),
            "timeoutSeconds": max(1, int(probes.timeout + 0.999)),
            "failureThreshold": probes.failure_threshold,
            "startupFailureThreshold": probes.startup_failure_threshold,
        },
        "config": dict(sorted(settings.config.items())),
        "secrets": secrets,
        "autoscale": ({"minReplicas": scale.min_replicas, "maxReplicas": scale.max_replicas,
                       "cpuUtilization": scale.cpu_utilization} if scale else None),
        "disruptionBudget": ({"minAvailable": settings.min_available}
                             if settings.min_available is not None else None),
    }


_HELPERS = """\
{{/* The app's names and labels; written by goship manifests --helm. */}}
{{- define "app.instance" -}}
{{- if .Values.environment -}}
{{ .Values.name }}-{{ .Values.environment }}
{{- else -}}
{{ .Values.name }}
{{- end -}}
{{- end -}}

{{- define "app.selectorLabels" -}}
app.kubernetes.io/instance: {{ include "app.instance" . | quote }}
app.kubernetes.io/name: {{ .Values.name | quote }}
{{- end -}}

{{- define "app.labels" -}}
{{- range $key, $value := .Values.labels }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/managed-by: goship
{{- with .Values.version }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
{{- with .Values.environment }}
env: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "app.image" -}}
{{ .Values.image.repository }}{{ with .Values.image.tag }}:{{ . }}{{ end }}@{{ .Values.image.digest }}
{{- end -}}

{{- define "app.configName" -}}
{{ .Values.name }}-config-{{ .Values.config | toJson | sha256sum | trunc 10 }}
{{- end -}}
"""

_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "app.configName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "app.labels" . | trim | nindent 4 }}
{{- with .Values.config }}
data:
  {{- range $key, $value := . }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
{{- end }}
"""

_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "app.labels" . | trim | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "app.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
"""

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "app.labels" . | trim | nindent 4 }}
  annotations:
    goship.dev/image-digest: {{ .Values.image.digest | quote }}
spec:
  {{- if not .Values.autoscale }}
  replicas: {{ .Values.replicas }}
  {{- end }}
  progressDeadlineSeconds: {{ .Values.progressDeadlineSeconds }}
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "app.labels" . | trim | nindent 8 }}
      annotations:
        goship.dev/image-digest: {{ .Values.image.digest | quote }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        runAsNonRoot: true
        runAsUser: @NONROOT@
        runAsGroup: @NONROOT@
        fsGroup: @NONROOT@
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .Values.name }}
          image: {{ include "app.image" . | quote }}
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: {{ .Values.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "app.configName" . }}
          {{- with .Values.secrets }}
          env:
            {{- range . }}
            - name: {{ .variable }}
              valueFrom:
                secretKeyRef:
                  name: {{ .secret }}
                  key: {{ .key | quote }}
            {{- end }}
          {{- end }}
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet:
              path: {{ .Values.probes.path }}
              port: http
            {{- with .Values.probes.initialDelaySeconds }}
            initialDelaySeconds: {{ . }}
            {{- end }}
            periodSeconds: {{ .Values.probes.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet:
              path: {{ .Values.probes.path }}
              port: http
            periodSeconds: {{ .Values.probes.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.failureThreshold }}
          readinessProbe:
            httpGet:
              path: {{ .Values.probes.readinessPath }}
              port: http
            periodSeconds: {{ .Values.probes.periodSeconds }}
            timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
            failureThreshold: {{ .Values.probes.failureThreshold }}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
            privileged: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: @NONROOT@
            runAsGroup: @NONROOT@
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
""".replace("@NONROOT@", str(NONROOT))

_AUTOSCALER = """\
{{- with .Values.autoscale }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $.Values.name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "app.labels" $ | trim | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $.Values.name }}
  minReplicas: {{ .minReplicas }}
  maxReplicas: {{ .maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .cpuUtilization }}
{{- end }}
"""

_DISRUPTION_BUDGET = """\
{{- with .Values.disruptionBudget }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $.Values.name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "app.labels" $ | trim | nindent 4 }}
spec:
  minAvailable: {{ .minAvailable }}
  selector:
    matchLabels:
      {{- include "app.selectorLabels" $ | nindent 6 }}
{{- end }}
"""

TEMPLATES = {
    "_helpers.tpl": _HELPERS,
    "configmap.yaml": _CONFIGMAP,
    "service.yaml": _SERVICE,
    "deployment.yaml": _DEPLOYMENT,
    "hpa.yaml": _AUTOSCALER,
    "pdb.yaml": _DISRUPTION_BUDGET,
}


def helm_files(settings: DeploySettings, image: str, version: str,
               environments: Mapping[str, tuple[DeploySettings, str, str]]) -> dict[str, FileContent]:
    """The chart as relative file names under ``<name>/`` (helm wants the directory to be
    named as the chart): ``environments`` maps each environment to (settings, image, version)
    for its values-ENV.yaml."""
    digest = str(parse_image(image).digest or "")
    chart = {
        "apiVersion": "v2",
        "name": settings.name,
        "description": f"{settings.name}, as goship renders it from goship.toml",
        "type": "application",
        "version": chart_version(version, digest),
        "appVersion": version or digest,
    }
    prefix = settings.name
    files = {f"{prefix}/Chart.yaml": FileContent(dump_object(chart).encode("utf-8")),
             f"{prefix}/values.yaml": FileContent(dump_object(chart_values(settings, image, version))
                                                  .encode("utf-8"))}
    for name, (own, own_image, own_version) in environments.items():
        files[f"{prefix}/values-{name}.yaml"] = FileContent(
            dump_object(chart_values(own, own_image, own_version)).encode("utf-8"))
    for name, text in TEMPLATES.items():
        files[f"{prefix}/templates/{name}"] = FileContent(text.encode("utf-8"))
    return files
