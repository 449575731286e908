{{/*
The chart's name, or nameOverride.
*/}}
{{- define "module-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, else the release name when it already
contains the chart's name, else <release>-<chart>. At most 63 characters (DNS label).
*/}}
{{- define "module-controller.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
chart label value: <name>-<version>.
*/}}
{{- define "module-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "module-controller.labels" -}}
helm.sh/chart: {{ include "module-controller.chart" . }}
{{ include "module-controller.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the controller's pods.
*/}}
{{- define "module-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "module-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the controller runs as.
*/}}
{{- define "module-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "module-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The subjects of the ClusterRoleBinding and of the RoleBinding for the vnode leases.
*/}}
{{- define "module-controller.subjects" -}}
- kind: ServiceAccount
  name: {{ include "module-controller.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/*
Where the MQTT TLS Secret is mounted.
*/}}
{{- define "module-controller.mqttTLSDirectory" -}}
/etc/module-controller/mqtt-tls
{{- end }}

{{/*
Refuses values the controller would refuse at start-up (ControllerSettings.validate and
fromEnvironment), and a grace period too short to release the vnode leases on SIGTERM.
*/}}
{{- define "module-controller.validate" -}}
{{- $env := .Values.env }}
{{- if not (or $env.mqtt.enabled $env.http.enabled) }}
{{- fail "enable at least one tunnel: env.mqtt.enabled=true and/or env.http.enabled=true" }}
{{- end }}
{{- if not (regexMatch "^[^./+#]+$" (toString $env.env)) }}
{{- fail "env.env (ENV) must be non-empty and free of '.', '/', '+' and '#'" }}
{{- end }}
{{- if lt (int .Values.terminationGracePeriodSeconds) 15 }}
{{- fail "terminationGracePeriodSeconds must be at least 15 so that SIGTERM can release the vnode leases" }}
{{- end }}
{{- if and (or $env.mqtt.tls.clientCertKey $env.mqtt.tls.clientKeyKey) (not (and $env.mqtt.tls.clientCertKey $env.mqtt.tls.clientKeyKey)) }}
{{- fail "env.mqtt.tls.clientCertKey and env.mqtt.tls.clientKeyKey go together" }}
{{- end }}
{{- if and $env.mqtt.tls.clientCertKey (not $env.mqtt.tls.secretName) }}
{{- fail "env.mqtt.tls.clientCertKey needs env.mqtt.tls.secretName" }}
{{- end }}
{{- end }}
