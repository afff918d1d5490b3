#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The tunnel benchmark, all in one run on the same two namespaces joined by a veth: the
# bare veth (the ceiling), then zcvpn serve <-> zcvpn connect on real tun devices over
# ESP AES-128-GCM (keys from genkey) and over AnyConnect DTLS (`serve --protocol
# anyconnect` with a password file, the client logging in; AES-256-GCM), each once as it
# runs by default and once per feature turned off (PROTOCOLS, default "esp anyconnect";
# VARIANTS, default "default --no-gro --workers=2": each word is extra options for both
# ends; --workers=N is ESP's alone, with a key file of N SA pairs, and measures the
# tunnel spread over N engines on the queues of a multi-queue tun).
# For each: iperf3 TCP for IPERF_SECONDS (default 5) client->server and server->client,
# with 1 and with 4 streams; throughput (iperf3's received sum), CPU seconds per GB of
# both zcvpn processes together (utime+stime of all their threads over the run), and
# ping through the tunnel every 10 ms under that load (and idle, before).  Then UDP
# client->server at full speed with 64- and 1300-byte payloads: packets per second
# received through the tunnel (and the share lost).  The table
# gives each figure beside the veth's and the default's.  Information, not pass/fail:
# the script fails only when a tunnel cannot be set up or an iperf3 run fails, and
# checks copied_bytes 0 at both ends and, by default, that GRO runs were received.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=${ZCVPN:-$(cd "$builddir" && pwd)/zcvpn}
srcdir=$(cd "$srcdir" && pwd)
secs=${IPERF_SECONDS:-5}
variants=${VARIANTS:-default --no-gro --workers=2}
protocols=${PROTOCOLS:-esp anyconnect}
. "$srcdir/tests/netns-env.sh"
ne_skip_unless iperf3 python3 ping
case " $protocols " in *" anyconnect "*) ne_skip_unless ocpasswd ;; esac

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
# The ticks of PID's tun thread (named zcvpn-tun); the rest of its ticks are the engine's
# (and, in an AnyConnect server, its sessions' threads).
tun_ticks() {
	local sum=0 t
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = zcvpn-tun ] &&
			sum=$((sum + $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)))
	done
	echo "$sum"
}
report() { python3 "$srcdir/tests/report-value.py" "$1" "$2"; }

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ne_link "$ns_a" zcb-a 10.79.0.1/24 "$ns_b" zcb-b 10.79.0.2/24 || fail "veth"
(umask 077 && "$zcvpn" genkey --enc aes128-gcm >"$work/keys")
# The key file for a variant's options: one SA pair per worker.
keys_for() {	# OPTS
	local n
	case " $1 " in *" --workers="*) n=${1##*--workers=}; n=${n%% *} ;; *) echo "$work/keys"; return ;; esac
	[ -f "$work/keys-$n" ] || (umask 077 && "$zcvpn" genkey --enc aes128-gcm --workers "$n" >"$work/keys-$n")
	echo "$work/keys-$n"
}
# The roles of an end's reports: one per worker with --workers=N, else the end's own.
roles_of() {	# SIDE OPTS
	local n
	case " $2 " in *" --workers="*) n=${2##*--workers=}; n=${n%% *}
		for i in $(seq "$n"); do echo "$1 worker $i"; done ;; *) echo "$1" ;; esac
}
cert=$srcdir/tests/vectors/certs/rsa.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
if command -v ocpasswd >/dev/null; then
	printf 'bench-pw\nbench-pw\n' | ocpasswd -c "$work/passwd" bench || fail "ocpasswd"
fi
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

# One UDP run of SIZE-byte payloads, as fast as iperf3 can: prints "KPPS LOST_PERCENT".
udp_run() {	# ADDR SIZE LABEL
	local out=$work/$3.json
	in_a iperf3 -c "$1" -u -b 0 -l "$2" -t "$secs" -J >"$out" 2>&1 || fail "iperf3 $3"
	python3 - "$out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum"]
