{{- define "tn.helper" }}HELPER{{ end }}
{{- define "tn.failer" }}{{ tpl "{{ fail \"from define\" }}" . }}{{ end }}
