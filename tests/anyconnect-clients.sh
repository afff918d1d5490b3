#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Many clients at once against one `zcvpn serve --protocol anyconnect`: N (default 16)
# `zcvpn connect` processes, each in a network namespace of its own on a bridge in the
# server's namespace, each on a real tun.  All log in and bring DTLS up at once; each
# moves MB (default 4) each way over TCP at the same time as the others, checked by
# SHA-256; none reaches another's address.  Then a client that is frozen (SIGSTOP: its
# sockets stay open, it says nothing) is reaped by DPD, a killed one is ended at once,
# and a new client gets a returned address; a client past --max-clients is refused.
# At SIGTERM every remaining session says goodbye and each client exits.  Needs root;
# uses only the namespaces it creates.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
n=${CLIENTS:-16}
mb=${MB:-4}
dpd=2
. "$srcdir/tests/netns-env.sh"
ne_skip_unless ocpasswd python3

tag=$$
ns_s=zcvpn-mcs-$tag
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}" ${server_pid:-}; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	for i in $(seq 0 $((n + 1))); do ip netns del "zcvpn-mc$i-$tag" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/server.out "$work"/client1.out "$work"/client2.out; do
		[ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 40; }
	done
	exit 1
}
ns_c() { echo "zcvpn-mc$1-$tag"; }
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { local i=$1; shift; ip netns exec "$(ns_c "$i")" "$@"; }
summary() { python3 "$srcdir/tests/report-value.py" --role anyconnect-server "$@"; }

ip netns add "$ns_s" || fail "cannot create the server namespace"
in_s ip link add zmc-br type bridge && in_s ip addr add 10.97.0.1/24 dev zmc-br &&
	in_s ip link set zmc-br up && in_s ip link set lo up || fail "bridge"
add_client_ns() {
	local i=$1 ns
	ns=$(ns_c "$i")
	ip netns add "$ns" || fail "cannot create $ns"
	ip link add "zmc$i" netns "$ns_s" type veth peer name eth0 netns "$ns" || fail "veth $i"
	in_s ip link set "zmc$i" master zmc-br up
	in_c "$i" ip addr add "10.97.0.$((10 + i))/24" dev eth0
	in_c "$i" ip link set eth0 up
	in_c "$i" ip link set lo up
}
for i in $(seq 1 $((n + 1))); do add_client_ns "$i"; done

cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
printf 'secret-pw\nsecret-pw\n' | ocpasswd -c "$work/passwd" tester || fail "ocpasswd"
port=$((4400 + RANDOM % 500))

ip netns exec "$ns_s" "$zcvpn" serve --json --protocol anyconnect --listen "10.97.0.1:$port" \
	--cert "$cert" --key "$key" --passwd "$work/passwd" --tun zms --dpd "$dpd" \
	--max-clients "$n" >"$work/server.out" 2>&1 &
server_pid=$!
wait_for 50 grep -q listening "$work/server.out" || fail "server did not start"

start_client() {
	local i=$1
	# No timeout(1) wrapper: the signals below must reach zcvpn itself (cleanup kills it).
	echo secret-pw | ip netns exec "$(ns_c "$i")" "$zcvpn" connect --json \
		--protocol anyconnect --servercert "$pin" --user tester --passwd-on-stdin --tun zc0 \
		"https://10.97.0.1:$port/" >"$work/client$i.out" 2>&1 &
	pids[i]=$!
}
client_addr() {
	in_c "$1" ip -4 -o addr show dev zc0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }'
}

for i in $(seq 1 "$n"); do start_client "$i"; done
for i in $(seq 1 "$n"); do
	wait_for 300 grep -q "DTLS up" "$work/client$i.out" || fail "client $i: no DTLS"
	addr[i]=$(client_addr "$i")
	[ -n "${addr[i]}" ] || fail "client $i: no address on its tun"
done
dups=$(printf '%s\n' "${addr[@]}" | sort | uniq -d)
[ -z "$dups" ] || fail "an address was given twice: $dups"
echo "$n clients up: ${addr[*]}"

# Every client's transfers at once, up and down, each checked at its far end.
for i in $(seq 1 "$n"); do
	in_s timeout 120 python3 "$srcdir/tests/bulk_transfer.py" recv 10.78.0.1 $((6000 + i)) \
		>"$work/up$i-recv.out" 2>&1 &
	in_c "$i" timeout 120 python3 "$srcdir/tests/bulk_transfer.py" recv "${addr[i]}" $((7000 + i)) \
		>"$work/down$i-recv.out" 2>&1 &
