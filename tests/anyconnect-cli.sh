#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end through the driver, AnyConnect DTLS: `zcvpn serve --protocol anyconnect` and
# `zcvpn connect --protocol anyconnect` as two processes on loopback with the in-memory
# tun and a PSK from `zcvpn genkey --psk`, for a GCM and a CBC suite.  The PSK handshake
# runs over the engines' sockets, then zero loss, zero corruption and copied_bytes 0 at
# both ends (every packet through our in-place record layer).
set -u
srcdir=${srcdir:-.}
. "$srcdir/tests/no-secrets.sh"
builddir=${top_builddir:-.}
zcvpn=$builddir/zcvpn
rate=30000	# per direction; see check_engine.c on why the traffic is paced
app_id=0102030405060708090a0b0c0d0e0f10

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail=0
port=$((20000 + ($$ + 7919) % 20000))

# The kernel's count of UDP datagrams dropped for a full receive buffer (all sockets):
# printed with a failure, to tell loss on a loaded machine from loss in the tunnel.
rcvbuf_errors() {
	awk '/^Udp:/ && !h { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
	     /^Udp:/ && c { n = $c } END { print n + 0 }' /proc/net/snmp 2>/dev/null || echo 0
}

(umask 077 && "$zcvpn" genkey --psk >"$work/psk") || { echo "FAIL genkey --psk"; exit 1; }
if ! grep -qE '^[0-9a-f]{64}$' "$work/psk"; then
	echo "FAIL genkey --psk: not 64 hex digits"
	exit 1
fi

for run in aes256-gcm:100000 aes256-cbc-sha1:100000; do
	cipher=${run%%:*}
	count=${run##*:}
	timeout 120 "$zcvpn" serve --json --protocol anyconnect --local "127.0.0.1:$port" \
		--psk-file "$work/psk" --cipher "$cipher" \
		--count "$count" --rate "$rate" --timeout 15 >"$work/server.out" 2>&1 &
	server=$!
	drops_before=$(rcvbuf_errors)
	sleep 0.3
	timeout 120 "$zcvpn" connect --json --protocol anyconnect --remote "127.0.0.1:$port" \
		--psk-file "$work/psk" --app-id "$app_id" --cipher "$cipher" \
		--count "$count" --rate "$rate" --timeout 15 >"$work/client.out" 2>&1
	client_rc=$?
	wait "$server"
	server_rc=$?
	for side in client server; do
		stat() { python3 "$srcdir/tests/report-value.py" "$work/$side.out" "$1"; }
		rc_var=${side}_rc
		# Loss is accepted only as the kernel's, counted by the receiver (esp-cli.sh).
		drops=$(stat rx_socket_drops)
		want_rc=$([ "${drops:-0}" -gt 0 ] && echo 1 || echo 0)
		if [ "${!rc_var}" -ne "$want_rc" ] ||
		   [ "$(($(stat sink_good) + ${drops:-0}))" != "$count" ] ||
		   [ "$(stat sink_corrupt)" != 0 ] || [ "$(stat copied_bytes)" != 0 ] ||
		   [ "$(stat tx_packets)" != "$count" ] ||
		   [ "$(stat rx_packets)" != "$(stat sink_good)" ] ||
		   [ "$(stat transport.error)" != 0 ]; then
			echo "FAIL $cipher $side (rc ${!rc_var})"
			cat "$work/$side.out"
			echo "UDP RcvbufErrors during the run: $(($(rcvbuf_errors) - drops_before))"
			fail=1
		else
			echo "ok $cipher $side: sent $(stat sent.packets) packets at $(stat sent.mbit_s) Mbit/s," \
				"received $(stat received.packets) at $(stat received.mbit_s) Mbit/s"
		fi
	done
	port=$((port + 1))
	no_secrets "$cipher PSK" "$(cat "$work/psk")" -- "$work/client.out" "$work/server.out" || fail=1
done
[ $fail -eq 0 ] && echo "script: PASS anyconnect-cli"
exit $fail
