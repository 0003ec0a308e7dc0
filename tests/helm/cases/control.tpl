{{- define "inner" }}INNER {{ . }}{{ end }}
{{- define "noarg" }}[{{ . }}]{{ end }}
{{- block "blk" . }}default block{{ end }}
{{- define "inc" }}{{ .Values.list | join "," }}{{ end }}
{{- define "inc2" }}value{{ end }}
{{- define "in1" }}<{{ include "in2" . }}>{{ end }}
{{- define "in2" }}deep{{ end }}
{{- define "in3" }}{{ .a }}-{{ .b }}{{ end }}
{{- define "cnt" }}{{ if gt . 0 }}{{ . }}{{ include "cnt" (sub . 1) }}{{ end }}{{ end }}
{{- define "iso" }}{{ $ }}{{ end }}