done
sleep 0.5
for i in $(seq 1 "$n"); do
	in_c "$i" timeout 120 python3 "$srcdir/tests/bulk_transfer.py" send 10.78.0.1 $((6000 + i)) "$mb" \
		>"$work/up$i-send.out" 2>&1 &
	in_s timeout 120 python3 "$srcdir/tests/bulk_transfer.py" send "${addr[i]}" $((7000 + i)) "$mb" \
		>"$work/down$i-send.out" 2>&1 &
done
wait_for 1200 sh -c "[ \$(cat $work/up*-recv.out $work/down*-recv.out 2>/dev/null | wc -l) -ge $((2 * n)) ]" ||
	fail "not every transfer finished"
total=0
for i in $(seq 1 "$n"); do
	for dir in up down; do
		sent=$(awk '{ print $1, $2 }' "$work/$dir$i-send.out")
		got=$(awk '{ print $1, $2 }' "$work/$dir$i-recv.out")
		[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "client $i $dir: sent '$sent', received '$got'"
		total=$((total + $(awk '{ print $1 }' "$work/$dir$i-recv.out")))
	done
done
echo "all $((2 * n)) transfers intact: $total bytes"

# A session's traffic never reaches another session: client 1 cannot reach client 2.
in_c 1 ping -c 2 -i 0.2 -W 1 "${addr[2]}" >/dev/null 2>&1 && fail "client 1 reached client 2's address"
in_c 1 ping -c 2 -i 0.2 -W 2 10.78.0.1 >/dev/null 2>&1 || fail "client 1 cannot reach the server"

# Past --max-clients: refused at CONNECT.
echo secret-pw | in_c $((n + 1)) timeout 30 "$zcvpn" connect --protocol anyconnect --servercert "$pin" \
	--user tester --passwd-on-stdin --tun zc0 "https://10.97.0.1:$port/" >"$work/extra.out" 2>&1 &&
	fail "a client past --max-clients got a tunnel"
echo "client past --max-clients: refused ($(tail -n 1 "$work/extra.out"))"

# Client 1 freezes: DPD reaps its session.  Client 2 is killed: its session ends at once.
kill -STOP "${pids[1]}"
kill -9 "${pids[2]}"
wait_for 100 grep -q "without a goodbye" "$work/server.out" || fail "the killed client's session lives on"
wait_for $((120 * dpd)) grep -q "session reaped" "$work/server.out" || fail "the frozen client was not reaped"
kill -9 "${pids[1]}"
kill -CONT "${pids[1]}" 2>/dev/null
freed="${addr[1]} ${addr[2]}"
echo "reaped and ended: $freed back to the pool"

# Their addresses come back: the next client gets one of them.
start_client $((n + 1))
wait_for 300 grep -q "DTLS up" "$work/client$((n + 1)).out" || fail "a new client after the reaping: no DTLS"
new=$(client_addr $((n + 1)))
case " $freed " in *" $new "*) ;; *) fail "the new client got $new, not a returned address ($freed)" ;; esac
echo "a new client got $new"

# The server's stop: every session says goodbye, every client exits by itself.
kill -TERM "$server_pid"
wait "$server_pid" || fail "zcvpn serve failed"
server_pid=
for i in $(seq 3 $((n + 1))); do
	wait_for 100 sh -c "! kill -0 ${pids[i]} 2>/dev/null" || fail "client $i did not end with the server"
	# The goodbye comes on DTLS and on CSTP; whichever the client reads first.
	grep -q "the server ended the session\|the server closed DTLS" "$work/client$i.out" ||
		fail "client $i: no goodbye from the server"
done
echo "server: sessions $(summary "$work/server.out" sessions) reaped $(summary "$work/server.out" sessions_reaped)" \
	"refused_full $(summary "$work/server.out" refused_full)"
[ "$(summary "$work/server.out" sessions_reaped)" -ge 1 ] || fail "no session counted as reaped"
[ "$(summary "$work/server.out" refused_full)" -ge 1 ] || fail "the refusal was not counted"
echo "script: PASS"
