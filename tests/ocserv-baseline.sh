#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The reference point for the Cisco DTLS work: Debian's own openconnect client against
# Debian's ocserv in two network namespaces (tests/ocserv-env.sh).  It must connect
# over DTLS, ping through the tunnel, carry 16 MB over TCP with the SHA-256 checked at
# the far end, and disconnect cleanly.  It also prints iperf3 TCP throughput and the
# client's CPU seconds per GB: the figures zcvpn's AnyConnect client is measured against.
set -u
srcdir=${srcdir:-.}
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
for tool in openconnect iperf3; do
	command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (apt-get install $tool)"; exit 77; }
done

client_pid=
cleanup() {
	[ -n "$client_pid" ] && kill -INT "$client_pid" 2>/dev/null
	sleep 0.5
	oc_cleanup
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$OC_DIR"/*.log 2>/dev/null | tail -n 40; exit 1; }

oc_setup || fail "ocserv setup"
echo "$OC_PASS" | oc_in_client timeout 20 openconnect --protocol=anyconnect -u "$OC_USER" \
	--passwd-on-stdin --servercert "$OC_PIN" -i zoctun0 --pid-file="$OC_DIR/oc.pid" -b \
	"$OC_URL" >"$OC_DIR/client.log" 2>&1 || fail "openconnect did not connect"
client_pid=$(cat "$OC_DIR/oc.pid")
grep -q 'Established DTLS connection' "$OC_DIR/client.log" || fail "no DTLS"
grep -o 'Ciphersuite (DTLS.*' "$OC_DIR/client.log"
# vpnc-script configures the interface around the time openconnect goes to background.
for _ in $(seq 50); do
	oc_in_client ip route get "$OC_SERVER_TUN_IP" 2>/dev/null | grep -q zoctun0 && break
	sleep 0.1
done

oc_in_client ping -c 3 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/ping.log" 2>&1 ||
	fail "ping through the tunnel"

bulk=$srcdir/tests/bulk_transfer.py
ip netns exec "$OC_NS_SRV" timeout 60 /usr/bin/python3 "$bulk" recv "$OC_SERVER_TUN_IP" 5001 \
	>"$OC_DIR/recv.log" 2>&1 &
recv_pid=$!
oc_in_client timeout 60 /usr/bin/python3 "$bulk" send "$OC_SERVER_TUN_IP" 5001 16 >"$OC_DIR/send.log" 2>&1
wait "$recv_pid"
read -r sent_n sent_h _ <"$OC_DIR/send.log"
[ "$sent_n $sent_h" = "$(cat "$OC_DIR/recv.log")" ] ||
	fail "bulk transfer mismatch: $(cat "$OC_DIR/send.log") vs $(cat "$OC_DIR/recv.log")"

# Reference figures (information, not a pass/fail criterion).
ip netns exec "$OC_NS_SRV" iperf3 -s -1 -B "$OC_SERVER_TUN_IP" -D --logfile "$OC_DIR/iperf-s.log"
sleep 0.3
ticks() { awk '{print $14 + $15}' "/proc/$client_pid/stat"; }
t0=$(ticks)
oc_in_client iperf3 -c "$OC_SERVER_TUN_IP" -t 3 -J >"$OC_DIR/iperf.json" 2>/dev/null
t1=$(ticks)
/usr/bin/python3 - "$OC_DIR/iperf.json" $((t1 - t0)) "$(getconf CLK_TCK)" <<'PY' || true
import json, sys
e = json.load(open(sys.argv[1]))["end"]
gb = e["sum_sent"]["bytes"] / 1e9
cpu = int(sys.argv[2]) / int(sys.argv[3])
print("openconnect baseline: iperf3 TCP %.0f Mbit/s, client CPU %.2f s per GB"
      % (e["sum_received"]["bits_per_second"] / 1e6, cpu / gb))
PY

kill -INT "$client_pid"
for _ in $(seq 50); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$client_pid" 2>/dev/null && fail "openconnect did not exit on SIGINT"
client_pid=
echo "ok: DTLS, ping, 16 MB with matching SHA-256, clean disconnect"
echo "script: PASS ocserv-baseline"
