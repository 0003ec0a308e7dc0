{{- define "bench.name" -}}{{ .root.Release.Name }}-app-{{ .i }}{{- end -}}
{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ include "bench.name" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .root.Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
