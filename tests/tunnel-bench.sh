#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The tunnel benchmark, all in one run on the same two namespaces joined by a veth: the
# bare veth (the ceiling), then zcvpn serve <-> zcvpn connect over ESP AES-128-GCM on
# real tun devices, once as it runs by default and once per feature turned off
# (VARIANTS, default "default --no-gro"; each word is extra options for both ends).
# For each: iperf3 TCP for IPERF_SECONDS (default 5) client->server and server->client,
# with 1 and with 4 streams; throughput (iperf3's received sum), CPU seconds per GB of
# both zcvpn processes together (utime+stime of all their threads over the run), and
# ping through the tunnel every 10 ms under that load (and idle, before).  The table
# gives each figure beside the veth's and the default's.  Information, not pass/fail:
# the script fails only when a tunnel cannot be set up or an iperf3 run fails, and
# checks copied_bytes 0 at both ends and, by default, that GRO runs were received.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=${ZCVPN:-$(cd "$builddir" && pwd)/zcvpn}
srcdir=$(cd "$srcdir" && pwd)
secs=${IPERF_SECONDS:-5}
variants=${VARIANTS:-default --no-gro}
. "$srcdir/tests/netns-env.sh"
ne_skip_unless iperf3 python3 ping

tag=$$
ns_a=zcvpn-ta-$tag
ns_b=zcvpn-tb-$tag
work=$(mktemp -d)
server_pid= client_pid= iperf_pid= ping_pid=
cleanup() {
	for p in $ping_pid $iperf_pid $client_pid $server_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
	exit 1
}
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
report() { python3 "$srcdir/tests/report-value.py" "$1" "$2"; }

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ne_link "$ns_a" zcb-a 10.79.0.1/24 "$ns_b" zcb-b 10.79.0.2/24 || fail "veth"
(umask 077 && "$zcvpn" genkey --enc aes128-gcm >"$work/keys")
in_b iperf3 -s -D -I "$work/iperf.pid" >/dev/null 2>&1 || fail "iperf3 server"
wait_for 50 test -s "$work/iperf.pid" || fail "iperf3 server did not start"
iperf_pid=$(cat "$work/iperf.pid")

# One iperf3 run: prints "GBIT_S GB"; the ticks of the given pids are taken around it.
iperf_run() {	# ADDR STREAMS REVERSE(-R or "") LABEL
	local out=$work/$4.json
	in_a iperf3 -c "$1" -t "$secs" -P "$2" $3 -J >"$out" 2>&1 || fail "iperf3 $4"
	python3 - "$out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.3f %.6f" % (s["bits_per_second"] / 1e9, s["bytes"] / 1e9))
EOF
}

# Average RTT in ms of pings every 10 ms for COUNT pings.
ping_avg() {	# ADDR COUNT
	in_a ping -q -i 0.01 -c "$2" -W 1 "$1" 2>/dev/null |
		awk -F/ '/^rtt|^round-trip/ { printf "%.3f", $5; found = 1 } END { if (!found) print "-" }'
}

# Runs the four iperf3 cases against ADDR and appends "NAME CASE GBIT CPU_S_PER_GB PING".
measure() {	# NAME ADDR PIDS...
	local name=$1 addr=$2 c streams dir t0 t1 r gbit gb cpu p
	shift 2
	for c in 1: 1:-R 4: 4:-R; do
		streams=${c%%:*} dir=${c#*:}
		t0=0
		for p in "$@"; do t0=$((t0 + $(ticks "$p"))); done
		ping_avg "$addr" $((secs * 80)) >"$work/ping" &
		ping_pid=$!
		r=$(iperf_run "$addr" "$streams" "$dir" "$name-$streams$dir")
		wait "$ping_pid"
		ping_pid=
		t1=0
		for p in "$@"; do t1=$((t1 + $(ticks "$p"))); done
		read -r gbit gb <<<"$r"
		cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v gb="$gb" -v n=$# \
			'BEGIN { if (n == 0 || gb <= 0) print "-"; else printf "%.2f", t / hz / gb }')
		echo "$name P$streams${dir:+ -R} $gbit $cpu $(cat "$work/ping")" >>"$work/results"
	done
}

