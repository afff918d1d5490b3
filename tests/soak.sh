#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The soak: for SOAK_SECONDS (default 300), on real tun devices, all three transports at
# once:
#   - AnyConnect: one `zcvpn serve --protocol anyconnect`, a long-lived `zcvpn connect`
#     moving TCP both ways all along (16 MiB transfers back to back, each checked by
#     SHA-256), and 3/5 of SOAK_CYCLES (default 200) more clients logging in one by one,
#     bringing DTLS up, pinging the server through it, then saying goodbye; twice
#     meanwhile the long client's DTLS is cut for 12 s (its UDP refused both ways):
#     both ends' DPD find it dead, the transfers go on over CSTP, and the client redials;
#   - PPP over DTLS: one `zcvpn serve --protocol f5` (a session at a time) and F5 clients
#     one after another, each logging in, bringing DTLS and IPCP up, moving 2 MiB each
#     way and terminating, until the time is up (with the AnyConnect ones, at least
#     SOAK_CYCLES connect/disconnect cycles in all);
#   - ESP: a `zcvpn serve` and `zcvpn connect` pair with one key file, moving 16 MiB
#     transfers both ways (paced at 40 Mbit/s) all along, rekeyed twice (new SAs in the
#     file, SIGHUP at each end); the outages above cut its UDP too, and TCP resumes.
# Each server's resident memory is sampled every 10 s and printed as a curve; after the
# warm-up it must stay flat (within 10 % or 8 MiB), its open descriptors must be as many
# at the end as after the warm-up, and every process must exit cleanly.  Built with
# --enable-sanitizers, LeakSanitizer checks every exit (ASan's quarantine is kept small
# so that RSS means something).  Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
seconds=${SOAK_SECONDS:-300}
cycles=${SOAK_CYCLES:-200}	# connect/disconnect cycles in all: AnyConnect's and PPP's
ac_cycles=$((cycles * 3 / 5))	# the AnyConnect ones; PPP sessions go on until the end
warmup=$((ac_cycles < 40 ? ac_cycles / 2 : 20))	# AnyConnect cycles before the baseline
ppp_warmup=5	# PPP sessions before its server's baseline
. "$srcdir/tests/netns-env.sh"
ne_skip_unless ocpasswd python3
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"

