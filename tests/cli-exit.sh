#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The exit statuses people and scripts act on (enum cli_exit, zcvpn.1 EXIT STATUS), each
# with the one line that says why: an unreachable server 3, a certificate that does not
# match the pin 4, a wrong password 5, a session the server refuses 6; for the AnyConnect
# client and the F5/Fortinet one.  The servers: `zcvpn serve --protocol f5|fortinet` on
# loopback, and for the expired session a stand-in AnyConnect server
# (expired_session_server.py: no real server refuses a fresh cookie on demand).  No root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$builddir/zcvpn
cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
# A well-formed pin of some other key.
other_pin=pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail=0
port=$((20000 + ($$ + 7) % 20000))

# A port nobody listens on: bound and closed again, so connect(2) is refused.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

start_serve() {	# protocol
	timeout 120 "$zcvpn" serve --protocol "$1" --listen "127.0.0.1:$port" --cert "$cert" \
		--key "$key" --user tester --password secret-pw >"$work/serve-$1.out" 2>&1 &
	for _ in $(seq 50); do grep -q listening "$work/serve-$1.out" && break; sleep 0.1; done
	grep -q listening "$work/serve-$1.out" || { echo "FAIL: zcvpn serve --protocol $1 did not start"; exit 1; }
}

expect() {	# status message-fragment password command...
	local want=$1 fragment=$2 password=$3 out rc
	shift 3
	out=$(echo "$password" | timeout 60 "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qF -- "$fragment" <<<"$out"; then
		echo "FAIL: '$*' gave status $rc (want $want) and: $out"
		fail=1
	else
		echo "ok: status $rc, $(grep -F -m1 -- "$fragment" <<<"$out")"
	fi
}

for proto in f5 fortinet; do
	port=$((port + 1))
	start_serve "$proto"
	url=https://127.0.0.1:$port
	c=("$zcvpn" connect --protocol "$proto" --user tester --passwd-on-stdin --timeout 10)
	expect 3 "cannot connect to 127.0.0.1 port $closed_port" secret-pw "${c[@]}" \
		--servercert "$pin" "https://127.0.0.1:$closed_port"
	expect 4 "pin" secret-pw "${c[@]}" --servercert "$other_pin" "$url"
	expect 5 "refused the login" wrong-pw "${c[@]}" --servercert "$pin" "$url"
	# AnyConnect's login against the same TLS server: the certificate check comes first.
	expect 4 "pin" secret-pw "$zcvpn" connect --protocol anyconnect --user tester \
		--passwd-on-stdin --timeout 10 --servercert "$other_pin" "$url"
	kill %% 2>/dev/null
	wait 2>/dev/null
done

ac=("$zcvpn" connect --protocol anyconnect --user tester --passwd-on-stdin --timeout 10)
expect 3 "cannot connect" secret-pw "${ac[@]}" --servercert "$pin" "https://127.0.0.1:$closed_port"
timeout 60 python3 "$srcdir/tests/expired_session_server.py" "$cert" "$key" "$work/port" \
	>"$work/expired.out" 2>&1 &
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
expect 6 "tunnel:" secret-pw "${ac[@]}" --servercert "$pin" "https://127.0.0.1:$(cat "$work/port")"

[ $fail -eq 0 ] && echo "script: PASS cli-exit"
exit $fail