got = s["packets"] - s["lost_packets"]
print("%.1f %.1f" % (got / s["seconds"] / 1e3, 100.0 * s["lost_packets"] / max(s["packets"], 1)))
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
		t0=0 th0=
		for p in "$@"; do t0=$((t0 + $(ticks "$p"))); th0="$th0 $(ticks "$p") $(tun_ticks "$p")"; done
		ping_avg "$addr" $((secs * 80)) >"$work/ping" &
		ping_pid=$!
		r=$(iperf_run "$addr" "$streams" "$dir" "$name-$streams$dir")
		wait "$ping_pid"
		ping_pid=
		t1=0 th1=
		for p in "$@"; do t1=$((t1 + $(ticks "$p"))); th1="$th1 $(ticks "$p") $(tun_ticks "$p")"; done
		read -r gbit gb <<<"$r"
		[ $# -gt 0 ] && awk -v a="$th0" -v b="$th1" -v hz="$hz" -v gb="$gb" -v n="$name" \
			-v c="P$streams${dir:+ -R}" 'BEGIN {
				split(a, x, " "); split(b, y, " "); out = n " " c
				for (i = 1; i <= 4; i += 2) {
					all = (y[i] - x[i]) / hz / gb; tun = (y[i + 1] - x[i + 1]) / hz / gb
					out = out sprintf(" %.2f %.2f", all - tun, tun)
				}
				print out }' >>"$work/threads"
		cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v gb="$gb" -v n=$# \
			'BEGIN { if (n == 0 || gb <= 0) print "-"; else printf "%.2f", t / hz / gb }')
		echo "$name P$streams${dir:+ -R} $gbit $cpu $(cat "$work/ping")" >>"$work/results"
	done
	for size in 64 1300; do
		echo "$name $size $(udp_run "$addr" "$size" "$name-udp$size")" >>"$work/udp"
	done
}

stop() {
	ne_stop "$1"
	wait "$1" 2>/dev/null	# reaped: its report is complete
}

: >"$work/results"
idle_veth=$(ping_avg 10.79.0.2 50)
measure veth 10.79.0.2

# Starts the server and the client for PROTO with extra OPTS, both tuns up and
# addressed; sets server_pid, client_pid and far (the server's tunnel address).
start_pair() {	# PROTO NAME OPTS
	local proto=$1 name=$2 opts=$3
	if [ "$proto" = esp ]; then
		# shellcheck disable=SC2086
		ip netns exec "$ns_b" "$zcvpn" serve --json --local 10.79.0.2:4500 \
			--key-file "$(keys_for "$opts")" --tun zct-b $opts >"$work/server-$name.out" 2>&1 &
		server_pid=$!
		wait_for 50 in_b ip link show zct-b >/dev/null 2>&1 || fail "$name: server tun did not appear"
		# shellcheck disable=SC2086
		ip netns exec "$ns_a" "$zcvpn" connect --json --remote 10.79.0.2:4500 \
			--key-file "$(keys_for "$opts")" --tun zct-a --keepalive 1000 $opts \
			>"$work/client-$name.out" 2>&1 &
		client_pid=$!
		wait_for 50 in_a ip link show zct-a >/dev/null 2>&1 || fail "$name: client tun did not appear"
		in_a ip addr add 10.78.0.1 peer 10.78.0.2 dev zct-a || fail "$name: client address"
		in_b ip addr add 10.78.0.2 peer 10.78.0.1 dev zct-b || fail "$name: server address"
		far=10.78.0.2
	else
		ip netns exec "$ns_b" "$zcvpn" serve --json --protocol anyconnect \
			--listen 10.79.0.2:4443 --cert "$cert" --key "${cert%.pem}-key.pem" \
			--passwd "$work/passwd" --tun zcs >"$work/server-$name.out" 2>&1 &
		server_pid=$!
		wait_for 50 grep -q listening "$work/server-$name.out" || fail "$name: server did not start"
		# shellcheck disable=SC2086
		ip netns exec "$ns_a" "$zcvpn" connect --json --protocol anyconnect --servercert "$pin" \
			--user bench --passwd-on-stdin --tun zcc0 $opts https://10.79.0.2:4443/ \
			<<<bench-pw >"$work/client-$name.out" 2>&1 &
		client_pid=$!
		wait_for 300 grep -q 'DTLS up after' "$work/client-$name.out" || fail "$name: no DTLS"
		far=10.78.0.1
		wait_for 100 sh -c "ip netns exec $ns_a ip route get $far 2>/dev/null | grep -q zcc0" ||
			fail "$name: no route to $far"
	fi
	in_a ping -c 3 -i 0.2 -W 2 "$far" >/dev/null 2>&1 || fail "$name: no ping through the tunnel"
}

