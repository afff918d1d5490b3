#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The soak: one `zcvpn serve --protocol anyconnect` on a real tun for SOAK_SECONDS
# (default 300), with
#   - a long-lived `zcvpn connect` on a real tun moving TCP both ways all along (bulk
#     transfers back to back, each checked by SHA-256);
#   - SOAK_CYCLES (default 200) more clients logging in one after another, each on a
#     real tun, bringing DTLS up, pinging the server through it, then saying goodbye.
# The server's resident memory is sampled every 10 s and printed as a curve; after the
# warm-up (the first 20 cycles) it must stay flat (within 10 % or 8 MiB), its open
# descriptors must be as many at the end as after the warm-up, and every client must exit
# cleanly.  Built with --enable-sanitizers, LeakSanitizer checks every process's exit
# (ASan's quarantine is kept small so that RSS means something).  Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
seconds=${SOAK_SECONDS:-300}
cycles=${SOAK_CYCLES:-200}
warmup=20
. "$srcdir/tests/netns-env.sh"
ne_skip_unless ocpasswd python3
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"

tag=$$
ns_s=zcvpn-sks-$tag
ns_l=zcvpn-skl-$tag
ns_c=zcvpn-skc-$tag
work=$(mktemp -d)
server_pid=
long_pid=
sampler=
cleanup() {
	for p in $long_pid ${cycle_pid:-} $server_pid $sampler; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "$ns_s" "$ns_l" "$ns_c"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/server.out "$work"/long.out "$work"/cycle.out; do
		[ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 40; }
	done
	exit 1
}
in_s() { ip netns exec "$ns_s" "$@"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }

for ns in "$ns_s" "$ns_l" "$ns_c"; do ip netns add "$ns" || fail "cannot create $ns"; done
in_s ip link add zsk-br type bridge && in_s ip addr add 10.93.0.1/24 dev zsk-br &&
	in_s ip link set zsk-br up && in_s ip link set lo up || fail "bridge"
i=0
for ns in "$ns_l" "$ns_c"; do
	i=$((i + 1))
	ip link add "zsk$i" netns "$ns_s" type veth peer name eth0 netns "$ns" || fail "veth"
	in_s ip link set "zsk$i" master zsk-br up
	ip -n "$ns" addr add "10.93.0.$((10 + i))/24" dev eth0 && ip -n "$ns" link set eth0 up &&
		ip -n "$ns" link set lo up || fail "addresses"
done

cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
printf 'secret-pw\nsecret-pw\n' | ocpasswd -c "$work/passwd" tester || fail "ocpasswd"
url=https://10.93.0.1:4443/

# ip netns exec execs zcvpn: $! is the server itself, for its RSS and its signals.
ip netns exec "$ns_s" "$zcvpn" serve --json --protocol anyconnect --listen 10.93.0.1:4443 --cert "$cert" \
	--key "$key" --passwd "$work/passwd" --tun zsks --dpd 5 --max-clients 4 \
	>"$work/server.out" 2>&1 &
server_pid=$!
wait_for 100 grep -q listening "$work/server.out" || fail "the server did not start"
(
	start=$SECONDS
	while kill -0 "$server_pid" 2>/dev/null; do
		echo "$((SECONDS - start)) $(rss_kb "$server_pid")"
		sleep 10
	done
) >"$work/rss" 2>/dev/null &
sampler=$!

# The long-lived client, and TCP both ways through it until told to stop.
echo secret-pw | ip netns exec "$ns_l" "$zcvpn" connect --json --protocol anyconnect \
	--servercert "$pin" --user tester --passwd-on-stdin --tun zskl --dtls-redial 2 "$url" \
	>"$work/long.out" 2>&1 &
long_pid=$!
wait_for 300 grep -q "DTLS up" "$work/long.out" || fail "the long client: no DTLS"
long_addr=$(ip -n "$ns_l" -4 -o addr show dev zskl | awk '{ sub("/.*", "", $4); print $4 }')
[ -n "$long_addr" ] || fail "the long client: no address"
transfers() {
	local n=0 port
	while [ ! -e "$work/stop" ]; do
		n=$((n + 1))
		port=$((6000 + n % 1000))
		ne_transfer "up$n" "$ns_l" "$ns_s" 10.78.0.1 "$port" 16 "$work" >>"$work/transfers" &
		ne_transfer "down$n" "$ns_s" "$ns_l" "$long_addr" "$((port + 1000))" 16 "$work" \
			>>"$work/transfers" || echo "FAILED down$n" >>"$work/transfers"
		wait $! || echo "FAILED up$n" >>"$work/transfers"
	done
}
transfers &
mover=$!

