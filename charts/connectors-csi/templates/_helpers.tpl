{{/*
Helpers of the connectors-csi chart. tests/manifests/ renders the chart with the real helm
(`helm lint --strict`, `helm template`) for every documented value set.
*/}}

{{/*
Name of the release's objects. Fixed: the driver name is part of kubelet's plugin socket path and
of the cluster-scoped CSIDriver object, so one release per cluster.
*/}}
{{- define "connectors-csi.fullname" -}}
connectors-csi
{{- end -}}

{{/* Labels of every object. */}}
{{- define "connectors-csi.labels" -}}
app.kubernetes.io/name: connectors-csi
app.kubernetes.io/part-of: connectors-csi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector of the DaemonSet's pods (immutable once installed). */}}
{{- define "connectors-csi.selectorLabels" -}}
app.kubernetes.io/name: connectors-csi
app.kubernetes.io/component: csi-driver
{{- end -}}

{{/* The driver image; the tag defaults to the chart's appVersion. */}}
{{- define "connectors-csi.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}

{{/* Host directory of the driver's CSI socket. */}}
{{- define "connectors-csi.socketDir" -}}
{{ printf "%s/plugins/connectors-csi" .Values.kubeletDir }}
{{- end -}}
