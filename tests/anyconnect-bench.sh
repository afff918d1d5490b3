#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The AnyConnect benchmark, all on the same namespaces (tests/ocserv-env.sh): Debian's
# ocserv and `zcvpn serve --protocol anyconnect` side by side in the server namespace,
# and four client/server pairs in turn, openconnect->ocserv, zcvpn->ocserv,
# openconnect->zcvpn serve, zcvpn->zcvpn serve.  Each pair: DTLS up, then iperf3 TCP for
# IPERF_SECONDS (default 5) each way; throughput (iperf3's received sum), the client
# process's CPU seconds per GB, and the server's (ocserv: all its processes; zcvpn
# serve: its one).  Then CLIENTS (default 16) zcvpn clients at once against zcvpn serve,
# each from a namespace of its own, iperf3 in every one at the same time: the
# aggregate and the spread between clients.  The figures are information, printed
# side by side with their ratios; the script fails only when a tunnel cannot be set up
# or a run fails.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=${ZCVPN:-$(cd "$builddir" && pwd)/zcvpn}
srcdir=$(cd "$srcdir" && pwd)
secs=${IPERF_SECONDS:-5}
clients=${CLIENTS:-16}
. "$srcdir/tests/ocserv-env.sh"
. "$srcdir/tests/netns-env.sh"
oc_skip_unless_ready
ne_skip_unless openconnect iperf3 python3 ss

zs_url=https://10.91.0.2:4444
zs_ip=10.78.0.1
tag=$$
client_pid=
zs_pid=
pids=()
cleanup() {
	for p in $client_pid "${pids[@]}" $zs_pid; do kill -INT "$p" 2>/dev/null; done
	sleep 0.5
	for p in $client_pid "${pids[@]}" $zs_pid; do kill -9 "$p" 2>/dev/null; done
	for i in $(seq 1 "$clients"); do ip netns del "zcvpn-bc$i-$tag" 2>/dev/null; done
	oc_cleanup
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$OC_DIR"/*.out "$OC_DIR"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 30; }
	done
	exit 1
}
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Every ocserv process's (main, sec-mod and the session's worker).
ocserv_ticks() {
	local sum=0 p
	for p in $(pgrep '^ocserv'); do sum=$((sum + $(ticks "$p"))); done
	echo "$sum"
}
server_ticks() { if [ "$1" = ocserv ]; then ocserv_ticks; else ticks "$zs_pid"; fi; }
wait_gone() { wait_for 100 sh -c "! kill -0 $1 2>/dev/null"; }

oc_setup || fail "ocserv setup"
: >"$OC_DIR/results"
ip netns exec "$OC_NS_SRV" "$zcvpn" serve --json --protocol anyconnect --listen 10.91.0.2:4444 \
	--cert "$OC_DIR/cert.pem" --key "$OC_DIR/key.pem" --passwd "$OC_DIR/passwd" --tun zbs \
	--max-clients "$clients" >"$OC_DIR/zcvpn-serve.out" 2>&1 &
zs_pid=$!
wait_for 50 grep -q listening "$OC_DIR/zcvpn-serve.out" || fail "zcvpn serve did not start"

# iperf3_run NS ADDR PORT [-R]: one run; prints "bytes bits_per_second".
iperf3_run() {
	local ns=$1 addr=$2 port=$3 out
	shift 3
	out=$(mktemp -p "$OC_DIR")
	ip netns exec "$OC_NS_SRV" timeout $((secs + 40)) iperf3 -s -1 -B "$addr" -p "$port" \
		>/dev/null 2>&1 &
	local spid=$!
	wait_for 50 sh -c "ip netns exec $OC_NS_SRV ss -ltn | grep -q '$addr:$port '" ||
		fail "iperf3 server on $addr:$port"
	ip netns exec "$ns" timeout $((secs + 30)) iperf3 -c "$addr" -p "$port" --connect-timeout 5000 \
		-t "$secs" -J "$@" >"$out" 2>&1 || { cat "$out"; return 1; }
	wait "$spid" 2>/dev/null
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["end"]["sum_received"]
print(r["bytes"], r["bits_per_second"])' "$out"
}

