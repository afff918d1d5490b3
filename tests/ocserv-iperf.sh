#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# zcvpn's AnyConnect client against Debian's openconnect, end to end, on the same
# ocserv instance (tests/ocserv-env.sh, set up once).  Each client in turn logs in, must
# bring up DTLS and ping the server's tunnel address, then carries iperf3 TCP for
# IPERF_SECONDS (default 5) in each direction: client->server, then server->client (-R).
# For every run it records the throughput (iperf3 -J end.sum_received) and the client
# process's CPU time (utime+stime from /proc/PID/stat, all threads) over the run,
# divided by the GB received in that run, and the latency under that load: ping through
# the tunnel every 10 ms while iperf3 runs (moderation trades some latency for CPU, so
# both belong in one table).  It prints both clients side by side with the ratios
# zcvpn/openconnect.  The figures are information, not pass/fail criteria; the
# script fails if a client cannot connect or disconnect, or if zcvpn copies anything on
# the DTLS path (its copied_bytes must be what went over CSTP before DTLS was up, if
# anything).  zcvpn disconnects (SIGINT, bounded wait, server's tun gone) before openconnect
# connects.  The binary is $ZCVPN, default ./zcvpn (the build directory under make check);
# $ZCVPN_ARGS adds options to its command line (say --moderation 0, to compare).
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=${ZCVPN:-$(cd "$builddir" && pwd)/zcvpn}
secs=${IPERF_SECONDS:-5}
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
for tool in openconnect iperf3 python3 timeout ss; do
	command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (apt-get install $tool)"; exit 77; }
done
[ -x "$zcvpn" ] || { echo "SKIP: no zcvpn binary at $zcvpn (set ZCVPN)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: needs /dev/net/tun"; exit 77; }
case $secs in '' | *[!0-9]* | 0) echo "FAIL: IPERF_SECONDS must be a positive integer"; exit 1 ;; esac

zc_tun=zcvtun0
oc_tun=zoctun0
client_pid=
iperf_srv_pid=
ping_pid=
cleanup() {
	[ -n "$iperf_srv_pid" ] && kill "$iperf_srv_pid" 2>/dev/null
	[ -n "$ping_pid" ] && kill "$ping_pid" 2>/dev/null
	if [ -n "$client_pid" ]; then
		kill -INT "$client_pid" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$client_pid" 2>/dev/null
	fi
	oc_cleanup
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$OC_DIR"/*.log "$OC_DIR"/*.json "$OC_DIR"/*.out; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 40 "$f"
	done
	exit 1
}

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

# Bounded wait until the client namespace routes the server's tunnel address via $1.
wait_route() {
	for _ in $(seq 100); do
		oc_in_client ip route get "$OC_SERVER_TUN_IP" 2>/dev/null | grep -q "dev $1" && return 0
		sleep 0.1
	done
	return 1
}

