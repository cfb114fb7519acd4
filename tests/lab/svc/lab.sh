# SPDX-License-Identifier: MIT
# The service lab: real daemons from Debian packages inside the TARGET
# namespace of tests/lab/lib.sh, for service identification (-sV) tests.
# Source after lib.sh and lab_setup, then call svc_lab_start. Every daemon
# runs in the foreground from its own configuration and state under
# $LAB_TMP/svc (nothing under /etc is read for its configuration or
# written), as an unprivileged user where the daemon allows it (the target
# namespace lets any user bind ports below 1024), listens on all addresses
# of the namespace (IPv4 and IPv6: 198.19.0.0/16, 2001:2:0:1::/64), and is
# registered in LAB_PIDS so lab_cleanup stops it. svc_lab_start returns when
# every port accepts connections and has written the ground truth,
# $SVC_TRUTH (svc_truth.json; see tests/lab/svc/mktruth.py).

SVC_LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SVC_IP4=198.19.2.2
SVC_IP6=2001:2:0:1::2
SVC_DIR="$LAB_TMP/svc"
SVC_TRUTH="$LAB_TMP/svc_truth.json"
SVC_CN=svc.example
SVC_SAN="DNS:svc.example,DNS:www.svc.example,IP:$SVC_IP4,IP:$SVC_IP6"
# Every TCP port of the lab (mktruth.py says what each one is).
SVC_PORTS="21 22 25 53 80 873 110 143 389 443 993 995 1080 1883 2222 3306 4222 5432 6379 8000 8080 8081 8082 11211 9997 9998 9999"

# Runs a daemon in the foreground in the target namespace as user $1
# (root: no change) and registers its pid; ip netns exec and setpriv both
# exec, so $! is the daemon itself. Output goes to $SVC_DIR/log/NAME.log.
_svc_run() {
	local user=$1 name=$2
	shift 2
	if [ "$user" = root ]; then
		in_t "$@" >"$SVC_DIR/log/$name.log" 2>&1 &
	else
		in_t setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
			--inh-caps=-all -- "$@" >"$SVC_DIR/log/$name.log" 2>&1 &
	fi
	LAB_PIDS+=($!)
	SVC_NAMES+=("$name:$!")
}

# Runs a set-up command as user $1 (no namespace needed: no network).
_svc_as() {
	local user=$1
	shift
	setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@"
}

_svc_cert() {
	local d=$SVC_DIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
		-subj "/CN=$SVC_CN/O=fastport lab" -addext "subjectAltName=$SVC_SAN" \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null || die "svc lab: openssl req"
	chmod 644 "$d/cert.pem" "$d/key.pem"
}

_svc_www() {
	mkdir -p "$SVC_DIR/www"
	printf '<!DOCTYPE html>\n<html><head><title>fastport service lab</title></head>\n<body>svc lab</body></html>\n' \
		>"$SVC_DIR/www/index.html"
}

# Slow set-ups run in the background while the others start.
_svc_pg_init() {
	local d=$SVC_DIR/pg
	mkdir -p "$d"
	chown postgres:postgres "$d"
	_svc_as postgres /usr/lib/postgresql/15/bin/initdb -D "$d/data" -U postgres \
		--auth=trust --no-sync -E UTF8 --locale=C >"$SVC_DIR/log/initdb.log" 2>&1
	install -o postgres -g postgres -m 600 "$SVC_DIR/tls/key.pem" "$d/key.pem"
	install -o postgres -g postgres -m 644 "$SVC_DIR/tls/cert.pem" "$d/cert.pem"
}

_svc_my_init() {
	local d=$SVC_DIR/my
	mkdir -p "$d/data"
	chown -R mysql:mysql "$d"
	_svc_as mysql mariadb-install-db --no-defaults --datadir="$d/data" \
		--auth-root-authentication-method=normal --skip-test-db \
		--skip-name-resolve >"$SVC_DIR/log/mariadb-install-db.log" 2>&1
	# A user any host may try: so the server greets remote clients
	# instead of refusing them with error 1130 before the handshake.
	printf "CREATE USER IF NOT EXISTS 'lab'@'%%' IDENTIFIED BY 'lab-only';\n" >"$d/init.sql"
	chown mysql:mysql "$d/init.sql"
}

