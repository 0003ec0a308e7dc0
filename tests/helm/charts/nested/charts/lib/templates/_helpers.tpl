{{- define "lib.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
{{- define "lib.labels" -}}
app: {{ .Chart.Name }}
region: {{ .Values.global.region }}
{{- end -}}
