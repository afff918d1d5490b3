#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile clients against `zcvpn serve --protocol anyconnect` while a real session runs
# beside them (zcvpn connect on a tun, pinging the whole time): garbage on the TLS
# port, a TCP connection that never starts TLS, a request whose header comes a byte
# at a time, three wrong passwords on one connection, and a logged-in client that
# sends DTLS ClientHellos with another session's App-ID.  Each is refused and
# counted, the slow ones within --auth-timeout, the wrong passwords slowed; the real
# session loses no ping.  Needs root; uses only the namespaces it creates.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
auth_timeout=3
. "$srcdir/tests/netns-env.sh"
ne_skip_unless ocpasswd python3 ping

ns_s=zcvpn-ahs-$$
ns_c=zcvpn-ahc-$$
work=$(mktemp -d)
cleanup() {
	[ -n "${client_pid:-}" ] && kill -9 "$client_pid" 2>/dev/null
	[ -n "${server_pid:-}" ] && kill -9 "$server_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	ip netns del "$ns_c" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 30; }; done
	exit 1
}
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { ip netns exec "$ns_c" "$@"; }
value() { python3 "$srcdir/tests/report-value.py" --role server "$@"; }
summary() { python3 "$srcdir/tests/report-value.py" --role anyconnect-server "$@"; }
hostile() { in_c timeout 60 python3 "$srcdir/tests/anyconnect_hostile_client.py" "$@"; }

ip netns add "$ns_s" && ip netns add "$ns_c" || fail "cannot create namespaces"
ne_link "$ns_s" zah-s 10.96.0.1/24 "$ns_c" zah-c 10.96.0.2/24 || fail "veth"

cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
printf 'secret-pw\nsecret-pw\n' | ocpasswd -c "$work/passwd" tester || fail "ocpasswd"
port=$((4400 + RANDOM % 500))

ip netns exec "$ns_s" "$zcvpn" serve --json --protocol anyconnect --listen "10.96.0.1:$port" \
	--cert "$cert" --key "$key" --passwd "$work/passwd" --tun zahs \
	--auth-timeout "$auth_timeout" >"$work/server.out" 2>&1 &
server_pid=$!
wait_for 50 grep -q listening "$work/server.out" || fail "server did not start"

# The real session, pinging its server through everything below.
echo secret-pw | ip netns exec "$ns_c" "$zcvpn" connect --protocol anyconnect --servercert "$pin" \
	--user tester --passwd-on-stdin --tun zahc0 "https://10.96.0.1:$port/" >"$work/client.out" 2>&1 &
client_pid=$!
wait_for 150 grep -q "DTLS up" "$work/client.out" || fail "the real client: no DTLS"
in_c ping -c 100 -i 0.2 -W 2 10.78.0.1 >"$work/ping.out" 2>&1 &
ping_pid=$!

r=$(hostile garbage 10.96.0.1 "$port") || fail "garbage: $r"
echo "$r"
case "$r" in *closed*) ;; *) fail "$r" ;; esac

# Both slow ones at once: each dropped once --auth-timeout runs out, not before.
hostile slow-handshake 10.96.0.1 "$port" >"$work/slow1.out" 2>&1 &
s1=$!
hostile slow-headers 10.96.0.1 "$port" >"$work/slow2.out" 2>&1 &
s2=$!
wait "$s1" "$s2"
for f in slow1 slow2; do
	r=$(cat "$work/$f.out")
	echo "$r"
	secs=$(echo "$r" | sed -n 's/.*dropped after \([0-9.]*\) s.*/\1/p')
	[ -n "$secs" ] || fail "$r"
	python3 -c "import sys; t = float(sys.argv[1]); sys.exit(0 if $auth_timeout - 0.5 <= t <= $auth_timeout + 5 else 1)" "$secs" ||
		fail "$f: dropped after $secs s, not about $auth_timeout s"
done

r=$(hostile wrong-passwords 10.96.0.1 "$port" tester) || fail "wrong-passwords: $r"
echo "$r"
case "$r" in *"2 answers"*closed*) ;; *) fail "$r" ;; esac
secs=$(echo "$r" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 5.5 else 1)" "$secs" ||
	fail "three wrong passwords took only $secs s (1 + 2 + 3 s of pauses expected)"

r=$(hostile bad-app-id 10.96.0.1 "$port" tester secret-pw) || fail "bad-app-id: $r"
echo "$r"
case "$r" in *"sent 4"*) ;; *) fail "$r" ;; esac
wait_for 50 grep -q "('tester'): the client disconnected" "$work/server.out" ||
	fail "the hostile session did not end with its goodbye"
wrong=$(value "$work/server.out" rx_hello_wrong_id)
[ "$wrong" = 4 ] || fail "rx_hello_wrong_id is '$wrong', not 4"
echo "the hostile session's report: rx_hello_wrong_id $wrong, handshake_datagrams" \
	"$(value "$work/server.out" handshake_datagrams)"
[ "$(value "$work/server.out" handshake_datagrams)" = 0 ] || fail "a wrong hello reached the handshake"

wait "$ping_pid"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$work/ping.out")
echo "the real session meanwhile: ${loss:-?}% ping loss"
[ "$loss" = 0 ] || fail "the real session lost pings"
grep -q "DTLS up again\|DTLS failed" "$work/client.out" && fail "the real session's DTLS was disturbed"

kill -INT "$client_pid"
wait "$client_pid"
client_pid=
wait_for 50 sh -c "[ \$(grep -c 'the client disconnected' $work/server.out) -ge 2 ]" ||
	fail "the real session did not end cleanly"
kill -TERM "$server_pid"
wait "$server_pid" || fail "zcvpn serve failed"
server_pid=
for c in tls_failed bad_requests logins_failed bad_cookies sessions; do
	echo "server: $c $(summary "$work/server.out" "$c")"
done
[ "$(summary "$work/server.out" tls_failed)" -ge 2 ] || fail "garbage and the silent connection not counted"
[ "$(summary "$work/server.out" bad_requests)" -ge 1 ] || fail "the slow request not counted"
[ "$(summary "$work/server.out" logins_failed)" = 3 ] || fail "wrong passwords not counted"
[ "$(summary "$work/server.out" sessions)" = 2 ] || fail "not exactly the two sessions"
echo "script: PASS"