_svc_sshd() {
	local d=$SVC_DIR/ssh
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" </dev/null
	ssh-keygen -q -t rsa -b 2048 -N '' -f "$d/host_rsa" </dev/null
	cat >"$d/sshd_config" <<-EOF
	Port 22
	Port 2222
	ListenAddress 0.0.0.0
	ListenAddress ::
	HostKey $d/host_ed25519
	HostKey $d/host_rsa
	PidFile $d/sshd.pid
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	AuthorizedKeysFile none
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
}

_svc_nginx() {
	local d=$SVC_DIR/nginx
	mkdir -p "$d/tmp"
	cat >"$d/nginx.conf" <<-EOF
	daemon off;
	master_process on;
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/error.log;
	events { worker_connections 512; }
	http {
		access_log off;
		client_body_temp_path $d/tmp/body;
		proxy_temp_path $d/tmp/proxy;
		fastcgi_temp_path $d/tmp/fastcgi;
		uwsgi_temp_path $d/tmp/uwsgi;
		scgi_temp_path $d/tmp/scgi;
		default_type text/html;
		server {
			listen 80;
			listen [::]:80;
			root $SVC_DIR/www;
		}
		server {
			listen 443 ssl;
			listen [::]:443 ssl;
			ssl_certificate $SVC_DIR/tls/cert.pem;
			ssl_certificate_key $SVC_DIR/tls/key.pem;
			root $SVC_DIR/www;
		}
	}
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody nginx /usr/sbin/nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
}

_svc_vsftpd() {
	local d=$SVC_DIR/ftp
	mkdir -p "$d/empty" "$d/pub"
	cat >"$d/vsftpd.conf" <<-EOF
	listen=NO
	listen_ipv6=YES
	listen_port=21
	run_as_launching_user=YES
	anonymous_enable=YES
	anon_root=$d/pub
	local_enable=NO
	write_enable=NO
	secure_chroot_dir=$d/empty
	vsftpd_log_file=$d/vsftpd.log
	xferlog_enable=NO
	background=NO
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody vsftpd /usr/sbin/vsftpd "$d/vsftpd.conf"
}

_svc_exim() {
	local d=$SVC_DIR/exim
	mkdir -p "$d/spool" "$d/log"
	cat >"$d/exim.conf" <<-EOF
	primary_hostname = mail.$SVC_CN
	exim_user = nobody
	exim_group = nogroup
	spool_directory = $d/spool
	log_file_path = $d/log/%slog
	pid_file_path = $d/exim.pid
	daemon_smtp_ports = 25
	tls_certificate = $SVC_DIR/tls/cert.pem
	tls_privatekey = $SVC_DIR/tls/key.pem
	tls_advertise_hosts = *
	acl_smtp_rcpt = acl_check_rcpt
	begin acl
	acl_check_rcpt:
	  deny message = lab: no relay
	begin routers
	begin transports
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody exim /usr/sbin/exim4 -C "$d/exim.conf" -bdf -oX 25
}

_svc_dovecot() {
	local d=$SVC_DIR/dovecot
	mkdir -p "$d/run" "$d/home"
	: >"$d/users"
	cat >"$d/dovecot.conf" <<-EOF
	protocols = imap pop3
	listen = *, ::
	base_dir = $d/run
	state_dir = $d/state
	log_path = $d/dovecot.log
	default_internal_user = nobody
	default_internal_group = nogroup
	default_login_user = nobody
	ssl = yes
	ssl_cert = <$SVC_DIR/tls/cert.pem
	ssl_key = <$SVC_DIR/tls/key.pem
	disable_plaintext_auth = yes
	mail_location = maildir:$d/home/%u
	passdb {
	  driver = passwd-file
	  args = $d/users
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=$d/home/%u
	}
	service anvil {
	  chroot =
	}
	service imap-login {
	  chroot =
	}
	service pop3-login {
	  chroot =
	}
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody dovecot /usr/sbin/dovecot -F -c "$d/dovecot.conf"
}