# start_client CLIENT URL: the client in the client namespace, PID in client_pid.
start_client() {
	local client=$1 url=$2
	if [ "$client" = openconnect ]; then
		echo "$OC_PASS" | oc_in_client timeout 20 openconnect -u "$OC_USER" --passwd-on-stdin \
			--servercert "$OC_PIN" -i zbctun0 --pid-file="$OC_DIR/oc.pid" -b "$url" \
			>"$OC_DIR/client.out" 2>&1 || fail "openconnect did not connect to $url"
		client_pid=$(cat "$OC_DIR/oc.pid")
		grep -q 'Established DTLS connection' "$OC_DIR/client.out" || fail "openconnect: no DTLS to $url"
	else
		ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --servercert "$OC_PIN" \
			--user "$OC_USER" --passwd-on-stdin --tun zbctun0 --duration $((4 * secs + 120)) "$url" \
			<<<"$OC_PASS" >"$OC_DIR/client.out" 2>&1 &
		client_pid=$!
		wait_for 300 grep -q 'DTLS up after' "$OC_DIR/client.out" || fail "zcvpn: no DTLS to $url"
	fi
}

# pair CLIENT SERVER: both directions, appended to results.
pair() {
	local client=$1 server=$2 url=$OC_URL addr=$OC_SERVER_TUN_IP dir c0 s0 r
	if [ "$server" = zcvpn-serve ]; then url=$zs_url; addr=$zs_ip; fi
	start_client "$client" "$url"
	wait_for 100 sh -c "ip netns exec $OC_NS_CLI ip route get $addr 2>/dev/null | grep -q zbctun0" ||
		fail "$client->$server: no route to $addr"
	oc_in_client ping -n -c 5 -i 0.1 -W 2 "$addr" >/dev/null 2>&1 || fail "$client->$server: ping"
	for dir in fwd rev; do
		c0=$(ticks "$client_pid")
		s0=$(server_ticks "$server")
		r=$(iperf3_run "$OC_NS_CLI" "$addr" 5201 $([ $dir = rev ] && echo -R)) ||
			fail "$client->$server: iperf3 $dir: $r"
		echo "$client $server $dir $r $(( $(ticks "$client_pid") - c0 ))" \
			"$(( $(server_ticks "$server") - s0 ))" >>"$OC_DIR/results"
	done
	kill -INT "$client_pid"
	wait_gone "$client_pid" || fail "$client did not exit on SIGINT"
	client_pid=
	# The server's tun for the session goes with it: wait, so the next pair starts clean.
	wait_for 100 sh -c "! ip -n $OC_NS_SRV -o link show | grep -q ': vpns\|: zbs'" ||
		fail "$server still holds the session's tun"
}

pair openconnect ocserv
pair zcvpn ocserv
pair openconnect zcvpn-serve
pair zcvpn zcvpn-serve

# ---- CLIENTS zcvpn clients at once, each from its own namespace ------------------------
for i in $(seq 1 "$clients"); do
	ns=zcvpn-bc$i-$tag
	ip netns add "$ns" || fail "cannot create $ns"
	ip link add "zbc$i" netns "$OC_NS_SRV" type veth peer name eth0 netns "$ns" || fail "veth $i"
	ip -n "$OC_NS_SRV" addr add "10.94.$i.1/24" dev "zbc$i"
	ip -n "$OC_NS_SRV" link set "zbc$i" up
	ip -n "$ns" addr add "10.94.$i.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add 10.91.0.0/24 via "10.94.$i.1"
	ip netns exec "$ns" "$zcvpn" connect --protocol anyconnect --servercert "$OC_PIN" \
		--user "$OC_USER" --passwd-on-stdin --tun zbc0 --duration $((4 * secs + 120)) "$zs_url" \
		<<<"$OC_PASS" >"$OC_DIR/many$i.out" 2>&1 &
	pids[i]=$!
