{{- define "img" }}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{ end }}