_svc_redis() {
	local d=$SVC_DIR/redis
	mkdir -p "$d"
	chown nobody:nogroup "$d"
	_svc_run nobody redis /usr/bin/redis-server --port 6379 --bind '* -::*' \
		--protected-mode no --save '' --appendonly no --dir "$d" --daemonize no \
		--logfile '' --supervised no
}

_svc_memcached() {
	_svc_run nobody memcached /usr/bin/memcached -p 11211 -U 0 -l '0.0.0.0,[::]' -m 16
}

_svc_mosquitto() {
	local d=$SVC_DIR/mosquitto
	mkdir -p "$d"
	cat >"$d/mosquitto.conf" <<-EOF
	listener 1883
	allow_anonymous true
	persistence false
	log_dest stderr
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody mosquitto /usr/sbin/mosquitto -c "$d/mosquitto.conf"
}

_svc_nats() {
	_svc_run nobody nats /usr/sbin/nats-server -a :: -p 4222 -n fastport-lab
}

_svc_pyhttp() {
	_svc_run nobody pyhttp "$PY" -m http.server 8000 --bind :: --directory "$SVC_DIR/www"
}

_svc_caddy() {
	local d=$SVC_DIR/caddy
	mkdir -p "$d"
	cat >"$d/Caddyfile" <<-EOF
	{
		admin off
		auto_https off
		storage file_system $d/data
	}
	:8080 {
		root * $SVC_DIR/www
		file_server
	}
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody caddy env HOME="$d" XDG_CONFIG_HOME="$d" XDG_DATA_HOME="$d" \
		/usr/bin/caddy run --adapter caddyfile --config "$d/Caddyfile"
}

_svc_lighttpd() {
	local d=$SVC_DIR/lighttpd
	mkdir -p "$d"
	cat >"$d/lighttpd.conf" <<-EOF
	server.document-root = "$SVC_DIR/www"
	server.port = 8081
	server.bind = "0.0.0.0"
	\$SERVER["socket"] == "[::]:8081" { }
	server.pid-file = "$d/lighttpd.pid"
	server.errorlog = "$d/error.log"
	server.modules = ( "mod_indexfile", "mod_staticfile" )
	index-file.names = ( "index.html" )
	mimetype.assign = ( ".html" => "text/html" )
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody lighttpd /usr/sbin/lighttpd -D -f "$d/lighttpd.conf"
}

_svc_apache() {
	local d=$SVC_DIR/apache m=/usr/lib/apache2/modules
	mkdir -p "$d/logs"
	cat >"$d/httpd.conf" <<-EOF
	ServerRoot $d
	ServerName www.$SVC_CN
	Listen 8082
	PidFile $d/httpd.pid
	ErrorLog $d/logs/error.log
	Mutex file:$d default
	LoadModule mpm_event_module $m/mod_mpm_event.so
	LoadModule authz_core_module $m/mod_authz_core.so
	LoadModule dir_module $m/mod_dir.so
	LoadModule mime_module $m/mod_mime.so
	TypesConfig /etc/mime.types
	DocumentRoot $SVC_DIR/www
	DirectoryIndex index.html
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody apache /usr/sbin/apache2 -DFOREGROUND -d "$d" -f "$d/httpd.conf"
}

_svc_slapd() {
	local d=$SVC_DIR/slapd
	mkdir -p "$d/db"
	cat >"$d/slapd.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	pidfile $d/slapd.pid
	modulepath /usr/lib/ldap
	moduleload back_mdb
	database mdb
	maxsize 16777216
	suffix "dc=svc,dc=example"
	directory $d/db
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody slapd /usr/sbin/slapd -d 0 -h "ldap:///" -f "$d/slapd.conf"
}

_svc_dnsmasq() {
	_svc_run nobody dnsmasq /usr/sbin/dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --port=53 --pid-file= --log-facility=- \
		--address=/$SVC_CN/$SVC_IP4 --address=/$SVC_CN/$SVC_IP6
}

_svc_dante() {
	local d=$SVC_DIR/dante
	mkdir -p "$d"
	cat >"$d/danted.conf" <<-EOF
	logoutput: stderr
	internal: 0.0.0.0 port = 1080
	internal: :: port = 1080
	external: eth0
	clientmethod: none
	socksmethod: none
	client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
	client pass { from: ::/0 to: ::/0 }
	socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }
	socks block { from: ::/0 to: ::/0 }
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody danted /usr/sbin/danted -f "$d/danted.conf" -N 1 -p "$d/danted.pid"
}

