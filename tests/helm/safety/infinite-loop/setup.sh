set -e
d="$1/infinite-loop-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: l\nversion: 0.1.0\n' > "$d/Chart.yaml"
printf 'x: {{ range until 1000000 }}{{ range until 1000000 }}{{ end }}{{ end }}\n' > "$d/templates/a.yaml"
