#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One ESP tunnel over two workers (zcvpn serve|connect --workers, a key file from
# `zcvpn genkey --workers 2`) between two network namespaces: each end's tun is one
# multi-queue device with a queue per worker, worker i on UDP port 4500 + i - 1 with
# its own SA pair.  Checks: the device is multi-queue with both queues attached; ping;
# sixteen TCP transfers at once (eight each way) keep their SHA-256; every worker at both
# ends carried packets, copied nothing and saw no replayed, stale or unknown-SPI
# datagram (a flow split over two workers would show there); a SIGHUP rekeys every
# worker from a new key file and sixteen more transfers stay intact; the client's
# progress lines (--interval) count both workers; SIGINT ends both ends with status 0;
# and a server whose client runs fewer workers says so.  Needs root; uses only the namespaces it creates.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
. "$srcdir/tests/netns-env.sh"
ne_skip_unless python3 ping

ns_a=zcvpn-wa-$$
ns_b=zcvpn-wb-$$
work=$(mktemp -d)
server_pid= client_pid=
cleanup() {
	for p in $client_pid $server_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; tail -n 30 "$f"; done; exit 1; }
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }
value() { python3 "$srcdir/tests/report-value.py" --role "$2" "$work/$1.out" "$3"; }

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ne_link "$ns_a" zcw-a 10.73.0.1/24 "$ns_b" zcw-b 10.73.0.2/24 || fail "veth"
(umask 077 && "$zcvpn" genkey --enc aes128-gcm --workers 2 >"$work/keys")

# Started with ip directly (it execs zcvpn), so $! is zcvpn's pid and signals reach it.
ip netns exec "$ns_b" "$zcvpn" serve --json --local 10.73.0.2:4500 --key-file "$work/keys" \
	--tun zcw-t >"$work/server.out" 2>&1 &
server_pid=$!
wait_for 50 grep -q "server worker 2 ready" "$work/server.out" || fail "server workers did not start"
ip netns exec "$ns_a" "$zcvpn" connect --json --interval 0.5 --remote 10.73.0.2:4500 \
	--key-file "$work/keys" --tun zcw-t --keepalive 1000 >"$work/client.out" 2>&1 &
client_pid=$!
wait_for 50 grep -q "client worker 2 ready" "$work/client.out" || fail "client workers did not start"
in_a ip addr add 10.74.0.1 peer 10.74.0.2 dev zcw-t || fail "client tun"
in_b ip addr add 10.74.0.2 peer 10.74.0.1 dev zcw-t || fail "server tun"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" -d link show zcw-t | grep -q "multi_queue numqueues 2 " ||
		fail "zcw-t in $ns is not a tun with two queues: $(ip -n "$ns" -d link show zcw-t)"
done
echo "ok: both tuns are multi-queue with 2 queues"
wait_for 50 in_a ping -c 1 -W 1 10.74.0.2 >/dev/null 2>&1 || fail "no ping through the tunnel"
in_a ping -c 5 -i 0.2 -W 2 10.74.0.2 >"$work/ping.out" 2>&1 || fail "ping through the tunnel"
echo "ok: ping through the tunnel"

# Sixteen flows at once, eight each way: the kernel's flow hash spreads them over both
# queues (all sixteen on one queue: a chance of 2 in 65,536).
transfers() {	# ROUND
	local pids= i p ret=0
	for i in 1 2 3 4 5 6 7 8; do
		ne_transfer "r$1-up$i" "$ns_a" "$ns_b" 10.74.0.2 $((5100 + i)) 4 "$work" >"$work/t-up$i" &
		pids="$pids $!"
		ne_transfer "r$1-down$i" "$ns_b" "$ns_a" 10.74.0.1 $((5200 + i)) 4 "$work" >"$work/t-down$i" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || ret=1; done
	cat "$work"/t-up? "$work"/t-down?
	return $ret
}
transfers 1 || fail "a transfer through the workers was not intact"

# A rekey of every worker: a new key file in place, SIGHUP to both ends within 2 s.
(umask 077 && "$zcvpn" genkey --enc aes128-gcm --workers 2 >"$work/keys.new") &&
	mv "$work/keys.new" "$work/keys" || fail "new keys"