_svc_rsync() {
	local d=$SVC_DIR/rsync
	mkdir -p "$d"
	cat >"$d/rsyncd.conf" <<-EOF
	use chroot = no
	pid file = $d/rsyncd.pid
	log file = $d/rsyncd.log
	[www]
	path = $SVC_DIR/www
	read only = yes
	EOF
	chown -R nobody:nogroup "$d"
	_svc_run nobody rsync /usr/bin/rsync --daemon --no-detach --config="$d/rsyncd.conf" --port=873
}

_svc_pg() {
	local d=$SVC_DIR/pg
	_svc_run postgres postgres /usr/lib/postgresql/15/bin/postgres -D "$d/data" -p 5432 \
		-c listen_addresses='*' -c unix_socket_directories="$d" -c ssl=on \
		-c ssl_cert_file="$d/cert.pem" -c ssl_key_file="$d/key.pem" -c fsync=off
}

_svc_mariadb() {
	local d=$SVC_DIR/my
	_svc_run mysql mariadb /usr/sbin/mariadbd --no-defaults --datadir="$d/data" \
		--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" --port=3306 \
		--bind-address='*' --skip-name-resolve --skip-log-bin --init-file="$d/init.sql" \
		--log-error="$d/error.log" --innodb-buffer-pool-size=16M \
		--max-connect-errors=1000000
}

# Waits until every port of the lab accepts a connection on both lab
# addresses (at most 60 s); names the daemons that did not come up.
_svc_wait() {
	if ! in_t "$PY" "$SVC_LAB/waitports.py" 60 "$SVC_IP4" "$SVC_IP6" $SVC_PORTS; then
		for n in "${SVC_NAMES[@]}"; do
			kill -0 "${n#*:}" 2>/dev/null || echo "svc lab: ${n%%:*} exited:" >&2
		done
		tail -n 5 "$SVC_DIR"/log/*.log >&2
		die "svc lab: not every daemon came up"
	fi
}

svc_lab_start() {
	SVC_NAMES=()
	local t0=$SECONDS
	# Unprivileged daemons must reach their files under $LAB_TMP.
	chmod 711 "$LAB_TMP"
	mkdir -p "$SVC_DIR/log"
	chmod 755 "$SVC_DIR"
	in_t sysctl -qw net.ipv4.ip_unprivileged_port_start=0
	# The lab addresses as interface addresses too (they are local already
	# through the /16 and /64 routes): dnsmasq answers TCP queries only
	# to an address of an interface.
	ip -n "$NS_T" addr add "$SVC_IP4/32" dev lo
	ip -n "$NS_T" addr add "$SVC_IP6/128" dev lo nodad
	_svc_cert
	_svc_www
	_svc_pg_init &
	local pg_init=$!
	_svc_my_init &
	local my_init=$!
	_svc_sshd
	_svc_nginx
	_svc_vsftpd
	_svc_exim
	_svc_dovecot
	_svc_redis
	_svc_memcached
	_svc_mosquitto
	_svc_nats
	_svc_pyhttp
	_svc_caddy
	_svc_lighttpd
	_svc_apache
	_svc_slapd
	_svc_dnsmasq
	_svc_dante
	_svc_rsync
	_svc_run nobody odd "$PY" "$SVC_LAB/odd.py" 9999 9998 9997
	wait "$pg_init" || die "svc lab: initdb failed: $(tail -n 5 "$SVC_DIR/log/initdb.log")"
	_svc_pg
	wait "$my_init" || die "svc lab: mariadb-install-db failed: $(tail -n 5 "$SVC_DIR/log/mariadb-install-db.log")"
	_svc_mariadb
	_svc_wait
	"$PY" "$SVC_LAB/mktruth.py" "$SVC_DIR" "$SVC_IP4" "$SVC_IP6" >"$SVC_TRUTH" ||
		die "svc lab: mktruth.py failed"
	echo "svc lab: ${#SVC_NAMES[@]} daemons up in $((SECONDS - t0)) s"
}
