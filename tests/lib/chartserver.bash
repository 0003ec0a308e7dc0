# chartserver.bash: Helm chart repositories on loopback ports for integration tests, made by
# the real `helm package` and `helm repo index` and served by lighttpd (plain, basic auth,
# TLS with a client certificate). Needs gitserver.bash (sourced here) for ports and TLS.
#
#   source "$EDDY_SRC/tests/lib/chartserver.bash"
#   gs_setup "$DIR"                          # as for gitserver.bash
#   cs_chart NAME VERSION [DIR]              # a chart directory (helm create, trimmed) in
#                                            # $GS_ROOT/charts-src/NAME (or DIR) at VERSION
#   cs_publish REPO NAME                     # helm package NAME into $GS_ROOT/www/REPO and
#                                            # helm repo index it (merging the existing index)
#   cs_start [--auth USER:PASS] [--tls] [--client-ca FILE]
#                                            # lighttpd serving $GS_ROOT/www; sets CS_URL
#                                            # (http(s)://127.0.0.1:PORT) and GS_CA with --tls

source "$(dirname "${BASH_SOURCE[0]}")/gitserver.bash"

: "${HELM:=helm}"

cs_chart() {
	local name=$1 version=$2 dir=${3:-$GS_ROOT/charts-src/$1}
	mkdir -p "$dir/templates"
	cat >"$dir/Chart.yaml" <<Y
apiVersion: v2
name: $name
description: A test chart
type: application
version: $version
appVersion: "1.0"
Y
	cat >"$dir/values.yaml" <<'Y'
replicaCount: 1
image:
  repository: nginx
  tag: stable
  pullPolicy: IfNotPresent
service:
  port: 80
labels:
  team: core
Y
	cat >"$dir/values-prod.yaml" <<'Y'
replicaCount: 3
image:
  tag: "1.25"
labels:
  env: prod
Y
	cat >"$dir/templates/deployment.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
  labels:
    chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- range $k, $v := .Values.labels }}
    {{ $k }}: {{ $v | quote }}
{{- end }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - containerPort: {{ .Values.service.port }}
Y
	cat >"$dir/templates/_helpers.tpl" <<'Y'
{{- define "x.name" -}}{{ .Chart.Name }}{{- end -}}
Y
	printf '.git/\n*.swp\n' >"$dir/.helmignore"
}

cs_publish() {
	local repo=$1 name=$2 dir=${3:-$GS_ROOT/charts-src/$2}
	mkdir -p "$GS_ROOT/www/$repo"
	"$HELM" package -d "$GS_ROOT/www/$repo" "$dir" >/dev/null
	if [ -f "$GS_ROOT/www/$repo/index.yaml" ]; then
		"$HELM" repo index "$GS_ROOT/www/$repo" --merge "$GS_ROOT/www/$repo/index.yaml"
	else
		"$HELM" repo index "$GS_ROOT/www/$repo"
	fi
}

cs_start() {
	local auth="" tls=0 client_ca=""
	while [ $# -gt 0 ]; do
		case $1 in
		--auth) auth=$2; shift ;;
		--tls) tls=1 ;;
		--client-ca) client_ca=$2; shift ;;
		esac
		shift
	done
	local port; port=$(gs_free_port)
	local conf="$GS_ROOT/lighttpd-cs-$port.conf"
	mkdir -p "$GS_ROOT/www"
	cat >"$conf" <<CONF
server.document-root = "$GS_ROOT/www"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$GS_ROOT/lighttpd-$port.pid"
server.errorlog = "$GS_ROOT/lighttpd-$port.log"
server.modules = ("mod_auth", "mod_authn_file", "mod_accesslog")
accesslog.filename = "$GS_ROOT/lighttpd-$port.access"
mimetype.assign = (".yaml" => "text/yaml", ".tgz" => "application/x-tar")
CONF
	if [ -n "$auth" ]; then
		printf '%s\n' "$auth" >"$GS_ROOT/users-$port"
		cat >>"$conf" <<CONF
auth.backend = "plain"
auth.backend.plain.userfile = "$GS_ROOT/users-$port"
auth.require = ("/" => ("method" => "basic", "realm" => "charts", "require" => "valid-user"))
CONF
	fi
	local scheme=http
	if [ "$tls" = 1 ]; then
		gs_make_ca
		GS_CA="$GS_ROOT/tls/ca.crt"
		cat >>"$conf" <<CONF
server.modules += ("mod_openssl")
ssl.engine = "enable"
ssl.pemfile = "$GS_ROOT/tls/server.pem"
CONF
		if [ -n "$client_ca" ]; then
			cat "$client_ca" "$GS_ROOT/tls/ca.crt" >"$GS_ROOT/tls/verify-$port.crt"
			cat >>"$conf" <<CONF
ssl.ca-file = "$GS_ROOT/tls/verify-$port.crt"
ssl.verifyclient.activate = "enable"
ssl.verifyclient.enforce = "enable"
CONF
		fi
		scheme=https
	fi
	/usr/sbin/lighttpd -D -f "$conf" >"$GS_ROOT/lighttpd-$port.out" 2>&1 &
	GS_PIDS+=($!)
	gs_wait_port "$port" || { cat "$GS_ROOT/lighttpd-$port.out" "$GS_ROOT/lighttpd-$port.log" >&2; return 1; }
	CS_URL="$scheme://127.0.0.1:$port"
}
