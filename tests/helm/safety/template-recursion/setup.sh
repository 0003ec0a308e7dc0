set -e
d="$1/template-recursion-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: r\nversion: 0.1.0\n' > "$d/Chart.yaml"
printf '{{ define "loop" }}{{ template "loop" . }}{{ end }}x: {{ template "loop" . }}\n' > "$d/templates/a.yaml"
