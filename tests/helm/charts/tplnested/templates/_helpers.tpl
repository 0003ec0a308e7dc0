{{- define "tn.loki" -}}{{ .Release.Name }}-{{ .Values.lokiName }}{{- end }}
