#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Interop with an independent ESP implementation: scapy's IPsec code is the peer.  For
# each of the 8 suites zcvpn sends checksummed packets that scapy must open, scapy seals
# them back and zcvpn's sink must find every one intact; a tampered ICV and a replay
# from scapy must be dropped and counted; copied_bytes must stay 0.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$builddir/zcvpn
peer=$srcdir/tests/esp_scapy_peer.py
count=300

if ! /usr/bin/python3 -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null; then
	echo "SKIP: needs Debian's python3-scapy and python3-cryptography (apt-get install python3-scapy)"
	exit 77
fi

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail=0

for suite in aes128-cbc:hmac-md5-96 aes128-cbc:hmac-sha1-96 aes128-cbc:hmac-sha256-128 \
	     aes256-cbc:hmac-md5-96 aes256-cbc:hmac-sha1-96 aes256-cbc:hmac-sha256-128 \
	     aes128-gcm:none aes256-gcm:none; do
	enc=${suite%%:*}
	auth=${suite##*:}
	(umask 077 && "$zcvpn" genkey --enc "$enc" --auth "$auth" >"$work/keys")
	: >"$work/port"
	/usr/bin/python3 "$peer" --keys "$work/keys" --count "$count" --deadline 60 \
		>"$work/port" 2>"$work/peer.err" &
	peer_pid=$!
	for _ in $(seq 100); do
		[ -s "$work/port" ] && break
		sleep 0.1
	done
	port=$(head -n 1 "$work/port")
	if [ -z "$port" ]; then
		echo "FAIL $suite: the scapy peer did not start"; cat "$work/peer.err"; fail=1; continue
	fi
	timeout 90 "$zcvpn" connect --json --remote "127.0.0.1:$port" --key-file "$work/keys" \
		--count "$count" --expect "$count" --expect-flow 1 --rate 5000 --timeout 10 \
		>"$work/out" 2>&1
	zc_rc=$?
	wait "$peer_pid"
	peer_rc=$?
	stat() { python3 "$srcdir/tests/report-value.py" "$work/out" "$1"; }
	if [ $zc_rc -ne 0 ] || [ $peer_rc -ne 0 ] || [ "$(stat sink_good)" != "$count" ] ||
	   [ "$(stat rx_bad_icv)" != 1 ] || [ "$(stat rx_replay)" != 1 ] ||
	   [ "$(stat copied_bytes)" != 0 ] || [ "$(stat sink_corrupt)" != 0 ]; then
		echo "FAIL $suite: zcvpn rc $zc_rc, peer rc $peer_rc"
		cat "$work/out" "$work/port" "$work/peer.err"
		fail=1
		continue
	fi
	echo "ok $suite: $(tail -n 1 "$work/port"); zcvpn sink_good $(stat sink_good)," \
	     "bad_icv $(stat rx_bad_icv), replay $(stat rx_replay), copied_bytes $(stat copied_bytes)"
done
[ $fail -eq 0 ] && echo "script: PASS esp-scapy"
exit $fail
