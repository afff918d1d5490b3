#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end through the driver: `zcvpn serve` and `zcvpn connect` as two processes on
# loopback with the in-memory tun, 100,000 packets each way, for a GCM and a CBC suite.
# Zero corruption and copied_bytes 0 at both ends, and no loss but what the receiving
# engine counted as the kernel's (a full socket buffer on a loaded machine): every packet
# is accounted for, whatever the scheduling.  zcvpn exits 1 on any shortfall; that is
# accepted only when those drops explain it exactly.  Then a rekey in the middle of a
# run: new SAs in the key file and a SIGHUP at each end.
set -u
srcdir=${srcdir:-.}
. "$srcdir/tests/no-secrets.sh"
builddir=${top_builddir:-.}
zcvpn=$builddir/zcvpn
count=100000
rate=30000	# per direction; see check_engine.c on why the traffic is paced

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail=0
port=$((20000 + $$ % 20000))

for suite in aes128-gcm:none aes256-cbc:hmac-sha256-128; do
	enc=${suite%%:*}
	auth=${suite##*:}
	(umask 077 && "$zcvpn" genkey --enc "$enc" --auth "$auth" >"$work/keys")
	timeout 120 "$zcvpn" serve --json --local "127.0.0.1:$port" --key-file "$work/keys" \
		--count "$count" --rate "$rate" --timeout 15 >"$work/server.out" 2>&1 &
	server=$!
	sleep 0.3
	timeout 120 "$zcvpn" connect --json --remote "127.0.0.1:$port" --key-file "$work/keys" \
		--count "$count" --rate "$rate" --timeout 15 >"$work/client.out" 2>&1
	client_rc=$?
	wait "$server"
	server_rc=$?
	for side in client server; do
		stat() { python3 "$srcdir/tests/report-value.py" "$work/$side.out" "$1"; }
		rc_var=${side}_rc
		drops=$(stat rx_socket_drops)
		want_rc=$([ "${drops:-0}" -gt 0 ] && echo 1 || echo 0)
		if [ "${!rc_var}" -ne "$want_rc" ] ||
		   [ "$(($(stat sink_good) + ${drops:-0}))" != "$count" ] ||
		   [ "$(stat sink_corrupt)" != 0 ] || [ "$(stat copied_bytes)" != 0 ] ||
		   [ "$(stat tx_packets)" != "$count" ]; then
			echo "FAIL $suite $side (rc ${!rc_var})"
			cat "$work/$side.out"
			fail=1
		else
			echo "ok $suite $side: sent $(stat sent.packets) packets at $(stat sent.mbit_s) Mbit/s," \
				"received $(stat received.packets) at $(stat received.mbit_s) Mbit/s"
		fi
	done
	# shellcheck disable=SC2046
	no_secrets "$suite keys" $(key_file_secrets "$work/keys") -- "$work/client.out" \
		"$work/server.out" || fail=1
	port=$((port + 1))
done

# A rekey in the middle (SIGHUP, cli-esp-rekey.c): first a SIGHUP with the same file,
# which changes nothing and says so; then new SAs in the file and a SIGHUP at each end,
# half a second apart.  Nothing may be lost or refused (rx_bad_spi 0): each end had its
# new inbound SA before the other sent on it, and the old one took what was in flight.
(umask 077 && "$zcvpn" genkey --enc aes256-gcm >"$work/keys" &&
	"$zcvpn" genkey --enc aes256-gcm >"$work/keys.next")
# Not under timeout(1), which would pass each SIGHUP on to the whole process group; the
# driver's own --timeout bounds each end.
"$zcvpn" serve --json --local "127.0.0.1:$port" --key-file "$work/keys" \
	--count "$count" --rate 20000 --timeout 15 >"$work/server.out" 2>&1 &
server=$!
sleep 0.3
"$zcvpn" connect --json --remote "127.0.0.1:$port" --key-file "$work/keys" \
	--count "$count" --rate 20000 --timeout 15 >"$work/client.out" 2>&1 &
client=$!
sleep 0.7
kill -HUP "$server" "$client"
sleep 0.3
cp "$work/keys" "$work/keys.old"
mv "$work/keys.next" "$work/keys"
kill -HUP "$server"
sleep 0.5
kill -HUP "$client"
wait "$client"
client_rc=$?
wait "$server"
server_rc=$?
for side in client server; do
	stat() { python3 "$srcdir/tests/report-value.py" "$work/$side.out" "$1"; }
	rc_var=${side}_rc
	drops=$(stat rx_socket_drops)
	if [ "$(($(stat sink_good) + ${drops:-0}))" != "$count" ] || [ "$(stat rx_bad_spi)" != 0 ] ||
	   [ "$(stat copied_bytes)" != 0 ] || [ "$(stat rx_old_sa)" = 0 ] ||
	   ! grep -q "names an SPI in use" "$work/$side.out" ||
	   ! grep -q "outbound SA 0x.* in use; rekeyed" "$work/$side.out"; then
		echo "FAIL rekey $side (rc ${!rc_var})"
		cat "$work/$side.out"
		fail=1
	else
		echo "ok rekey $side: $(stat sink_good) packets intact across the rekey," \
			"$(stat rx_old_sa) of them on the old inbound SA after the new one came"
	fi
done
# shellcheck disable=SC2046
no_secrets "rekey keys" $(key_file_secrets "$work/keys") $(key_file_secrets "$work/keys.old") \
	-- "$work/client.out" "$work/server.out" || fail=1

[ $fail -eq 0 ] && echo "script: PASS esp-cli"
exit $fail