# Bounded wait until a process (by PID) is gone after SIGINT; 0 if it exited.
wait_gone() {
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Bounded wait until ocserv's tun for the previous session has gone from the server.
wait_server_idle() {
	for _ in $(seq 100); do
		ip -n "$OC_NS_SRV" -o link show 2>/dev/null | grep -q ': vpns' || return 0
		sleep 0.1
	done
	return 1
}

# ping_avg FILE: the average RTT in ms of a ping summary, or -1 if none came back.
ping_avg() {
	awk -F/ '/^rtt/ {print $5; found = 1} END {if (!found) print -1}' "$1"
}

# udp_drops NS: the namespace's UDP datagrams dropped for a full receive buffer so far.
udp_drops() {
	ip netns exec "$1" awk '$1 == "Udp:" && !n {for (i = 2; i <= NF; i++) f[$i] = i; n = 1; next}
		$1 == "Udp:" {print $f["RcvbufErrors"]}' /proc/net/snmp
}

# run_iperf LABEL DIR PID [-R]: one iperf3 run through the tunnel, with ping every 10 ms
# from 0.5 s in to 1 s before its end; appends "LABEL DIR bytes bits_per_second cpu_ticks
# tcp_retransmits ping_avg_ms udp_drops" to $OC_DIR/results, where udp_drops are those
# of the receiving end's namespace (the server's for client->server): where the tunnel's
# datagrams were lost, which the inner TCP then retransmits.
run_iperf() {
	local label=$1 dir=$2 pid=$3 t0 t1 rx_ns d0 d1
	shift 3
	rx_ns=$OC_NS_SRV
	[ "${1:-}" = -R ] && rx_ns=$OC_NS_CLI
	ip netns exec "$OC_NS_SRV" timeout $((secs + 40)) iperf3 -s -1 -B "$OC_SERVER_TUN_IP" \
		>"$OC_DIR/iperf-s-$label-$dir.log" 2>&1 &
	iperf_srv_pid=$!
	for _ in $(seq 50); do
		ip netns exec "$OC_NS_SRV" ss -ltn 2>/dev/null | grep -q "$OC_SERVER_TUN_IP:5201 " && break
		sleep 0.1
	done
	(sleep 0.5; exec ip netns exec "$OC_NS_CLI" ping -q -n -i 0.01 -c $((secs * 100 - 150)) \
		-w $((secs + 2)) "$OC_SERVER_TUN_IP") >"$OC_DIR/ping-$label-$dir.log" 2>&1 &
	ping_pid=$!
	d0=$(udp_drops "$rx_ns")
	t0=$(ticks "$pid")
	oc_in_client timeout $((secs + 30)) iperf3 -c "$OC_SERVER_TUN_IP" --connect-timeout 5000 \
		-t "$secs" -J "$@" >"$OC_DIR/iperf-$label-$dir.json" 2>"$OC_DIR/iperf-c-$label-$dir.log" ||
		fail "$label: iperf3 $dir failed"
	t1=$(ticks "$pid")
	d1=$(udp_drops "$rx_ns")
	wait "$ping_pid"	# bounded by its -w
	ping_pid=
	[ -n "$t0" ] && [ -n "$t1" ] || fail "$label: the client process went away during iperf3 $dir"
	for _ in $(seq 50); do kill -0 "$iperf_srv_pid" 2>/dev/null || break; sleep 0.1; done
	kill "$iperf_srv_pid" 2>/dev/null
	wait "$iperf_srv_pid" 2>/dev/null
	iperf_srv_pid=
	python3 - "$OC_DIR/iperf-$label-$dir.json" "$label" "$dir" $((t1 - t0)) \
		"$(ping_avg "$OC_DIR/ping-$label-$dir.log")" $((d1 - d0)) >>"$OC_DIR/results" <<'PY' || fail "$label: cannot read iperf3 $dir result"
import json, sys
e = json.load(open(sys.argv[1]))["end"]
r, s = e["sum_received"], e["sum_sent"]
print(sys.argv[2], sys.argv[3], r["bytes"], r["bits_per_second"], sys.argv[4],
      s.get("retransmits", -1), sys.argv[5], sys.argv[6])
PY
}

oc_setup || fail "ocserv setup"
: >"$OC_DIR/results"

# --- zcvpn ---
# Not through the oc_in_client function (a background function is a subshell): ip netns
# exec execs its command, so $! is zcvpn's own PID.  --duration bounds it.
ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --servercert "$OC_PIN" --user "$OC_USER" \
	--passwd-on-stdin --tun "$zc_tun" ${ZCVPN_ARGS:-} --duration $((4 * secs + 120)) "$OC_URL" \
	<<<"$OC_PASS" >"$OC_DIR/zcvpn.out" 2>&1 &
client_pid=$!
sleep 0.1
[ "$(cat "/proc/$client_pid/comm" 2>/dev/null)" = zcvpn ] || fail "zcvpn did not start"
for _ in $(seq 300); do
	grep -q 'DTLS up after' "$OC_DIR/zcvpn.out" && break
	kill -0 "$client_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q 'DTLS up after' "$OC_DIR/zcvpn.out" || fail "zcvpn did not bring up DTLS"
grep -m1 'DTLS up after' "$OC_DIR/zcvpn.out"
wait_route "$zc_tun" || fail "zcvpn: no route to $OC_SERVER_TUN_IP via $zc_tun"
oc_in_client ping -n -c 20 -i 0.05 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/ping-zcvpn.log" 2>&1 ||
	fail "zcvpn: ping through the tunnel"
run_iperf zcvpn fwd "$client_pid"
run_iperf zcvpn rev "$client_pid" -R
kill -INT "$client_pid"
wait_gone "$client_pid" || fail "zcvpn did not exit on SIGINT"
wait "$client_pid"
zc_status=$?
client_pid=
[ "$zc_status" -eq 0 ] || fail "zcvpn exited with status $zc_status"
copied=$(oc_stat "$OC_DIR/zcvpn.out" copied_bytes)
[ -n "$copied" ] || fail "zcvpn printed no copied_bytes"
# ocserv may send a few packets over CSTP before it sees DTLS up; only those are copies.
cstp=$(($(oc_stat "$OC_DIR/zcvpn.out" fallback_rx_bytes) + $(oc_stat "$OC_DIR/zcvpn.out" fallback_tx_bytes)))
wait_server_idle || fail "ocserv still has the zcvpn session's tun"

# --- openconnect, started exactly like ocserv-baseline.sh ---
echo "$OC_PASS" | oc_in_client timeout 20 openconnect --protocol=anyconnect -u "$OC_USER" \
	--passwd-on-stdin --servercert "$OC_PIN" -i "$oc_tun" --pid-file="$OC_DIR/oc.pid" -b \
	"$OC_URL" >"$OC_DIR/openconnect.log" 2>&1 || fail "openconnect did not connect"
client_pid=$(cat "$OC_DIR/oc.pid")
grep -q 'Established DTLS connection' "$OC_DIR/openconnect.log" || fail "openconnect: no DTLS"
grep -o 'Ciphersuite (DTLS.*' "$OC_DIR/openconnect.log"
wait_route "$oc_tun" || fail "openconnect: no route to $OC_SERVER_TUN_IP via $oc_tun"
oc_in_client ping -n -c 20 -i 0.05 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/ping-openconnect.log" 2>&1 ||
	fail "openconnect: ping through the tunnel"
run_iperf openconnect fwd "$client_pid"
run_iperf openconnect rev "$client_pid" -R
kill -INT "$client_pid"
wait_gone "$client_pid" || fail "openconnect did not exit on SIGINT"
client_pid=

# --- report ---
# The inner TCP's congestion control shapes the result (BBR tolerates ocserv's socket
# drops, CUBIC backs off on them), so the report names it.
cc=$(oc_in_client sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo unknown)
echo "iperf3 TCP ($cc), $secs s per direction, same ocserv; CPU = client process utime+stime"
python3 - "$OC_DIR/results" "$hz" "$(ping_avg "$OC_DIR/ping-zcvpn.log")" \
	"$(ping_avg "$OC_DIR/ping-openconnect.log")" <<'PY' || fail "report"
import sys
hz = int(sys.argv[2])
idle = {"zcvpn": float(sys.argv[3]), "openconnect": float(sys.argv[4])}
r = {}
for line in open(sys.argv[1]):
    label, d, nbytes, bps, t, retr, ping, drops = line.split()
    gb = int(nbytes) / 1e9
    r[label, d] = (int(nbytes), float(bps) / 1e6, (int(t) / hz) / gb if gb else float("inf"),
                   int(retr), float(ping), int(drops))
names = {"fwd": "client->server", "rev": "server->client (-R)"}
print("%-12s %-20s %8s %8s %8s %8s %8s %8s" % ("client", "direction", "MB", "Mbit/s",
                                              "CPU s/GB", "TCP retr", "UDP drop", "ping ms"))
for label in ("zcvpn", "openconnect"):
    print("%-12s %-20s %8s %8s %8s %8s %8s %8.2f" % (label, "idle", "", "", "", "", "",
                                                   idle[label]))
    for d in ("fwd", "rev"):
        b, m, c, n, p, u = r[label, d]
        print("%-12s %-20s %8.1f %8.1f %8.2f %8d %8d %8.2f" % (label, names[d], b / 1e6, m, c, n,
                                                             u, p))
print("UDP drop: datagrams the receiving end's socket dropped (full buffer) during the run")
print("ratio zcvpn/openconnect (ping: average RTT through the tunnel under that load):")
for d in ("fwd", "rev"):
    z, o = r["zcvpn", d], r["openconnect", d]
    print("  %-20s throughput %.2fx   CPU per GB %.2fx   ping %.2fx" %
          (names[d], z[1] / o[1], z[2] / o[2], z[4] / o[4] if o[4] > 0 else float("inf")))
PY
echo "zcvpn copied_bytes: $copied (of which over CSTP before DTLS was up: $cstp)"
for s in tx_packets rx_packets tx_errors rx_ring_full rx_bad_icv rx_replay tun_tx_ring_full \
	tun_errors tun_rx_writes tun_rx_coalesced tun_tx_segmented send_calls recv_calls; do
	printf '%s %s  ' "$s" "$(oc_stat "$OC_DIR/zcvpn.out" "$s")"
done
echo
[ "$copied" -eq "$cstp" ] || fail "zcvpn copied $copied bytes, $((copied - cstp)) of them on the DTLS path"
echo "script: PASS ocserv-iperf"
