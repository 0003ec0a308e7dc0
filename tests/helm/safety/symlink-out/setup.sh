set -e
d="$1/symlink-out-chart"
rm -rf "$d"; mkdir -p "$d/templates"
printf 'apiVersion: v2\nname: s\nversion: 0.1.0\n' > "$d/Chart.yaml"
ln -s /etc/passwd "$d/templates/passwd.yaml"