stop() {
	kill -TERM "$1" 2>/dev/null
	wait_for 100 sh -c "! kill -0 $1 2>/dev/null"
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

: >"$work/results"
idle_veth=$(ping_avg 10.79.0.2 50)
measure veth 10.79.0.2

for v in $variants; do
	opts=
	[ "$v" = default ] || opts=$v
	ip netns exec "$ns_b" "$zcvpn" serve --json --local 10.79.0.2:4500 --key-file "$work/keys" \
		--tun zct-b $opts >"$work/server-$v.out" 2>&1 &
	server_pid=$!
	wait_for 50 in_b ip link show zct-b || fail "$v: server tun did not appear"
	ip netns exec "$ns_a" "$zcvpn" connect --json --remote 10.79.0.2:4500 --key-file "$work/keys" \
		--tun zct-a --keepalive 1000 $opts >"$work/client-$v.out" 2>&1 &
	client_pid=$!
	wait_for 50 in_a ip link show zct-a || fail "$v: client tun did not appear"
	in_a ip addr add 10.78.0.1 peer 10.78.0.2 dev zct-a || fail "$v: client address"
	in_b ip addr add 10.78.0.2 peer 10.78.0.1 dev zct-b || fail "$v: server address"
	in_a ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null 2>&1 || fail "$v: no ping through the tunnel"
	eval "idle_$(echo "$v" | tr -c 'a-z0-9\n' _)=$(ping_avg 10.78.0.2 50)"
	measure "$v" 10.78.0.2 "$client_pid" "$server_pid"
	stop "$client_pid"
	stop "$server_pid"
	client_pid= server_pid=
	for side in client server; do
		copied=$(report "$work/$side-$v.out" copied_bytes)
		[ "$copied" = 0 ] || fail "$v: $side copied ${copied:-?} payload bytes"
	done
	if [ "$v" = default ]; then
		runs=$(report "$work/server-default.out" rx_gro_runs)
		segs=$(report "$work/server-default.out" rx_gro_segments)
		[ "${runs:-0}" -gt 0 ] || fail "default: the server received no GRO runs"
		echo "default: the server received $segs datagrams in $runs GRO runs" \
			"($(awk -v s="${segs:-0}" -v r="$runs" 'BEGIN { printf "%.1f", s / r }') a run)"
	fi
done

echo
echo "Tunnel benchmark: iperf3 TCP ${secs} s per case, ESP AES-128-GCM, zcvpn <-> zcvpn"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') x $(nproc)"
printf '%-10s %-7s %9s %9s %9s %11s %9s\n' variant case Gbit/s "x veth" "x default" "cpu s/GB" "ping ms"
while read -r name c dir rest; do
	[ "$dir" = -R ] || { rest="$dir $rest"; dir=; }
	read -r gbit cpu ping <<<"$rest"
	key="$c${dir:+ -R}"
	veth=$(awk -v k="$key" '$1 == "veth" { c = $2; if ($3 == "-R") c = c " -R"; if (c == k) print ($3 == "-R") ? $4 : $3 }' "$work/results")
	def=$(awk -v k="$key" '$1 == "default" { c = $2; if ($3 == "-R") c = c " -R"; if (c == k) print ($3 == "-R") ? $4 : $3 }' "$work/results")
	printf '%-10s %-7s %9s %9s %9s %11s %9s\n' "$name" "$key" "$gbit" \
		"$(awk -v a="$gbit" -v b="$veth" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
		"$(awk -v a="$gbit" -v b="${def:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
		"$cpu" "$ping"
done <"$work/results"
echo "idle ping ms: veth $idle_veth$(for v in $variants; do k=idle_$(echo "$v" | tr -c 'a-z0-9\n' _); printf ', %s %s' "$v" "${!k}"; done)"
echo "script: PASS tunnel-bench"
