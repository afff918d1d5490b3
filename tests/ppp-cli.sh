#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `zcvpn connect --protocol f5|fortinet https://...` against `zcvpn serve --protocol
# f5|fortinet --listen ...`: two processes on loopback with the in-memory tun, the whole
# login (F5 my.policy, vdesk, /myvpn; Fortinet logincheck, fortisslvpn_xml,
# sslvpn-tunnel), then PPP.  Over DTLS: 100,000 packets each way, no corruption,
# copied_bytes 0 at both ends, and no loss but what the receiving engine counted as the
# kernel's (rx_socket_drops: a full socket buffer on a loaded machine).  Over TLS
# (--no-dtls at either end, F5's HDLC framing): fewer packets, every one arrives but
# those the sender counted as refused by its full stream queue (tx_errors), and each is
# counted as copied.  A certificate made by `zcvpn genkey` is taken by its pin,
# and a wrong password is refused.  No root needed.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
. "$srcdir/tests/no-secrets.sh"
zcvpn=$builddir/zcvpn
rate=30000	# per direction; see check_engine.c on why the traffic is paced
cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail=0
port=$((20000 + $$ % 20000))

stat() { python3 "$srcdir/tests/report-value.py" "$work/$1.out" "$2"; }

# name      protocol  count   server options  client options  path
cases="
f5          f5        100000  -               -               dtls
fortinet    fortinet  100000  -               -               dtls
f5-tls      f5        20000   --no-dtls       -               tls
fortinet-tls fortinet 20000   -               --no-dtls       tls
f5-hdlc     f5        20000   --hdlc          -               tls
"

# One side's verdict: its exit status, and every packet accounted for.
check_side() {
	local name=$1 side=$2 rc=$3 count=$4 path=$5 peer=$6
	local drops good copied socket_drops ring_full
	# Loss over DTLS must be what the named drop counters explain: the kernel's socket
	# drops, or the engine's own rx ring full (a slow sink, the sanitizer build).
	socket_drops=$(stat "$side" rx_socket_drops)
	ring_full=$(stat "$side" rx_ring_full)
	drops=$((${socket_drops:-0} + ${ring_full:-0}))
	good=$(stat "$side" sink_good)
	copied=$(stat "$side" copied_bytes)
	if [ "$path" = tls ]; then
		# TCP does not lose; the sender may refuse a packet its full stream queue cannot
		# take (a slow machine, the sanitizer build), and counts it in tx_errors.  Every
		# byte that went is counted as a copy.
		drops=$(stat "$peer" tx_errors)
		local want_rc=0
		[ "${drops:-0}" -gt 0 ] && [ "$side" = client ] && want_rc=1
		[ "$rc" = "$want_rc" ] && [ "$((${good:-0} + ${drops:-0}))" = "$count" ] &&
			[ "${copied:-0}" -gt 0 ] && return 0
	else
		local want_rc=0
		[ "${drops:-0}" -gt 0 ] && want_rc=1
		[ "$side" = server ] && want_rc=0	# its exit is the session's end, not the sink's
		[ "$rc" = "$want_rc" ] && [ "$((${good:-0} + ${drops:-0}))" = "$count" ] &&
			[ "${copied:-1}" = 0 ] && return 0
	fi
	echo "FAIL $name $side: rc $rc, sink_good ${good:-?} of $count, counted drops ${drops:-?}," \
		"copied_bytes ${copied:-?}"
	tail -n 40 "$work/$side.out"
	return 1
}

while read -r name proto count sopts copts path; do
	[ -n "$name" ] || continue
	[ "$sopts" = - ] && sopts=
	[ "$copts" = - ] && copts=
	port=$((port + 1))
	# shellcheck disable=SC2086
	timeout 120 "$zcvpn" serve --json --protocol "$proto" --listen "127.0.0.1:$port" --cert "$cert" \
		--key "$key" --user tester --password secret-pw --count "$count" --rate "$rate" \
		--once $sopts >"$work/server.out" 2>&1 &
	server=$!
	for _ in $(seq 50); do grep -q listening "$work/server.out" && break; sleep 0.1; done
	# shellcheck disable=SC2086
	echo secret-pw | timeout 120 "$zcvpn" connect --json --protocol "$proto" "https://127.0.0.1:$port" \
		--user tester --passwd-on-stdin --servercert "$pin" --count "$count" --rate "$rate" \
		--timeout 15 $copts >"$work/client.out" 2>&1
	client_rc=$?
	wait "$server"
	server_rc=$?
	ok=1
	check_side "$name" client "$client_rc" "$count" "$path" server || ok=0
	check_side "$name" server "$server_rc" "$count" "$path" client || ok=0
	grep -q "the client terminated the session" "$work/server.out" ||
		{ echo "FAIL $name: no clean LCP Terminate at the server"; ok=0; }
	if [ "$path" = dtls ] && ! grep -q "DTLS up" "$work/client.out"; then
		echo "FAIL $name: DTLS never came up"
		ok=0
	fi
	no_secrets "$name password" secret-pw -- "$work/client.out" "$work/server.out" || ok=0
	if [ "$ok" = 1 ]; then
		echo "PASS $name: $count packets each way over $path," \
			"client copied_bytes $(stat client copied_bytes)," \
			"refused by a full stream: $(stat client tx_errors) + $(stat server tx_errors)"
	else
		fail=1
	fi
done <<<"$cases"

# A server certificate from `zcvpn genkey`: the key private, never overwritten, the pin
# it prints the one a client verifies (the wrong password below reaches the login, so
# the TLS handshake took that pin).
if ! "$zcvpn" genkey --cert "$work/own.pem" --key "$work/own-key.pem" --name 127.0.0.1 \
	>"$work/genkey.out" 2>&1 || [ "$(command stat -c %a "$work/own-key.pem")" != 600 ] ||
   "$zcvpn" genkey --cert "$work/own.pem" --key "$work/own-key.pem" >/dev/null 2>&1; then
	echo "FAIL genkey: no certificate, a readable key, or an overwrite"
	cat "$work/genkey.out"
	fail=1
fi
own_pin=$(sed -n 's/.*--servercert \(pin-sha256:[^ ]*\).*/\1/p' "$work/genkey.out")

# A wrong password: refused, said so, and the client exits non-zero.
port=$((port + 1))
timeout 60 "$zcvpn" serve --protocol f5 --listen "127.0.0.1:$port" --cert "$work/own.pem" \
	--key "$work/own-key.pem" --user tester --password secret-pw >"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q listening "$work/server.out" && break; sleep 0.1; done
if echo wrong | timeout 30 "$zcvpn" connect --protocol f5 "https://127.0.0.1:$port" \
	--user tester --passwd-on-stdin --servercert "$own_pin" >"$work/client.out" 2>&1 ||
   ! grep -q "refused the login" "$work/client.out"; then
	echo "FAIL wrong password: not refused"
	cat "$work/client.out"
	fail=1
else
	echo "PASS wrong password: $(grep -m1 refused "$work/client.out")"
fi
no_secrets "wrong password" secret-pw -- "$work/client.out" "$work/server.out" || fail=1
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null

[ "$fail" = 0 ] && echo "script: PASS"
exit "$fail"
