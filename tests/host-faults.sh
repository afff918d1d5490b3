#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults of the host under a running tunnel: zcvpn serve and zcvpn connect on real tun
# devices in two network namespaces, over ESP and over AnyConnect DTLS (PSK), while a
# ping runs through the tunnel:
#   the peer falls silent (SIGSTOP) and comes back; the route to it goes and comes back;
#   the server crashes (SIGKILL) and starts again: over ESP the same keys go on (with
#   new IVs), over AnyConnect the client's DPD finds DTLS dead and it redials.  The
#   client must not spin on a core meanwhile (its CPU time over the outage is measured)
#   and the tunnel must carry pings again afterwards.
#   The client's tun device is deleted: the client says so and exits non-zero.
# Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
. "$srcdir/tests/netns-env.sh"
ne_skip_unless ping

ns_a=zcvpn-ha-$$
ns_b=zcvpn-hb-$$
work=$(mktemp -d)
client=
server=
cleanup() {
	for p in $client $server; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 30; }; done
	exit 1
}
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }
OUTAGE=3	# seconds each fault lasts
MAX_CPU_MS=150	# the client's CPU over an outage: 5 % of a core, where a spin takes 100 %

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ne_link "$ns_a" zch-a 10.85.0.1/24 "$ns_b" zch-b 10.85.0.2/24 || fail "veth"
(umask 077 && "$zcvpn" genkey --enc aes128-gcm >"$work/keys" && "$zcvpn" genkey --psk >"$work/psk")

# CPU time (user + system, in ms) of a process so far.
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}

start_server() {
	ip netns exec "$ns_b" "$zcvpn" serve --json --tun zch-tb --local 10.85.0.2:4500 \
		"${common[@]}" >>"$work/server.out" 2>&1 &
	server=$!
	disown "$server"	# a crash (SIGKILL) below is meant: no job report for it
	wait_for 50 ip -n "$ns_b" link show zch-tb >/dev/null 2>&1 || fail "$name: no server tun"
	ip -n "$ns_b" addr add 10.86.0.2 peer 10.86.0.1 dev zch-tb && ip -n "$ns_b" link set zch-tb up
}

# Pings through the tunnel until one gets through, 10 s at most.
tunnel_works() {
	wait_for 20 in_a ping -c 1 -W 1 10.86.0.2 >/dev/null 2>&1
}

# An outage: the command that starts it, the one that ends it, and what it is called.
# The client's CPU time is taken over the outage, a ping running through the tunnel.
outage() {
	local what=$1 begin=$2 end=$3 before after
	eval "$begin" || fail "$name: $what: could not start it"
	before=$(cpu_ms "$client")
	in_a ping -q -c $((OUTAGE * 5)) -i 0.2 -W 1 10.86.0.2 >/dev/null 2>&1
	after=$(cpu_ms "$client")
	eval "$end" || fail "$name: $what: could not end it"
	kill -0 "$client" 2>/dev/null || fail "$name: $what: the client exited"
	[ $((after - before)) -le $MAX_CPU_MS ] ||
		fail "$name: $what: the client used $((after - before)) ms of CPU in ${OUTAGE} s"
	tunnel_works || fail "$name: $what: no ping through the tunnel afterwards"
	echo "$name: $what for ${OUTAGE} s: client CPU $((after - before)) ms, tunnel back"
}

run_case() {
	name=$1
	shift
	common=("$@")
	: >"$work/server.out"
	start_server
	ip netns exec "$ns_a" "$zcvpn" connect --json --tun zch-ta --remote 10.85.0.2:4500 \
		"${common[@]}" "${client_extra[@]}" >"$work/client.out" 2>&1 &
	client=$!
	wait_for 50 ip -n "$ns_a" link show zch-ta >/dev/null 2>&1 || fail "$name: no client tun"
	ip -n "$ns_a" addr add 10.86.0.1 peer 10.86.0.2 dev zch-ta && ip -n "$ns_a" link set zch-ta up
	tunnel_works || fail "$name: no ping through the tunnel"

	outage "the server silent (SIGSTOP)" 'kill -STOP $server' 'kill -CONT $server'
	outage "the route to the server gone" \
		'ip -n $ns_a route replace unreachable 10.85.0.2/32' \
		'ip -n $ns_a route del unreachable 10.85.0.2/32'
	# A crash, not a goodbye (after DISCONNECT an AnyConnect client is done).
	outage "the server crashed and restarted" \
		'kill -KILL $server; wait_for 50 sh -c "! kill -0 $server" 2>/dev/null; true' \
		'start_server'
	# Over AnyConnect the tunnel came back by a new handshake, not by chance.
	[ "$name" != anyconnect ] || grep -q "redial" "$work/client.out" ||
		fail "$name: the client did not redial DTLS after the crash"

	ip -n "$ns_a" link del zch-ta || fail "$name: cannot delete the client's tun"
	wait_for 50 sh -c "! kill -0 $client 2>/dev/null" || fail "$name: the client outlived its tun"
	wait "$client"
	rc=$?
	[ "$rc" != 0 ] || fail "$name: the client exited 0 without its tun"
	grep -qi "tun" "$work/client.out" || fail "$name: the client did not say its tun went"
	echo "$name: tun deleted: the client exited $rc: $(grep -i -m1 'tun.*\(gone\|went\|removed\|error\)' "$work/client.out")"
	client=
	# The server was disowned (for the crash), so "wait" does not wait for it: ne_stop
	# polls until it is gone, or the next case's server finds its port still bound.
	ne_stop "$server" || ! kill -0 "$server" 2>/dev/null || fail "$name: the server did not exit"
	server=
	ip -n "$ns_b" link del zch-tb 2>/dev/null
}

client_extra=(--keepalive 1000)
run_case esp --key-file "$work/keys"
# DPD every second on both sides: an outage of 3 s kills DTLS, and the client dials a
# new handshake a second later (to the restarted server after the crash).
client_extra=(--app-id 0102030405060708090a0b0c0d0e0f10 --dtls-redial 1)
run_case anyconnect --protocol anyconnect --psk-file "$work/psk" --cipher aes256-gcm --dpd 1
echo "script: PASS host-faults"
