#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults on the wire: zcvpn serve and zcvpn connect on real tun devices in two network
# namespaces, their UDP through tests/fault_relay.py, which drops 5 %, reorders 5 %,
# delays 1 % by 20 ms (some 20 datagrams later at this rate: late, within the replay
# window), duplicates 1 %, flips a bit in 1 %, truncates 0.5 % and replays 0.5 % of the
# datagrams each way, and cuts the path for a second in the middle.  Over ESP (AES-128-GCM and
# AES-256-CBC+HMAC-SHA256), AnyConnect DTLS (AES-256-GCM and AES-128-CBC-SHA1, PSK)
# and PPP over DTLS (F5's framing, a certificate-verified handshake), a TCP transfer
# through the tunnel must keep its SHA-256, and each receiving engine's counters must
# add up to what the relay sent it: every datagram delivered or dropped under a named
# reason, no damaged, duplicated or replayed one delivered.  Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
MB=${FAULTS_MB:-8}
RATE=${FAULTS_MBIT_S:-12}	# the transfer lasts about 6 s: faults all along, the cut inside

. "$srcdir/tests/netns-env.sh"
ne_skip_unless python3

ns_a=zcvpn-fa-$$
ns_b=zcvpn-fb-$$
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.json; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done
	exit 1
}
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }
value() { python3 "$srcdir/tests/report-value.py" "$@"; }
relay_count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])" "$@"; }

ip netns add "$ns_a" && ip netns add "$ns_b" || fail "cannot create namespaces"
ne_link "$ns_a" zcf-a 10.83.0.1/24 "$ns_b" zcf-b 10.83.0.2/24 || fail "veth"
(umask 077 && "$zcvpn" genkey --psk >"$work/psk")


