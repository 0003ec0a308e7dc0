{{- define "c.lib" }}from-lib{{ end }}
