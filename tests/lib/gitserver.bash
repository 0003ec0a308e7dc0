# gitserver.bash: real Git servers on loopback ports for integration tests and benchmarks.
#
#   source "$EDDY_SRC/tests/lib/gitserver.bash"
#   gs_setup "$BATS_TEST_TMPDIR/gs"        # or any scratch dir; sets GS_ROOT
#   gs_repo NAME                            # bare repo $GS_ROOT/repos/NAME.git (+ work tree)
#   gs_commit NAME FILE CONTENT [MSG]       # commit in the work tree and push to the bare repo
#   gs_start_http [--auth USER:PASS] [--bearer TOKEN] [--tls] [--client-ca FILE]
#                                           # git http-backend behind lighttpd; sets GS_HTTP_URL
#                                           # (/moved/X redirects to /git/X)
#                                           # (--client-ca: TLS that requires a client
#                                           # certificate signed by FILE)
#   gs_make_client_cert NAME [CA]           # $GS_ROOT/tls/NAME.{crt,key}, signed by the client
#                                           # CA $GS_ROOT/tls/CA.crt (default client-ca; made
#                                           # on first use)
#   gs_start_proxy [--auth USER:PASS]       # tinyproxy; sets GS_PROXY_URL, GS_PROXY_LOG
#   gs_start_sshd                           # sshd with key auth; sets GS_SSH_URL, GS_SSH_KEY,
#                                           # GS_KNOWN_HOSTS
#   gs_stop                                 # stops every server started here
#
# URLs: "$GS_HTTP_URL/NAME.git" and "$GS_SSH_URL/NAME.git". With --tls, GS_CA is the CA cert
# (PEM) that signed the server certificate (IP SAN 127.0.0.1). Servers run in the foreground
# under this shell (-D), their pids in GS_PIDS; nothing listens on anything but 127.0.0.1.

gs_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

gs_setup() {
	GS_ROOT=$1
	GS_PIDS=()
	mkdir -p "$GS_ROOT/repos" "$GS_ROOT/work" "$GS_ROOT/www"
	export GIT_AUTHOR_NAME=Eddy GIT_AUTHOR_EMAIL=eddy@example.com
	export GIT_COMMITTER_NAME=Eddy GIT_COMMITTER_EMAIL=eddy@example.com
}

gs_repo() {
	local name=$1 branch=${2:-main}
	git init -q --bare -b "$branch" "$GS_ROOT/repos/$name.git"
	git -C "$GS_ROOT/repos/$name.git" config http.receivepack true
	git -C "$GS_ROOT/repos/$name.git" config uploadpack.allowAnySHA1InWant true
	git init -q -b "$branch" "$GS_ROOT/work/$name"
	git -C "$GS_ROOT/work/$name" remote add origin "$GS_ROOT/repos/$name.git"
}

# gs_commit NAME PATH CONTENT [MESSAGE]: write a file, commit, push the current branch.
gs_commit() {
	local name=$1 path=$2 content=$3 msg=${4:-"update $2"}
	local w="$GS_ROOT/work/$name"
	mkdir -p "$(dirname "$w/$path")"
	printf '%s' "$content" >"$w/$path"
	git -C "$w" add -A
	git -C "$w" commit -q -m "$msg"
	git -C "$w" push -q origin HEAD >/dev/null 2>&1
}

gs_git() { # gs_git NAME args...: git in the work tree
	local name=$1; shift
	git -C "$GS_ROOT/work/$name" "$@"
}

gs_wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "port $port never opened" >&2
	return 1
}

gs_make_ca() { # a throwaway CA and a server cert for 127.0.0.1/localhost
	local d="$GS_ROOT/tls"
	[ -f "$d/server.pem" ] && return 0
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=eddy-test-ca" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
	cat "$d/server.crt" "$d/server.key" >"$d/server.pem"
	GS_CA="$d/ca.crt"
}

gs_start_http() {
	local auth="" tls=0 bearer="" client_ca=""
	while [ $# -gt 0 ]; do
		case $1 in
		--auth) auth=$2; shift ;;
		--bearer) bearer=$2; shift ;;
		--tls) tls=1 ;;
		--client-ca) client_ca=$2; shift ;;
		esac
		shift
	done
	local port; port=$(gs_free_port)
	local conf="$GS_ROOT/lighttpd-$port.conf"
	cat >"$conf" <<CONF