for proto in $protocols; do
	for v in $variants; do
		case "$proto $v" in anyconnect\ --workers=*) continue ;; esac
		opts=
		[ "$v" = default ] || opts=$v
		name=$proto$([ "$v" = default ] || echo "$v")
		start_pair "$proto" "$name" "$opts"
		eval "idle_$(echo "$name" | tr -c 'a-z0-9\n' _)=$(ping_avg "$far" 50)"
		measure "$name" "$far" "$client_pid" "$server_pid"
		kill -INT "$client_pid" 2>/dev/null
		stop "$client_pid"
		stop "$server_pid"
		client_pid= server_pid=
		# The server's session report is its role's line (AnyConnect) or the only one.
		for side in client server; do
			[ "$side$proto" = serveranyconnect ] && roles=server || roles=$(roles_of "$side" "$opts")
			while read -r role; do
				copied=$(python3 "$srcdir/tests/report-value.py" --role "$role" \
					"$work/$side-$name.out" copied_bytes)
				[ "$proto" = esp ] && [ "$copied" != 0 ] && fail "$name: $role copied ${copied:-?} bytes"
				# A worker that carried nothing would mean the flows were not spread.
				case $role in *worker*)
					rx=$(python3 "$srcdir/tests/report-value.py" --role "$role" \
						"$work/$side-$name.out" rx_packets)
					[ "${rx:-0}" -gt 0 ] || fail "$name: $role received nothing"
					role="$role (received $rx packets)" ;;
				esac
				# Over CSTP before DTLS came up, a few packets are copied; that is all.
				echo "$name: $role copied_bytes ${copied:-?}"
			done <<<"$roles"
		done
		if [ "$v" = default ]; then
			runs=$(python3 "$srcdir/tests/report-value.py" $([ "$proto" = anyconnect ] &&
				echo --role server) "$work/server-$name.out" rx_gro_runs)
			segs=$(python3 "$srcdir/tests/report-value.py" $([ "$proto" = anyconnect ] &&
				echo --role server) "$work/server-$name.out" rx_gro_segments)
			[ "${runs:-0}" -gt 0 ] || fail "$name: the server received no GRO runs"
			echo "$name: the server received $segs datagrams in $runs GRO runs" \
				"($(awk -v s="${segs:-0}" -v r="$runs" 'BEGIN { printf "%.1f", s / r }') a run)"
		fi
	done
done

