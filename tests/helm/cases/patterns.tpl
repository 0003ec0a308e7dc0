{{- define "pat.x" }}X{{ end }}
{{- define "pat.root" }}{{ $.Values.replicas }}{{ end }}
{{- define "pat.lbl" }}a: 1
b: 2{{ end }}
