{{- define "noapi.name" }}web-{{ .Chart.Name }}{{ end }}