echo
echo "Tunnel benchmark: iperf3 TCP ${secs} s per case, zcvpn <-> zcvpn (ESP AES-128-GCM, AnyConnect DTLS AES-256-GCM)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') x $(nproc)"
printf '%-18s %-7s %9s %9s %9s %11s %9s\n' variant case Gbit/s "x veth" "x default" "cpu s/GB" "ping ms"
while read -r name c dir rest; do
	[ "$dir" = -R ] || { rest="$dir $rest"; dir=; }
	read -r gbit cpu ping <<<"$rest"
	key="$c${dir:+ -R}"
	veth=$(awk -v k="$key" '$1 == "veth" { c = $2; if ($3 == "-R") c = c " -R"; if (c == k) print ($3 == "-R") ? $4 : $3 }' "$work/results")
	base=${name%%-*}
	def=$(awk -v k="$key" -v n="$base" '$1 == n { c = $2; if ($3 == "-R") c = c " -R"; if (c == k) print ($3 == "-R") ? $4 : $3 }' "$work/results")
	printf '%-18s %-7s %9s %9s %9s %11s %9s\n' "$name" "$key" "$gbit" \
		"$(awk -v a="$gbit" -v b="$veth" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
		"$(awk -v a="$gbit" -v b="$([ "$base" = veth ] || echo "${def:-0}")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
		"$cpu" "$ping"
done <"$work/results"
echo
echo "UDP client->server, iperf3 -u -b 0: thousands of packets per second received (lost %)"
printf '%-18s %16s %16s\n' variant "64 B" "1300 B"
awk '{ v[$1] = v[$1] sprintf(" %10s (%4s%%)", $3, $4); if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
	END { for (i = 1; i <= n; i++) printf "%-18s%s\n", order[i], v[order[i]] }' "$work/udp"
echo
echo "CPU s/GB by thread (engine: all but the tun thread) and wakeups per GB (all four cases)"
printf '%-18s %-7s %11s %11s %11s %11s\n' variant case "cli engine" "cli tun" "srv engine" "srv tun"
while read -r name c dir rest; do
	[ "$dir" = -R ] || { rest="$dir $rest"; dir=; }
	# shellcheck disable=SC2086
	printf '%-18s %-7s %11s %11s %11s %11s\n' "$name" "$c${dir:+ -R}" $rest
done <"$work/threads"
# A counter of one end, summed over its workers' reports (an AnyConnect server: its session's).
end_counter() {	# SIDE NAME COUNTER
	local side=$1 name=$2 opts= sum=0 v roles role
	case $name in *--workers=*) opts=--workers=${name##*--workers=} ;; esac
	case $side$name in serveranyconnect*) roles=server ;; *) roles=$(roles_of "$side" "$opts") ;; esac
	while read -r role; do
		v=$(python3 "$srcdir/tests/report-value.py" --role "$role" "$work/$side-$name.out" "$3")
		sum=$((sum + ${v:-0}))
	done <<<"$roles"
	echo "$sum"
}
per_gb() { awk -v v="$1" -v g="$2" 'BEGIN { printf "%.0f", v / g }'; }
for f in "$work"/client-*.out; do
	name=${f##*/client-}
	name=${name%.out}
	gb=$(awk -v n="$name" '$1 == n { g += ($3 == "-R" ? $4 : $3) } END { print g * '"$secs"' / 8 }' "$work/results")
	first=$(roles_of client "$(case $name in *--workers=*) echo "--workers=${name##*--workers=}" ;; esac)" | head -n 1)
	echo "$name: per GB: client $(per_gb "$(end_counter client "$name" engine_wakeups)" "$gb") engine wakeups," \
		"$(per_gb "$(end_counter client "$name" tun_wakeups)" "$gb") tun wakeups;" \
		"server $(per_gb "$(end_counter server "$name" engine_wakeups)" "$gb") engine," \
		"$(per_gb "$(end_counter server "$name" tun_wakeups)" "$gb") tun;" \
		"client ($first) tx ring mean/peak $(python3 "$srcdir/tests/report-value.py" --role "$first" "$f" tx_ring_mean)/$(python3 "$srcdir/tests/report-value.py" --role "$first" "$f" tx_ring_peak) B"
done
echo "idle ping ms: veth $idle_veth$(for p in $protocols; do for v in $variants; do n=$p$([ "$v" = default ] || echo "$v"); k=idle_$(echo "$n" | tr -c 'a-z0-9\n' _); printf ', %s %s' "$n" "${!k}"; done; done)"
echo "script: PASS tunnel-bench"
