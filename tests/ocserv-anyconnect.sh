#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# zcvpn's AnyConnect client against a real server: Debian's ocserv in a network
# namespace (tests/ocserv-env.sh).  For each DTLS mode (PSK-NEGOTIATE; legacy DTLS 1.2
# AES-GCM; legacy DTLS 0.9 AES-CBC-SHA1) `zcvpn connect` logs in over CSTP, brings up
# DTLS and configures its tun device; then a ping crosses the tunnel, 100 MB go through
# it over TCP with the SHA-256 checked at the far end, an idle spell shows DPD requests
# answered (ocserv runs with a 1 s DPD interval here), and SIGTERM ends the session: ocserv
# must log the user's session as closed (the DISCONNECT was understood), and zcvpn must
# report no copies on the DTLS path (only what ocserv sent over CSTP before DTLS was up
# is copied) and no dropped records.  Last, without DTLS (--dtls off) the data
# goes over CSTP: it must work the same, and there every byte is counted as copied.
# Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
MB=${OC_TEST_MB:-100}
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

client_pid=
cleanup() {
	[ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null
	sleep 0.3
	oc_cleanup
}
trap cleanup EXIT

OC_DPD=1
oc_setup || oc_fail "ocserv setup"
echo "$OC_PASS" >"$OC_DIR/password"

# mode name, zcvpn options, what the session line must say, data path (dtls or cstp)
run_mode() {
	local name=$1 opts=$2 expect=$3 path=${4:-dtls} out="$OC_DIR/$1.out" tun=zac-$1
	local ready='DTLS up' mb=$MB
	[ "$path" = cstp ] && { ready='CSTP data path up'; mb=$((MB / 5)); }
	echo "== $name"
	# shellcheck disable=SC2086
	# No pipe and no shell function: $! must be zcvpn itself (each step execs).
	ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --duration 300 \
		--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun "$tun" $opts \
		"$OC_URL" <"$OC_DIR/password" >"$out" 2>&1 &
	client_pid=$!
	for _ in $(seq 100); do
		grep -q "$ready" "$out" && break
		kill -0 "$client_pid" 2>/dev/null || oc_fail "$name: zcvpn exited"
		sleep 0.1
	done
	grep -q "$ready" "$out" || oc_fail "$name: '$ready' not seen in 10 s"
	grep -q "$expect" "$out" || oc_fail "$name: expected '$expect' in the session line"
	grep 'CSTP connected' "$out"

	oc_in_client ping -c 3 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/$name-ping.log" 2>&1 ||
		oc_fail "$name: ping through the tunnel"

	bulk=$srcdir/tests/bulk_transfer.py
	ip netns exec "$OC_NS_SRV" timeout 120 python3 "$bulk" recv "$OC_SERVER_TUN_IP" 5001 \
		>"$OC_DIR/$name-recv.log" 2>&1 &
	local recv_pid=$!
	oc_in_client timeout 120 python3 "$bulk" send "$OC_SERVER_TUN_IP" 5001 "$mb" \
		>"$OC_DIR/$name-send.log" 2>&1
	wait "$recv_pid"
	read -r sent_n sent_h rate _ <"$OC_DIR/$name-send.log"
	[ "$sent_n $sent_h" = "$(cat "$OC_DIR/$name-recv.log")" ] ||
		oc_fail "$name: bulk transfer mismatch: $(cat "$OC_DIR/$name-send.log") vs $(cat "$OC_DIR/$name-recv.log")"
	echo "$name: $mb MB with matching SHA-256 (${rate:-?} Mbit/s)"

	sleep 3.5	# idle: DPD requests go out every second and ocserv answers them

	kill -TERM "$client_pid"
	for _ in $(seq 50); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$client_pid" 2>/dev/null && oc_fail "$name: zcvpn did not exit on SIGTERM"
	wait "$client_pid" || oc_fail "$name: zcvpn exit status $?"
	client_pid=

	for s in rx_bad_icv rx_replay rx_short rx_bad_type rx_bad_length rx_truncated tx_errors; do
		[ "$(oc_stat "$out" "$s")" = 0 ] || oc_fail "$name: $s $(oc_stat "$out" "$s")"
	done
	if [ "$path" = cstp ]; then
		# Correct but copying: every byte through CSTP is counted.
		[ "$(oc_stat "$out" copied_bytes)" -ge $((mb * 1048576)) ] ||
			oc_fail "$name: copied_bytes $(oc_stat "$out" copied_bytes) below what CSTP carried"
		[ "$(oc_stat "$out" cstp_dpd_resp_rx)" -ge 1 ] || oc_fail "$name: no CSTP DPD answered"
		echo "$name: $(oc_stat "$out" fallback_rx_packets) packets in and" \
			"$(oc_stat "$out" fallback_tx_packets) out over CSTP," \
			"copied_bytes $(oc_stat "$out" copied_bytes), CSTP DPD answered"
		return
	fi
	# ocserv may send the first few packets over CSTP before it sees DTLS up: those
	# (and only those) are copies; the DTLS path itself must copy nothing.
	local copied cstp_bytes
	copied=$(oc_stat "$out" copied_bytes)
	cstp_bytes=$(($(oc_stat "$out" fallback_rx_bytes) + $(oc_stat "$out" fallback_tx_bytes)))
	[ "$copied" -eq "$cstp_bytes" ] ||
		oc_fail "$name: copied_bytes $copied, of which only $cstp_bytes went over CSTP"
	[ "$(oc_stat "$out" fallback_rx_packets)" -le 16 ] ||
		oc_fail "$name: $(oc_stat "$out" fallback_rx_packets) packets came over CSTP with DTLS up"
	[ "$(oc_stat "$out" dpd_tx)" -ge 2 ] || oc_fail "$name: only $(oc_stat "$out" dpd_tx) DPD requests sent"
	[ "$(oc_stat "$out" dpd_rx)" -ge 2 ] || oc_fail "$name: only $(oc_stat "$out" dpd_rx) DPD answers"
	echo "$name: DPD $(oc_stat "$out" dpd_tx) sent, $(oc_stat "$out" dpd_rx) answered;" \
		"$(oc_stat "$out" rx_packets) packets in, $(oc_stat "$out" tx_packets) out," \
		"copied_bytes 0 on DTLS ($cstp_bytes before DTLS, over CSTP)"
}

# ocserv invalidates a session only on the client's logout DISCONNECT; a client that
# just vanished leaves it open for a reconnect.
sessions=0
check_closed() {
	sessions=$((sessions + 1))
	for _ in $(seq 30); do
		[ "$(grep -c "invalidating session of user '$OC_USER'" "$OC_DIR/ocserv.log")" -ge "$sessions" ] && return 0
		sleep 0.1
	done
	oc_fail "$1: ocserv did not see the session end (no 'invalidating session' after DISCONNECT)"
}

run_mode psk "" "PSK-NEGOTIATE"; check_closed psk
run_mode legacy12 "--dtls legacy" "AES256-GCM-SHA384 (DTLS 1.2)"; check_closed legacy12
run_mode legacy09 "--dtls legacy --dtls09 --dtls-ciphers AES128-SHA" "AES128-SHA (DTLS 0.9)"
check_closed legacy09
run_mode cstp "--dtls off" "DTLS off" cstp; check_closed cstp
echo "ok: PSK-NEGOTIATE, legacy DTLS 1.2 and 0.9 against ocserv: ping, $MB MB each, DPD," \
	"clean disconnect; CSTP-only the same, with the copies counted"
echo "script: PASS ocserv-anyconnect"
