set -e
d="$1/deep-yaml-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: d\nversion: 0.1.0\n' > "$d/Chart.yaml"
python3 -c "print('a: ' + '[' * 100000 + ']' * 100000)" > "$d/values.yaml"
