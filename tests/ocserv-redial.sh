#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DTLS comes back after an outage, against Debian's ocserv (tests/ocserv-env.sh, DPD
# 1 s).  `zcvpn connect --dtls-redial 2` brings DTLS up; then, with a ping running every
# 100 ms, the UDP path dies both ways (policy routing drops the tunnel's datagrams where
# they arrive; TCP, so CSTP, is untouched).  zcvpn must declare DTLS dead and carry the
# ping over CSTP; once the path is back, it must redial DTLS from a new source port
# (ocserv hands that port's ClientHello to the session it names) and be up again within
# seconds.  Then 20 MB cross the tunnel with the SHA-256 checked at the far end, and the
# only copies are what went over CSTP.  PSK-NEGOTIATE and legacy DTLS 1.2.  Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

client_pid=
ping_pid=
cleanup() {
	[ -n "$ping_pid" ] && kill "$ping_pid" 2>/dev/null
	[ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null
	sleep 0.3
	oc_cleanup
}
trap cleanup EXIT

# wait_for FILE TEXT TENTHS: bounded wait until FILE contains TEXT.
wait_for() {
	for _ in $(seq "$3"); do
		grep -q "$2" "$1" && return 0
		kill -0 "$client_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

OC_DPD=1
oc_setup || oc_fail "ocserv setup"
echo "$OC_PASS" >"$OC_DIR/password"
oc_udp_outage_setup

# mode name, zcvpn options
run_mode() {
	local name=$1 opts=$2 out="$OC_DIR/$1.out" tun=zrd-$1 copied cstp_bytes loss dtls_tx
	echo "== $name"
	# shellcheck disable=SC2086
	ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --duration 120 \
		--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun "$tun" \
		--dtls-redial 2 $opts "$OC_URL" <"$OC_DIR/password" >"$out" 2>&1 &
	client_pid=$!
	wait_for "$out" 'DTLS up after' 100 || oc_fail "$name: DTLS not up in 10 s"
	oc_in_client ping -c 3 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/$name-ping.log" 2>&1 ||
		oc_fail "$name: ping through the tunnel"

	oc_in_client ping -q -n -i 0.1 -c 100 -W 1 "$OC_SERVER_TUN_IP" \
		>"$OC_DIR/$name-ping-outage.log" 2>&1 &
	ping_pid=$!
	sleep 0.5
	oc_udp_path block 4443 || oc_fail "$name: cannot block UDP"
	wait_for "$out" 'DTLS failed' 100 || oc_fail "$name: DTLS not declared dead in 10 s"
	sleep 2		# the ping goes over CSTP now
	oc_udp_path unblock 4443 || oc_fail "$name: cannot unblock UDP"
	wait_for "$out" 'DTLS up again' 150 || oc_fail "$name: DTLS not back in 15 s"
	grep -E 'DTLS (failed|up again)' "$out"
	wait "$ping_pid"
	ping_pid=
	loss=$(grep -o '[0-9.]*% packet loss' "$OC_DIR/$name-ping-outage.log" | cut -d% -f1)
	echo "$name: ping every 100 ms through the outage: ${loss:-?}% lost"
	# Lost only while DTLS was dying (2 x DPD): the rest went over CSTP, then DTLS again.
	awk -v l="${loss:-100}" 'BEGIN { exit !(l < 50) }' ||
		oc_fail "$name: ${loss:-?}% of the pings lost across the outage"

	bulk=$srcdir/tests/bulk_transfer.py
	ip netns exec "$OC_NS_SRV" timeout 60 python3 "$bulk" recv "$OC_SERVER_TUN_IP" 5001 \
		>"$OC_DIR/$name-recv.log" 2>&1 &
	local recv_pid=$!
	oc_in_client timeout 60 python3 "$bulk" send "$OC_SERVER_TUN_IP" 5001 20 \
		>"$OC_DIR/$name-send.log" 2>&1
	wait "$recv_pid"
	read -r sent_n sent_h _ <"$OC_DIR/$name-send.log"
	[ "$sent_n $sent_h" = "$(cat "$OC_DIR/$name-recv.log")" ] ||
		oc_fail "$name: bulk transfer mismatch after the redial"

	kill -TERM "$client_pid"
	for _ in $(seq 50); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$client_pid" 2>/dev/null && oc_fail "$name: zcvpn did not exit on SIGTERM"
	wait "$client_pid" || oc_fail "$name: zcvpn exit status $?"
	client_pid=

	[ "$(oc_stat "$out" dtls_redials)" -ge 1 ] || oc_fail "$name: no redial counted"
	[ "$(oc_stat "$out" fallback_tx_packets)" -ge 1 ] || oc_fail "$name: nothing went over CSTP"
	[ "$(oc_stat "$out" rx_bad_icv)" = 0 ] || oc_fail "$name: rx_bad_icv $(oc_stat "$out" rx_bad_icv)"
	copied=$(oc_stat "$out" copied_bytes)
	cstp_bytes=$(($(oc_stat "$out" fallback_rx_bytes) + $(oc_stat "$out" fallback_tx_bytes)))
	[ "$copied" -eq "$cstp_bytes" ] ||
		oc_fail "$name: copied_bytes $copied, of which only $cstp_bytes went over CSTP"
	dtls_tx=$(($(oc_stat "$out" tx_packets) - $(oc_stat "$out" fallback_tx_packets)))
	[ "$dtls_tx" -ge 10000 ] ||
		oc_fail "$name: only $dtls_tx packets out over DTLS: the 20 MB took CSTP"
	echo "$name: $(oc_stat "$out" dtls_redials) redial(s), $(oc_stat "$out" fallback_tx_packets)" \
		"packets out over CSTP meanwhile, 20 MB checked over DTLS after;" \
		"copied_bytes $copied, all of it CSTP"
}

run_mode psk ""
run_mode legacy12 "--dtls legacy"
echo "ok: DTLS redialled after an outage in PSK-NEGOTIATE and legacy DTLS 1.2 modes"
echo "script: PASS ocserv-redial"
