set -e
d="$1/big-output-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: b\nversion: 0.1.0\n' > "$d/Chart.yaml"
printf 'x: {{ $s := repeat 1000000 "x" }}{{ range until 100 }}{{ $s }}{{ end }}\n' > "$d/templates/a.yaml"