# Checks one receiving end against what the relay sent it: name, report, relay direction.
check_counters() {
	local name=$1 out=$2 way=$3 sent clean damaged delivered dropped probes
	sent=$(relay_count "$work/relay.json" "$way" out)
	clean=$(relay_count "$work/relay.json" "$way" clean)
	damaged=$(($(relay_count "$work/relay.json" "$way" corrupt) +
		$(relay_count "$work/relay.json" "$way" truncate) +
		$(relay_count "$work/relay.json" "$way" dup) +
		$(relay_count "$work/relay.json" "$way" replay)))
	delivered=$(value "$out" rx_packets)
	# Datagrams for the protocol itself: ESP probes; DPD, keepalives, the handshake and
	# records for the DTLS library (a damaged content type lands there, and the library
	# then fails to authenticate it); PPP's hello and its LCP and IPCP packets.
	control=$(value "$out" rx_probes dpd_rx dpd_req_rx keepalive_rx disconnect_rx \
		handshake_datagrams rx_to_library hello_rx ppp_rx_control |
		awk '{ s += $1 } END { print s + 0 }')
	dropped=$(value "$out" dropped)
	reasons=$(python3 -c '
import json, sys
sys.path.insert(0, sys.argv[2])
from importlib import import_module
r = import_module("report-value").last_report(sys.argv[1])
print(" ".join("%s %d" % (k, v) for k, v in sorted(r["counters"].items())
               if v and k.startswith("rx_") and k not in ("rx_packets", "rx_bytes",
               "rx_probes", "rx_to_library", "rx_gro_runs", "rx_gro_segments", "rx_invalid",
               "rx_ring_mean", "rx_ring_peak")))
' "$out" "$srcdir/tests")
	echo "$name $way: relay sent $sent ($clean clean, $damaged damaged, duplicated or" \
		"replayed); engine delivered $delivered, control $control, dropped $dropped ($reasons)"
	[ $((delivered + control + dropped)) = "$sent" ] ||
		fail "$name $way: delivered + control + dropped is $((delivered + control + dropped)), the relay sent $sent"
	# Everything damaged, duplicated or replayed was dropped: only clean ones got in.
	[ $((dropped + $(value "$out" rx_to_library | awk '{ print $1 + 0 }'))) -ge "$damaged" ] ||
		fail "$name $way: fewer drops than damaged datagrams"
	[ $((delivered + control)) -le "$clean" ] ||
		fail "$name $way: more delivered than the relay forwarded clean"
}

# name, then the zcvpn arguments both ends share; $server_args and $client_args are
# each end's own.
server_args=()
client_args=()
run_case() {
	local name=$1 server client relay
	shift
	echo "== $name"
	rm -f "$work"/*.out "$work/relay.json"
	ip netns exec "$ns_b" "$zcvpn" serve --json --tun zcf-tb --local 127.0.0.1:4500 "$@" \
		"${server_args[@]}" >"$work/server.out" 2>&1 &
	server=$!
	pids+=("$server")
	ip netns exec "$ns_b" python3 "$srcdir/tests/fault_relay.py" --listen 10.83.0.2:5000 \
		--to 127.0.0.1:4500 --seconds 90 --after 1 --cut-at 3 --cut-for 1 \
		--drop 0.05 --reorder 0.05 --delay 0.01 --delay-ms 20 --dup 0.01 --corrupt 0.01 \
		--truncate 0.005 --replay 0.005 \
		--report "$work/relay.json" >"$work/relay.out" 2>&1 &
	relay=$!
	pids+=("$relay")
	sleep 0.5
	ip netns exec "$ns_a" "$zcvpn" connect --json --tun zcf-ta --remote 10.83.0.2:5000 \
		"$@" "${client_args[@]}" >"$work/client.out" 2>&1 &
	client=$!
	pids+=("$client")
	wait_for 50 sh -c "ip -n $ns_a link show zcf-ta && ip -n $ns_b link show zcf-tb" >/dev/null 2>&1
	in_a ip addr add 10.84.0.1 peer 10.84.0.2 dev zcf-ta || fail "$name: no tun in A"
	in_b ip addr add 10.84.0.2 peer 10.84.0.1 dev zcf-tb || fail "$name: no tun in B"
	in_a ip link set zcf-ta up && in_b ip link set zcf-tb up
	sleep 1	# the relay's clean first second is over (a handshake's, for DTLS)
	ne_transfer "$name" "$ns_a" "$ns_b" 10.84.0.2 5001 "$MB" "$work" "$RATE" ||
		fail "$name: the transfer through the faults"
	# The relay stops first, so that what it counts is all either end will ever get;
	# the ends stop once the last datagrams it sent are in.
	sleep 0.5
	kill -TERM "$relay" 2>/dev/null
	for _ in $(seq 50); do [ -s "$work/relay.json" ] && break; sleep 0.1; done
	[ -s "$work/relay.json" ] || fail "$name: no relay report"
	sleep 0.5
	ne_stop "$client" || fail "$name: client did not stop"
	ne_stop "$server" || fail "$name: server did not stop"
	check_counters "$name" "$work/server.out" client_to_server
	check_counters "$name" "$work/client.out" server_to_client
	in_a ip link del zcf-ta 2>/dev/null
	in_b ip link del zcf-tb 2>/dev/null
}

esp_keys() { (umask 077 && "$zcvpn" genkey --enc "$1" --auth "$2" >"$work/keys-$1"); }
esp_keys aes128-gcm none
esp_keys aes256-cbc hmac-sha256-128
client_args=(--keepalive 1000)
run_case esp-aes128-gcm --key-file "$work/keys-aes128-gcm"
run_case esp-aes256-cbc --key-file "$work/keys-aes256-cbc"
client_args=(--app-id 0102030405060708090a0b0c0d0e0f10)
run_case anyconnect-aes256-gcm --protocol anyconnect --psk-file "$work/psk" --cipher aes256-gcm
run_case anyconnect-aes128-cbc --protocol anyconnect --psk-file "$work/psk" --cipher aes128-cbc-sha1
# PPP over DTLS, F5's framing: the DTLS handshake verified by the certificate, the
# hello, then LCP and IPCP over the faulty path.
certs=$srcdir/tests/vectors/certs
server_args=(--cert "$certs/rsa.pem" --key "$certs/rsa-key.pem")
client_args=(--servercert "$(cat "$certs/rsa.pin")")
run_case ppp-f5 --protocol f5 --session 0123456789abcdef
echo "script: PASS faults"