kill -HUP "$server_pid" "$client_pid"
for side in server client; do
	wait_for 100 sh -c "[ \$(grep -c 'outbound SA .* in use; rekeyed' '$work/$side.out') -eq 2 ]" ||
		fail "$side: not every worker rekeyed"
done
echo "ok: both workers of both ends rekeyed"
transfers 2 || fail "a transfer after the rekey was not intact"

kill -INT "$client_pid"
wait "$client_pid"
rc=$?
client_pid=
[ $rc -eq 0 ] || fail "client exited $rc"
kill -INT "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ $rc -eq 0 ] || fail "server exited $rc"

for side in client server; do
	for w in 1 2; do
		role="$side worker $w"
		rx=$(value "$side" "$role" rx_packets)
		[ "${rx:-0}" -gt 0 ] || fail "$role received nothing: the flows were not spread"
		for c in copied_bytes rx_replay rx_too_old rx_bad_spi rx_bad_icv; do
			v=$(value "$side" "$role" "$c")
			[ "${v:-x}" = 0 ] || fail "$role: $c is ${v:-missing}, want 0"
		done
		echo "ok: $role received $rx packets, copied_bytes 0, no replayed, stale or unknown-SPI datagram"
	done
done
# The progress lines count both workers: together they saw more than either worker
# received alone (all that arrived but the last part-interval before SIGINT).
w1=$(value client "client worker 1" rx_packets)
w2=$(value client "client worker 2" rx_packets)
total=$((w1 + w2))
sum=$(awk '/^\[.*received/ { for (i = 1; i <= NF; i++) if ($i == "received") s += $(i + 1) }
	END { print s + 0 }' "$work/client.out")
[ "$sum" -le "$total" ] && [ "$sum" -gt "$w1" ] && [ "$sum" -gt "$w2" ] ||
	fail "progress lines summed to $sum received packets; the workers received $w1 and $w2"
echo "ok: progress lines every 0.5 s count both workers ($sum of $total packets in them)"
# A peer with fewer workers: the server runs the file's two, the client only the first
# (--workers 1).  Flows the server's tun gives worker 2 go nowhere, and it says so.
ip netns exec "$ns_b" "$zcvpn" serve --local 10.73.0.2:4500 --key-file "$work/keys" \
	--tun zcw-t >"$work/server-mismatch.out" 2>&1 &
server_pid=$!
wait_for 50 grep -q "server worker 2 ready" "$work/server-mismatch.out" || fail "mismatch: server"
ip netns exec "$ns_a" "$zcvpn" connect --remote 10.73.0.2:4500 --key-file "$work/keys" \
	--workers 1 --tun zcw-t >"$work/client-mismatch.out" 2>&1 &
client_pid=$!
wait_for 50 in_a ip link show zcw-t >/dev/null 2>&1 || fail "mismatch: client tun"
in_a ip addr add 10.74.0.1 peer 10.74.0.2 dev zcw-t || fail "mismatch: client address"
in_b ip addr add 10.74.0.2 peer 10.74.0.1 dev zcw-t || fail "mismatch: server address"
warned=
for _ in $(seq 100); do
	in_a ping -c 1 -W 0.2 10.74.0.2 >/dev/null 2>&1	# worker 1 hears the client
	# UDP from 16 source ports: the server's tun hashes some of them to worker 2.
	in_b bash -c 'for i in $(seq 16); do echo x >/dev/udp/10.74.0.1/9; done' 2>/dev/null
	grep -q "server worker 2: .* nothing heard from the peer's worker 2: does the peer run 2 workers" \
		"$work/server-mismatch.out" && { warned=1; break; }
	sleep 0.1
done
[ -n "$warned" ] || fail "a server with more workers than its client did not say so"
echo "ok: $(grep -o "server worker 2: .*" "$work/server-mismatch.out" | head -n 1)"
ne_stop "$client_pid" || fail "mismatch: the client had to be killed"
ne_stop "$server_pid" || fail "mismatch: the server had to be killed"
client_pid= server_pid=
echo "script: PASS esp-workers"