server.document-root = "$GS_ROOT/www"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$GS_ROOT/lighttpd-$port.pid"
server.errorlog = "$GS_ROOT/lighttpd-$port.log"
server.modules = ("mod_alias", "mod_cgi", "mod_setenv", "mod_auth", "mod_authn_file",
	"mod_redirect")
url.redirect = ("^/moved/(.*)\$" => "/git/\$1")
alias.url = ("/git" => "/usr/lib/git-core/git-http-backend")
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$GS_ROOT/repos",
		"GIT_HTTP_EXPORT_ALL" => "")
}
CONF
	if [ -n "$auth" ]; then
		printf '%s\n' "$auth" >"$GS_ROOT/users-$port"
		cat >>"$conf" <<CONF
auth.backend = "plain"
auth.backend.plain.userfile = "$GS_ROOT/users-$port"
auth.require = ("/git" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
CONF
	fi
	if [ -n "$bearer" ]; then
		cat >>"$conf" <<CONF
server.modules += ("mod_access")
\$REQUEST_HEADER["Authorization"] != "Bearer $bearer" {
	url.access-deny = ("")
}
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
			# lighttpd builds the server's chain from the same store: both CAs
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
	GS_HTTP_URL="$scheme://127.0.0.1:$port/git"
}

gs_make_client_cert() {
	local name=$1 ca=${2:-client-ca} d="$GS_ROOT/tls"
	mkdir -p "$d"
	if [ ! -f "$d/$ca.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=eddy-$ca" \
			-keyout "$d/$ca.key" -out "$d/$ca.crt" 2>/dev/null
	fi
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
		-keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
		-CAcreateserial -days 2 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
}

gs_start_proxy() {
	local auth=""
	[ "${1:-}" = --auth ] && auth=$2
	local port; port=$(gs_free_port)
	local conf="$GS_ROOT/tinyproxy-$port.conf"
	GS_PROXY_LOG="$GS_ROOT/tinyproxy-$port.log"
	cat >"$conf" <<CONF
Port $port
Listen 127.0.0.1
Timeout 60
LogFile "$GS_PROXY_LOG"
LogLevel Connect
MaxClients 20
Allow 127.0.0.1
CONF
	[ -n "$auth" ] && printf 'BasicAuth %s %s\n' "${auth%%:*}" "${auth#*:}" >>"$conf"
	: >"$GS_PROXY_LOG"
	/usr/bin/tinyproxy -d -c "$conf" >"$GS_ROOT/tinyproxy-$port.out" 2>&1 &
	GS_PIDS+=($!)
	gs_wait_port "$port" || { cat "$GS_ROOT/tinyproxy-$port.out" >&2; return 1; }
	GS_PROXY_URL="http://127.0.0.1:$port"
}

gs_start_sshd() {
	local d="$GS_ROOT/ssh"
	mkdir -p "$d"
	chmod 700 "$d"
	[ -f "$d/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	[ -f "$d/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
	[ -f "$d/other_host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/other_host_key"
	cp "$d/client_key.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	local port; port=$(gs_free_port)
	cat >"$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
PidFile $d/sshd.pid
PermitRootLogin yes
LogLevel ERROR
CONF
	mkdir -p /run/sshd 2>/dev/null || true
	/usr/sbin/sshd -D -e -f "$d/sshd_config" >"$d/sshd.log" 2>&1 &
	GS_PIDS+=($!)
	gs_wait_port "$port" || { cat "$d/sshd.log" >&2; return 1; }
	GS_SSH_KEY="$d/client_key"
	GS_KNOWN_HOSTS="$d/known_hosts"
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$d/host_key.pub")" >"$GS_KNOWN_HOSTS"
	GS_WRONG_KNOWN_HOSTS="$d/wrong_known_hosts"
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$d/other_host_key.pub")" \
		>"$GS_WRONG_KNOWN_HOSTS"
	GS_SSH_URL="ssh://$(id -un)@127.0.0.1:$port$GS_ROOT/repos"
}

gs_stop() {
	local p
	for p in "${GS_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${GS_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	GS_PIDS=()
}
