# SPDX-License-Identifier: MIT
# Lab helper (sourced after lib.sh, not a case): a real HTTP/3 server.
# lab_caddy PORT... starts caddy (tls internal; HTTP/1.1, 2 and 3) in the
# target namespace on 198.18.0.2 and 2001:2::2, serving https on each PORT
# (TCP and QUIC) and plain http on 80, and waits until every socket
# listens. Caddy keeps its state (the internal CA) in the lab directory and
# never touches the system trust store. Needs caddy and ss.
command -v caddy > /dev/null || die "caddy is not installed (apt-get install caddy)"

lab_caddy() {
	local sites="" p n
	for p in "$@"; do
		sites+="${sites:+, }https://198.18.0.2:$p, https://[2001:2::2]:$p"
	done
	export HOME="$LAB_TMP/home" XDG_DATA_HOME="$LAB_TMP/home/data" \
		XDG_CONFIG_HOME="$LAB_TMP/home/config"
	mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
	cat > "$LAB_TMP/Caddyfile" <<EOC
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	storage file_system $LAB_TMP/home/storage
	servers {
		protocols h1 h2 h3
	}
}
$sites {
	bind 198.18.0.2 [2001:2::2]
	tls internal
	respond "ok"
}
http://198.18.0.2:80, http://[2001:2::2]:80 {
	bind 198.18.0.2 [2001:2::2]
	respond "ok"
}
EOC
	in_t caddy run --config "$LAB_TMP/Caddyfile" --adapter caddyfile > "$LAB_TMP/caddy.log" 2>&1 &
	LAB_PIDS+=($!)
	# Caddy takes a moment: its UDP and TCP sockets on each port, and 80.
	for _ in $(seq 100); do
		n=0
		for a in 198.18.0.2 '[2001:2::2]'; do
			for p in "$@"; do
				in_t ss -lunH "src $a:$p" | grep -q . && n=$((n + 1))
				in_t ss -ltnH "src $a:$p" | grep -q . && n=$((n + 1))
			done
			in_t ss -ltnH "src $a:80" | grep -q . && n=$((n + 1))
		done
		[ "$n" -eq $((4 * $# + 2)) ] && return 0
		sleep 0.1
	done
	cat "$LAB_TMP/caddy.log" >&2
	die "caddy did not start"
}
