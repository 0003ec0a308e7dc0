set -e
d="$1/list-cap-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: l\nversion: 0.1.0\n' > "$d/Chart.yaml"
printf 'x: {{ range until 100000000 }}{{ end }}\n' > "$d/templates/a.yaml"
