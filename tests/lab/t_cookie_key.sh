#!/usr/bin/env bash
# The cookie key is secret and new for every scan: two scans of the same
# probe carry different sequence numbers and source ports (a fixed or zero
# key would make every cookie predictable, so replies could be forged).
. "$(dirname "$0")/lib.sh"
lab_setup
lab_listen 22
seqs=()
for i in 1 2; do
	in_t timeout 10 tcpdump -l -c 1 -nn -S -i eth0 'tcp[tcpflags] == tcp-syn and dst port 22' \
		> "$LAB_TMP/cap$i" 2>/dev/null &
	cap=$!
	sleep 0.5
	scan 198.19.0.1 -p 22 --rate 100 --retries 0 --wait 0.5 --allow-reserved --quiet \
		-o "$LAB_TMP/ev$i.ndjson"
	wait $cap || true
	seqs+=("$(awk '{ for (i = 1; i <= NF; i++) if ($i == "seq") print $3, $(i + 1) }' "$LAB_TMP/cap$i")")
	grep -q '"state":"open"' "$LAB_TMP/ev$i.ndjson" || die "scan $i found no open port"
done
echo "scan 1: ${seqs[0]}"
echo "scan 2: ${seqs[1]}"
[ -n "${seqs[0]}" ] && [ -n "${seqs[1]}" ] || die "no SYN captured"
[ "${seqs[0]}" != "${seqs[1]}" ] || die "two scans used the same cookie"