# A DTLS outage for the long client: its UDP to the server and the server's to it
# refused for 12 s, longer than DPD's two intervals (5 s each), so both ends find DTLS
# dead; the transfers go on over CSTP, and afterwards the client redials (every 2 s)
# and the server, listening again, takes the new handshake.
udp_outage() {
	ip -n "$ns_l" rule add ipproto udp to 10.93.0.1 prohibit &&
		ip -n "$ns_s" rule add ipproto udp to 10.93.0.11 prohibit || return 1
	sleep 12
	ip -n "$ns_l" rule del ipproto udp to 10.93.0.1 prohibit
	ip -n "$ns_s" rule del ipproto udp to 10.93.0.11 prohibit
}
outages=0

# The cycles: log in, DTLS up, pings both ways through the tunnel, goodbye.
base_fds=
base_rss=
for c in $(seq 1 "$cycles"); do
	# Two outages, a third and two thirds of the way through the cycles.
	if [ "$c" = $((cycles / 3)) ] || [ "$c" = $((2 * cycles / 3)) ]; then
		wait_for 600 sh -c "[ \$(grep -c 'DTLS up again' '$work/long.out') -ge $outages ]" ||
			fail "the long client did not redial DTLS after outage $outages"
		udp_outage &
		outages=$((outages + 1))
	fi
	echo secret-pw | ip netns exec "$ns_c" "$zcvpn" connect --json --protocol anyconnect \
		--servercert "$pin" --user tester --passwd-on-stdin --tun zskc "$url" \
		>"$work/cycle.out" 2>&1 &
	cycle_pid=$!
	wait_for 300 grep -q "DTLS up" "$work/cycle.out" || fail "cycle $c: no DTLS"
	ip netns exec "$ns_c" ping -c 2 -i 0.2 -W 2 10.78.0.1 >/dev/null 2>&1 || fail "cycle $c: no ping"
	kill -TERM "$cycle_pid"
	wait "$cycle_pid" || fail "cycle $c: the client exited $?"
	if [ "$c" = "$warmup" ]; then
		sleep 1	# the session's goodbye is done at the server
		base_fds=$(fds "$server_pid")
		base_rss=$(rss_kb "$server_pid")
		base_time=$SECONDS
	fi
done
echo "$cycles clients logged in, brought DTLS up, pinged through it and said goodbye"
wait_for 600 sh -c "[ \$(grep -c 'DTLS up again' '$work/long.out') -ge $outages ]" ||
	fail "the long client did not redial DTLS after outage $outages"
echo "the long client's DTLS cut $outages times for 12 s: both ends found it dead, the" \
	"transfers went on over CSTP, and the client redialled $(grep -c 'DTLS up again' "$work/long.out") times"
while [ $((SECONDS - ${base_time:-0})) -lt $((seconds - 20)) ] && [ "$SECONDS" -lt "$seconds" ]; do
	sleep 5
done
touch "$work/stop"
wait "$mover"
grep -q FAILED "$work/transfers" && fail "a transfer did not arrive intact: $(grep FAILED "$work/transfers")"
echo "the long client moved $(grep -c . "$work/transfers") transfers of 16 MiB, each intact"

# As after the warm-up: the long client's session up, no cycle's.
end_fds=$(fds "$server_pid")
end_rss=$(rss_kb "$server_pid")
kill -TERM "$long_pid"
wait "$long_pid"
rc=$?
long_pid=
[ "$rc" = 0 ] || fail "the long client exited $rc"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ "$rc" = 0 ] || fail "the server exited $rc (LeakSanitizer, or an error)"
kill "$sampler" 2>/dev/null

echo "server RSS (s kB): $(tr '\n' ',' <"$work/rss" | sed 's/,$//; s/,/, /g')"
echo "server after warm-up: $base_rss kB, $base_fds descriptors; at the end: $end_rss kB, $end_fds descriptors"
[ "$end_fds" = "$base_fds" ] || fail "descriptors went from $base_fds to $end_fds"
limit=$((base_rss + (base_rss / 10 > 8192 ? base_rss / 10 : 8192)))
peak=$(awk -v from="$((base_time - 10))" '$1 >= from && $2 > m { m = $2 } END { print m + 0 }' "$work/rss")
[ "$end_rss" -le "$limit" ] && [ "$peak" -le "$limit" ] ||
	fail "resident memory grew: $base_rss kB after warm-up, peak $peak, end $end_rss (limit $limit)"
echo "script: PASS soak ($((SECONDS)) s)"
