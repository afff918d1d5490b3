#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real tunnel: two network namespaces joined by a veth pair, zcvpn serve in one and
# zcvpn connect in the other, each on a real tun device.  Ping crosses the tunnel, then
# 32 MB go through it over TCP and their SHA-256 is checked at the far end; both ends
# must report copied_bytes 0, the receiving tun must have taken the data in GSO runs and
# the sending one given it as TSO packets.  Needs root; uses only the namespaces it creates.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces and tun devices)"
	exit 77
fi
if [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	echo "SKIP: needs /dev/net/tun and iproute2"
	exit 77
fi

ns_a=zcvpn-a-$$
ns_b=zcvpn-b-$$
work=$(mktemp -d)
cleanup() {
	[ -n "${client_pid:-}" ] && kill "$client_pid" 2>/dev/null
	[ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ip link add zcv-a netns "$ns_a" type veth peer name zcv-b netns "$ns_b" || fail "veth"
in_a ip addr add 10.77.0.1/24 dev zcv-a && in_a ip link set zcv-a up && in_a ip link set lo up
in_b ip addr add 10.77.0.2/24 dev zcv-b && in_b ip link set zcv-b up && in_b ip link set lo up

(umask 077 && "$zcvpn" genkey --enc aes128-gcm >"$work/keys")
# Started with ip directly (it execs zcvpn), so $! is zcvpn's pid and signals reach it.
ip netns exec "$ns_b" "$zcvpn" serve --json --local 10.77.0.2:4500 --key-file "$work/keys" --tun zct-b \
	>"$work/server.out" 2>&1 &
server_pid=$!
sleep 0.5
ip netns exec "$ns_a" "$zcvpn" connect --json --remote 10.77.0.2:4500 --key-file "$work/keys" --tun zct-a \
	--keepalive 1000 >"$work/client.out" 2>&1 &
client_pid=$!

for _ in $(seq 50); do
	in_a ip link show zct-a >/dev/null 2>&1 && in_b ip link show zct-b >/dev/null 2>&1 && break
	sleep 0.1
done
in_a ip addr add 10.78.0.1 peer 10.78.0.2 dev zct-a || fail "tun in namespace A did not appear"
in_b ip addr add 10.78.0.2 peer 10.78.0.1 dev zct-b || fail "tun in namespace B did not appear"

in_a ping -c 5 -i 0.2 -W 2 10.78.0.2 >"$work/ping.out" 2>&1 || fail "ping through the tunnel"
grep -q ' 0% packet loss' "$work/ping.out" || fail "ping lost packets"

# Bulk transfer with a checksum compared at the far end.
bulk=$srcdir/tests/bulk_transfer.py
report() { python3 "$srcdir/tests/report-value.py" "$1" "$2"; }
ip netns exec "$ns_b" timeout 90 /usr/bin/python3 "$bulk" recv 10.78.0.2 5001 \
	>"$work/recv.out" 2>&1 &
recv_pid=$!
in_a timeout 90 /usr/bin/python3 "$bulk" send 10.78.0.2 5001 32 >"$work/send.out" 2>&1
wait "$recv_pid" || fail "bulk receiver"
read -r sent_n sent_h rate unit <"$work/send.out"
read -r recv_n recv_h <"$work/recv.out"
[ "$sent_n" = "$recv_n" ] && [ "$sent_h" = "$recv_h" ] || fail "bulk transfer mismatch: sent $sent_n $sent_h, received $recv_n $recv_h"

# Stops a zcvpn end and waits for it to print its report, 10 s at most.
stop() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
stop "$client_pid"
stop "$server_pid"
client_pid= server_pid=
# 32 MB is over 20,000 data segments to the server; the client gets the ACKs, of which
# there are far fewer when the server's tun takes the data in GSO runs (one ACK a run).
for side_min in client:50 server:20000; do
	side=${side_min%:*}
	copied=$(report "$work/$side.out" copied_bytes)
	rx=$(report "$work/$side.out" rx_packets)
	[ "$copied" = 0 ] || fail "$side copied $copied payload bytes"
	[ "${rx:-0}" -gt "${side_min#*:}" ] || fail "$side received only ${rx:-0} packets"
done
# The server's tun took the bulk data: its TCP segments must have gone in as GSO runs.
writes=$(report "$work/server.out" tun_rx_writes)
coalesced=$(report "$work/server.out" tun_rx_coalesced)
rx=$(report "$work/server.out" tun_rx_packets)
[ "${coalesced:-0}" -gt 0 ] || fail "server tun coalesced nothing (${writes:-?} writes for ${rx:-?} packets)"
echo "ok: server tun wrote $rx packets in $writes writes ($coalesced coalesced)"
# And the client's tun handed the bulk data over as TSO packets, cut up in the ring.
segmented=$(report "$work/client.out" tun_tx_segmented)
[ "${segmented:-0}" -gt 0 ] || fail "client tun read no TSO packets"
echo "ok: client tun cut $segmented packets out of TSO packets"
echo "ok: ping, 32 MB TCP through the tunnel at $rate $unit, sha256 matches, copied_bytes 0 both ends"
echo "script: PASS esp-netns"