tag=$$
ns_s=zcvpn-sks-$tag
ns_l=zcvpn-skl-$tag
ns_c=zcvpn-skc-$tag
work=$(mktemp -d)
pids=()
# Everything started is killed: the loops, and whatever runs in the namespaces (a loop's
# own children among them), so that the wait cannot hang on a loop still going.
cleanup() {
	touch "$work/stop"
	for p in "${pids[@]}" ${cycle_pid:-}; do kill -9 "$p" 2>/dev/null; done
	for ns in "$ns_s" "$ns_l" "$ns_c"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9; done
	wait 2>/dev/null
	for ns in "$ns_s" "$ns_l" "$ns_c"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out; do
		case $f in *-send.out | *-recv.out) continue ;; esac
		[ -f "$f" ] && { echo "--- $f"; grep -v '^{' "$f" | tail -n 30; }
	done
	exit 1
}
in_s() { ip netns exec "$ns_s" "$@"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
# A process's RSS every 10 s while it lives, as "seconds kB" lines into a file.
# (A subshell's SECONDS go on from the script's: the times are the script's.)
sample_rss() {
	while kill -0 "$1" 2>/dev/null; do
		echo "$SECONDS $(rss_kb "$1")"
		sleep 10
	done
}

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
(umask 077 && "$zcvpn" genkey --enc aes256-gcm >"$work/esp-keys") || fail "genkey"
url=https://10.93.0.1:4443/
ppp_url=https://10.93.0.1:4444/

# ip netns exec execs zcvpn: $! is the server itself, for its RSS and its signals.
ip netns exec "$ns_s" "$zcvpn" serve --json --protocol anyconnect --listen 10.93.0.1:4443 --cert "$cert" \
	--key "$key" --passwd "$work/passwd" --tun zsks --dpd 5 --max-clients 4 \
	>"$work/server.out" 2>&1 &
server_pid=$!
pids+=("$server_pid")
ip netns exec "$ns_s" "$zcvpn" serve --json --protocol f5 --listen 10.93.0.1:4444 --cert "$cert" \
	--key "$key" --user tester --password secret-pw --tun zskp >"$work/ppp-server.out" 2>&1 &
ppp_server_pid=$!
pids+=("$ppp_server_pid")
ip netns exec "$ns_s" "$zcvpn" serve --json --tun zske --local 10.93.0.1:4500 \
	--key-file "$work/esp-keys" >"$work/esp-server.out" 2>&1 &
esp_server_pid=$!
pids+=("$esp_server_pid")
wait_for 100 grep -q listening "$work/server.out" || fail "the AnyConnect server did not start"
wait_for 100 grep -q listening "$work/ppp-server.out" || fail "the PPP server did not start"
wait_for 100 ip -n "$ns_s" link show zske >/dev/null 2>&1 || fail "the ESP server: no tun"
for p in server:$server_pid ppp-server:$ppp_server_pid esp-server:$esp_server_pid; do
	sample_rss "${p#*:}" >"$work/rss-${p%%:*}" 2>/dev/null &
	pids+=("$!")
done

# The long-lived AnyConnect client, and TCP both ways through it until told to stop.
echo secret-pw | ip netns exec "$ns_l" "$zcvpn" connect --json --protocol anyconnect \
	--servercert "$pin" --user tester --passwd-on-stdin --tun zskl --dtls-redial 2 "$url" \
	>"$work/long.out" 2>&1 &
long_pid=$!
pids+=("$long_pid")
wait_for 300 grep -q "DTLS up" "$work/long.out" || fail "the long client: no DTLS"
long_addr=$(ip -n "$ns_l" -4 -o addr show dev zskl | awk '{ sub("/.*", "", $4); print $4 }')
[ -n "$long_addr" ] || fail "the long client: no address"

# The ESP client, beside it.
ip netns exec "$ns_l" "$zcvpn" connect --json --tun zske --remote 10.93.0.1:4500 \
	--key-file "$work/esp-keys" --keepalive 1000 >"$work/esp-client.out" 2>&1 &
esp_client_pid=$!
pids+=("$esp_client_pid")
wait_for 100 ip -n "$ns_l" link show zske >/dev/null 2>&1 || fail "the ESP client: no tun"
in_s ip addr add 10.95.0.1 peer 10.95.0.2 dev zske && in_s ip link set zske up &&
	ip -n "$ns_l" addr add 10.95.0.2 peer 10.95.0.1 dev zske && ip -n "$ns_l" link set zske up ||
	fail "the ESP tuns"

# TCP both ways between the long-lived ends until told to stop: a label, the client's
# and the server's tunnel addresses, a port base, and a pace (Mbit/s, or none).
transfers() {
	local label=$1 client_addr=$2 server_addr=$3 base=$4 rate=${5:-} n=0 port up
	while [ ! -e "$work/stop" ]; do
		n=$((n + 1))
		port=$((base + n % 500))
		ne_transfer "$label-up$n" "$ns_l" "$ns_s" "$server_addr" "$port" 16 "$work" $rate \
			>>"$work/transfers-$label" &
		up=$!	# (ne_transfer starts a job of its own: $! is not this one afterwards)
		ne_transfer "$label-down$n" "$ns_s" "$ns_l" "$client_addr" "$((port + 500))" 16 \
			"$work" $rate >>"$work/transfers-$label" || echo "FAILED down$n" >>"$work/transfers-$label"
		wait "$up" || echo "FAILED up$n" >>"$work/transfers-$label"
		rm -f "$work/$label"-up*.out "$work/$label"-down*.out
	done
}
transfers anyconnect "$long_addr" 10.78.0.1 6000 &
mover=$!
pids+=("$mover")
transfers esp 10.95.0.2 10.95.0.1 7000 40 &
esp_mover=$!
pids+=("$esp_mover")

# PPP sessions one after another until told to stop: log in, DTLS and IPCP up, 2 MiB
# each way, terminate.  The PPP server's baseline is taken after the warm-up.
ppp_sessions() {
	local n=0 pid
	while [ ! -e "$work/stop" ]; do
		n=$((n + 1))
		ip netns exec "$ns_c" "$zcvpn" connect --json --protocol f5 "$ppp_url" --user tester \
			--passwd-on-stdin --servercert "$pin" --tun zskp <<<secret-pw \
			>"$work/ppp-client.out" 2>&1 &
		pid=$!
		if ! wait_for 300 sh -c "ip -n $ns_c -4 addr show dev zskp 2>/dev/null | grep -q 10.77.0.2"; then
			echo "FAILED session $n: no IPCP address"
			kill -9 "$pid" 2>/dev/null
			return 1
		fi
		grep -q "DTLS up" "$work/ppp-client.out" || { echo "FAILED session $n: not over DTLS"; return 1; }
		wait_for 50 sh -c "ip -n $ns_s -4 addr show dev zskp 2>/dev/null | grep -q 10.77.0.1" ||
			{ echo "FAILED session $n: no address on the server's tun"; return 1; }
		ne_transfer "ppp-up$n" "$ns_c" "$ns_s" 10.77.0.1 8000 2 "$work" >/dev/null ||
			{ echo "FAILED session $n: up"; return 1; }
		ne_transfer "ppp-down$n" "$ns_s" "$ns_c" 10.77.0.2 8001 2 "$work" >/dev/null ||
			{ echo "FAILED session $n: down"; return 1; }
		kill -TERM "$pid"
		wait "$pid" || { echo "FAILED session $n: the client exited $?"; return 1; }
		if [ "$n" = "$ppp_warmup" ]; then
			sleep 1
			echo "base $(fds "$ppp_server_pid") $(rss_kb "$ppp_server_pid") $SECONDS"
		fi
		echo "session $n"
	done
}
ppp_sessions >"$work/ppp-sessions" 2>&1 &
ppp_loop=$!
pids+=("$ppp_loop")

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
redials() { grep -c 'DTLS up again' "$work/long.out"; }
# An ESP rekey: new SAs in the key file, and a SIGHUP at each end half a second apart.
esp_rekey() {
	(umask 077 && "$zcvpn" genkey --enc aes256-gcm >"$work/esp-keys.next") &&
		mv "$work/esp-keys.next" "$work/esp-keys" || fail "ESP: no new key file"
	kill -HUP "$esp_server_pid" || fail "ESP: the server is gone"
	sleep 0.5
	kill -HUP "$esp_client_pid" || fail "ESP: the client is gone"
}
esp_rekeys=0

# The cycles: log in, DTLS up, pings both ways through the tunnel, goodbye.
base_fds=
base_rss=
late_pings=0
for c in $(seq 1 "$ac_cycles"); do
	# Two outages, a third and two thirds of the way through the cycles.
	if [ "$c" = $((ac_cycles / 3)) ] || [ "$c" = $((2 * ac_cycles / 3)) ]; then
		wait_for 600 sh -c "[ \$(grep -c 'DTLS up again' '$work/long.out') -ge $outages ]" ||
			fail "the long client did not redial DTLS after outage $outages"
		udp_outage &
		outages=$((outages + 1))
	fi
	# Two ESP rekeys, between the outages.
	if [ "$c" = $((ac_cycles / 2)) ] || [ "$c" = $((5 * ac_cycles / 6)) ]; then
		esp_rekey
		esp_rekeys=$((esp_rekeys + 1))
	fi
	echo secret-pw | ip netns exec "$ns_c" "$zcvpn" connect --json --protocol anyconnect \
		--servercert "$pin" --user tester --passwd-on-stdin --tun zskc "$url" \
		>"$work/cycle.out" 2>&1 &
	cycle_pid=$!
	wait_for 300 grep -q "DTLS up" "$work/cycle.out" || fail "cycle $c: no DTLS"
	# Two pings; should both go unanswered, pings for 10 s more (counted: CI once saw
	# a cycle's first two pings lost, which this would tell apart from a dead tunnel).
	if ! ip netns exec "$ns_c" ping -c 2 -i 0.2 -W 2 10.78.0.1 >/dev/null 2>&1; then
		late_pings=$((late_pings + 1))
		wait_for 10 ip netns exec "$ns_c" ping -c 1 -W 1 10.78.0.1 >/dev/null 2>&1 ||
			fail "cycle $c: no ping"
	fi
	kill -TERM "$cycle_pid"
	wait "$cycle_pid" || fail "cycle $c: the client exited $?"
	if [ "$c" = "$warmup" ]; then
		sleep 1	# the session's goodbye is done at the server
		base_fds=$(fds "$server_pid")
		base_rss=$(rss_kb "$server_pid")
		esp_base_fds=$(fds "$esp_server_pid")
		esp_base_rss=$(rss_kb "$esp_server_pid")
		base_time=$SECONDS
	fi
	grep -q FAILED "$work/ppp-sessions" && fail "PPP: $(grep FAILED "$work/ppp-sessions")"
done
echo "$ac_cycles AnyConnect clients logged in, brought DTLS up, pinged through it and said" \
	"goodbye ($late_pings of them with their first two pings lost)"
wait_for 600 sh -c "[ \$(grep -c 'DTLS up again' '$work/long.out') -ge $outages ]" ||
	fail "the long client did not redial DTLS after outage $outages"
echo "the long client's DTLS cut $outages times for 12 s: both ends found it dead, the" \
	"transfers went on over CSTP, and the client redialled $(redials) times"
while [ $((SECONDS - ${base_time:-0})) -lt $((seconds - 20)) ] && [ "$SECONDS" -lt "$seconds" ]; do
	sleep 5
done
touch "$work/stop"
wait "$mover" "$esp_mover"
wait "$ppp_loop" || fail "PPP: $(grep FAILED "$work/ppp-sessions")"
for t in anyconnect esp; do
	grep -q FAILED "$work/transfers-$t" &&
		fail "$t: a transfer did not arrive intact: $(grep FAILED "$work/transfers-$t")"
done
echo "the long AnyConnect client moved $(grep -c . "$work/transfers-anyconnect") transfers of" \
	"16 MiB, the ESP pair $(grep -c . "$work/transfers-esp"), each intact"
for f in esp-server esp-client; do
	[ "$(grep -c 'in use; rekeyed' "$work/$f.out")" = "$esp_rekeys" ] ||
		fail "ESP: $f rekeyed $(grep -c 'in use; rekeyed' "$work/$f.out") times, not $esp_rekeys"
done
echo "the ESP pair rekeyed $esp_rekeys times under the transfers (SIGHUP, new SAs)"
ppp_cycles=$(grep -c '^session' "$work/ppp-sessions")
echo "$ppp_cycles PPP sessions logged in, brought DTLS and IPCP up, moved 2 MiB each way and" \
	"terminated"
[ $((ac_cycles + ppp_cycles)) -ge "$cycles" ] ||
	fail "$((ac_cycles + ppp_cycles)) connect/disconnect cycles in all, not $cycles"

# As after the warm-up: the long client's session up, no cycle's.
end_fds=$(fds "$server_pid")
end_rss=$(rss_kb "$server_pid")
ppp_end_fds=$(fds "$ppp_server_pid")
ppp_end_rss=$(rss_kb "$ppp_server_pid")
esp_end_fds=$(fds "$esp_server_pid")
esp_end_rss=$(rss_kb "$esp_server_pid")
# Every process ends cleanly (LeakSanitizer runs at each exit).
for p in "long client:$long_pid" "ESP client:$esp_client_pid" "AnyConnect server:$server_pid" \
	"PPP server:$ppp_server_pid" "ESP server:$esp_server_pid"; do
	kill -TERM "${p#*:}"
	wait "${p#*:}"
	rc=$?
	[ "$rc" = 0 ] || fail "the ${p%%:*} exited $rc (LeakSanitizer, or an error)"
done
pids=()

# Flat: the end and every sample since the baseline within 10 % or 8 MiB of it.
check_flat() {
	local name=$1 curve=$2 base_rss=$3 base_fds=$4 since=$5 end_rss=$6 end_fds=$7 limit peak
	echo "$name RSS (s kB): $(tr '\n' ',' <"$curve" | sed 's/,$//; s/,/, /g')"
	echo "$name after warm-up: $base_rss kB, $base_fds descriptors; at the end: $end_rss kB," \
		"$end_fds descriptors"
	[ "$end_fds" = "$base_fds" ] || fail "$name: descriptors went from $base_fds to $end_fds"
	limit=$((base_rss + (base_rss / 10 > 8192 ? base_rss / 10 : 8192)))
	peak=$(awk -v from="$since" '$1 >= from && $2 > m { m = $2 } END { print m + 0 }' "$curve")
	[ "$end_rss" -le "$limit" ] && [ "$peak" -le "$limit" ] ||
		fail "$name: resident memory grew: $base_rss kB after warm-up, peak $peak, end $end_rss (limit $limit)"
}
read -r _ ppp_base_fds ppp_base_rss ppp_base_time < <(grep '^base' "$work/ppp-sessions")
[ -n "${ppp_base_time:-}" ] || fail "PPP: fewer than $ppp_warmup sessions"
check_flat "AnyConnect server" "$work/rss-server" "$base_rss" "$base_fds" "$((base_time - 10))" \
	"$end_rss" "$end_fds"
check_flat "PPP server" "$work/rss-ppp-server" "$ppp_base_rss" "$ppp_base_fds" \
	"$((ppp_base_time - 10))" "$ppp_end_rss" "$ppp_end_fds"
check_flat "ESP server" "$work/rss-esp-server" "$esp_base_rss" "$esp_base_fds" "$((base_time - 10))" \
	"$esp_end_rss" "$esp_end_fds"
echo "script: PASS soak ($((SECONDS)) s)"