done
for i in $(seq 1 "$clients"); do
	wait_for 300 grep -q 'DTLS up after' "$OC_DIR/many$i.out" || fail "client $i of $clients: no DTLS"
done
for dir in fwd rev; do
	s0=$(ticks "$zs_pid")
	runs=()
	for i in $(seq 1 "$clients"); do
		iperf3_run "zcvpn-bc$i-$tag" "$zs_ip" $((5300 + i)) $([ $dir = rev ] && echo -R) \
			>"$OC_DIR/many-$dir-$i.res" 2>&1 &
		runs+=($!)
	done
	for p in "${runs[@]}"; do wait "$p" || fail "an iperf3 run of the $clients clients failed ($dir)"; done
	[ "$(cat "$OC_DIR"/many-$dir-*.res | grep -c ' ')" -ge "$clients" ] ||
		fail "not every one of $clients iperf3 runs gave a result ($dir)"
	echo "many $dir $(( $(ticks "$zs_pid") - s0 )) $(cat "$OC_DIR"/many-$dir-*.res | tr '\n' ' ')" \
		>>"$OC_DIR/many"
done
for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${pids[@]}"; do wait_gone "$p"; done
pids=()

# ---- the report ------------------------------------------------------------------------
cc=$(oc_in_client sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo unknown)
echo "iperf3 TCP ($cc), $secs s each way, one pair at a time on the same namespaces;"
echo "CPU = utime+stime of the client process, and of the server (ocserv: all its processes)"
python3 - "$OC_DIR/results" "$OC_DIR/many" "$hz" "$clients" <<'PY' || fail "report"
import statistics, sys
hz, n = int(sys.argv[3]), int(sys.argv[4])
r = {}
for line in open(sys.argv[1]):
    c, s, d, nbytes, bps, ct, st = line.split()
    gb = int(nbytes) / 1e9
    r[c, s, d] = (float(bps) / 1e6, int(ct) / hz / gb, int(st) / hz / gb)
names = {"fwd": "client->server", "rev": "server->client"}
print("%-12s %-12s %-15s %9s %12s %12s" % ("client", "server", "direction", "Mbit/s",
                                           "client s/GB", "server s/GB"))
for (c, s, d), (m, cc, sc) in r.items():
    print("%-12s %-12s %-15s %9.1f %12.2f %12.2f" % (c, s, names[d], m, cc, sc))
print("ratios:")
for d in ("fwd", "rev"):
    z, o = r["zcvpn", "zcvpn-serve", d], r["openconnect", "zcvpn-serve", d]
    base = r["openconnect", "ocserv", d]
    zo = r["zcvpn", "ocserv", d]
    print("  %-15s against zcvpn serve: zcvpn/openconnect throughput %.2fx, client CPU/GB %.2fx"
          % (names[d], z[0] / o[0], z[1] / o[1]))
    print("  %-15s zcvpn->zcvpn serve / openconnect->ocserv: throughput %.2fx, client CPU/GB"
          " %.2fx, server CPU/GB %.2fx" % (names[d], z[0] / base[0], z[1] / base[1], z[2] / base[2]))
    print("  %-15s against ocserv: zcvpn/openconnect throughput %.2fx, client CPU/GB %.2fx"
          % (names[d], zo[0] / base[0], zo[1] / base[1]))
print("%d zcvpn clients at once against one zcvpn serve:" % n)
for line in open(sys.argv[2]):
    f = line.split()
    d, st = f[1], int(f[2])
    pairs = [(int(f[i]), float(f[i + 1]) / 1e6) for i in range(3, len(f), 2)]
    total_gb = sum(b for b, _ in pairs) / 1e9
    mbit = [m for _, m in pairs]
    print("  %-15s aggregate %8.1f Mbit/s; per client min %.1f median %.1f max %.1f"
          " (max/min %.2f); server CPU %.2f s/GB"
          % (names[d], sum(mbit), min(mbit), statistics.median(mbit), max(mbit),
             max(mbit) / min(mbit) if min(mbit) else float("inf"), st / hz / total_gb))
PY
echo "script: PASS anyconnect-bench"
