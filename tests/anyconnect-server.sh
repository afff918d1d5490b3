#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real clients of `zcvpn serve --protocol anyconnect`: Debian's openconnect 9.01 (and
# zcvpn connect) in one network namespace, the server on real tun devices in another,
# joined by a veth pair.  The password file is ocpasswd's; openconnect configures its
# tun with Debian's own vpnc-script.  For each case: the XML login, PSK-NEGOTIATE DTLS
# (openconnect's log must say so) or CSTP only, ping over IPv4 and IPv6, MB each way
# over TCP with the SHA-256 checked at the far end, DPD answered, and a clean
# DISCONNECT when the client is stopped.  Then the refusals: a wrong password, a
# user outside the chosen group.  Needs root; uses only the namespaces it creates.
# CASES picks a subset of the table (default: all); MB sets the transfer size
# (default 100).
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
. "$srcdir/tests/no-secrets.sh"
mb=${MB:-100}
. "$srcdir/tests/netns-env.sh"
ne_skip_unless openconnect ocpasswd python3
[ -x /usr/share/vpnc-scripts/vpnc-script ] || { echo "SKIP: needs vpnc-scripts"; exit 77; }

# name          client       server options  client options    DTLS
cases_table="
oc-dtls         openconnect  -               -                 yes
oc-cstp         openconnect  -               --no-dtls         no
oc-server-cstp  openconnect  --no-dtls       -                 no
zcvpn-dtls      zcvpn        -               -                 yes
"
want=${CASES:-$(echo "$cases_table" | awk 'NF { printf "%s ", $1 } END { print "refusals" }')}

ns_s=zcvpn-acs-$$
ns_c=zcvpn-acc-$$
work=$(mktemp -d)
cleanup() {
	[ -n "${client_pid:-}" ] && kill -9 "$client_pid" 2>/dev/null
	[ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	ip netns del "$ns_c" 2>/dev/null
	rm -rf "/etc/netns/$ns_c" "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 60 "$f"; }; done
	exit 1
}
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { ip netns exec "$ns_c" "$@"; }
# A session's report, and the server's summary at its exit.
value() { python3 "$srcdir/tests/report-value.py" --role server "$@"; }
summary() { python3 "$srcdir/tests/report-value.py" --role anyconnect-server "$@"; }

ip netns add "$ns_s" && ip netns add "$ns_c" || fail "cannot create namespaces"
ne_link "$ns_s" zac-s 10.98.0.1/24 "$ns_c" zac-c 10.98.0.2/24 || fail "veth"
# vpnc-script edits resolv.conf when told DNS: give the client namespace its own.
mkdir -p "/etc/netns/$ns_c" && : >"/etc/netns/$ns_c/resolv.conf"

cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
printf 'secret-pw\nsecret-pw\n' | ocpasswd -c "$work/passwd" -g staff tester || fail "ocpasswd"
printf 'other-pw\nother-pw\n' | ocpasswd -c "$work/passwd" -g guests guest || fail "ocpasswd"

start_server() {
	local port=$1
	shift
	ip netns exec "$ns_s" "$zcvpn" serve --json --protocol anyconnect --listen "10.98.0.1:$port" \
		--cert "$cert" --key "$key" --passwd "$work/passwd" --tun zacs "$@" \
		>"$work/server.out" 2>&1 &
	server_pid=$!
	wait_for 50 grep -q listening "$work/server.out" || fail "server did not start"
}

start_client() {
	local client=$1 port=$2 copts=$3
	if [ "$client" = openconnect ]; then
		# shellcheck disable=SC2086
		echo secret-pw | ip netns exec "$ns_c" timeout -k 2 120 openconnect --servercert "$pin" \
			--user tester --passwd-on-stdin --interface zacc0 -v $copts \
			"https://10.98.0.1:$port/" >"$work/client.out" 2>&1 &
	else
		# shellcheck disable=SC2086
		echo secret-pw | ip netns exec "$ns_c" timeout -k 2 120 "$zcvpn" connect --json --protocol anyconnect \
			--servercert "$pin" --user tester --passwd-on-stdin --tun zacc0 $copts \
			"https://10.98.0.1:$port/" >"$work/client.out" 2>&1 &
	fi
	client_pid=$!
}

run_case() {
	local name=$1 client=$2 sopts=$3 copts=$4 dtls=$5
	local port=$((4400 + RANDOM % 500))
	[ "$sopts" = - ] && sopts=
	[ "$copts" = - ] && copts=
	rm -f "$work"/*.out
	echo "=== $name: zcvpn serve $sopts / $client $copts"
	# shellcheck disable=SC2086
	start_server "$port" --once --dpd 3 $sopts
	start_client "$client" "$port" "$copts"

	wait_for 150 in_c sh -c "ip -4 addr show dev zacc0 2>/dev/null | grep -q 10.78.0.2" ||
		fail "$name: the client tun never got its address"
	grep -q "login of 'tester'" "$work/server.out" || fail "$name: no login at the server"
	if [ "$dtls" = yes ]; then
		if [ "$client" = openconnect ]; then
			wait_for 100 grep -q "Established DTLS connection" "$work/client.out" ||
				fail "$name: openconnect never established DTLS"
		fi
		wait_for 50 grep -q "DTLS up" "$work/server.out" || fail "$name: no DTLS at the server"
	fi
	in_c ping -c 3 -i 0.2 -W 2 10.78.0.1 >"$work/ping.out" 2>&1 || fail "$name: IPv4 ping"
	wait_for 50 in_c sh -c "ip -6 addr show dev zacc0 | grep -q fd78::2" ||
		fail "$name: no IPv6 address on the client tun"
	in_c ping -6 -c 3 -i 0.2 -W 2 fd78::1 >"$work/ping6.out" 2>&1 || fail "$name: IPv6 ping"
	ne_transfer "$name-up" "$ns_c" "$ns_s" 10.78.0.1 5201 "$mb" "$work" || fail "$name: up"
	ne_transfer "$name-down" "$ns_s" "$ns_c" 10.78.0.2 5202 "$mb" "$work" || fail "$name: down"
	# DPD: idle for twice the 3 s interval, so the client's dead-peer probe comes.
	sleep 7

	kill -INT "$client_pid"
	wait "$client_pid" 2>/dev/null
	client_pid=
	wait_for 100 sh -c "! kill -0 $server_pid 2>/dev/null" || fail "$name: the server did not end"
	wait "$server_pid" || fail "$name: zcvpn serve failed"
	server_pid=
	grep -q "the client disconnected" "$work/server.out" || fail "$name: no DISCONNECT from the client"
	local dpd
	dpd=$(( $(value "$work/server.out" dpd_req_rx) + $(value "$work/server.out" cstp_dpd_rx) )) ||
		fail "$name: no report from the session"
	[ "$dpd" -gt 0 ] || fail "$name: no DPD from the client"
	if [ "$dtls" = yes ]; then
		[ "$(value "$work/server.out" copied_bytes)" = 0 ] || fail "$name: data copied (took CSTP?)"
	else
		[ "$(value "$work/server.out" cstp_data_rx)" -gt 0 ] || fail "$name: no data over CSTP"
	fi
	echo "$name: server dpd $dpd copied_bytes $(value "$work/server.out" copied_bytes)"
	# openconnect prints its own session cookie's hash; ours must print no password.
	no_secrets "$name" secret-pw -- "$work/server.out" "$work/client.out" || fail "$name: a secret leaked"
	echo "$name: PASS"
}

# A wrong password, then a user outside the chosen group: refused, counted, no session.
run_refusals() {
	local port=$((4400 + RANDOM % 500))
	rm -f "$work"/*.out
	echo "=== refusals"
	start_server "$port" --group staff --group guests
	echo wrong-pw | in_c timeout -k 2 30 openconnect --servercert "$pin" --user tester \
		--authgroup staff --passwd-on-stdin --interface zacc0 "https://10.98.0.1:$port/" \
		>"$work/wrong.out" 2>&1 && fail "refusals: openconnect logged in with a wrong password"
	echo other-pw | in_c timeout -k 2 30 openconnect --servercert "$pin" --user guest \
		--authgroup staff --passwd-on-stdin --interface zacc0 "https://10.98.0.1:$port/" \
		>"$work/group.out" 2>&1 && fail "refusals: a guest logged in to group staff"
	echo other-pw | in_c timeout -k 2 30 "$zcvpn" connect --protocol anyconnect --servercert "$pin" \
		--user guest --passwd-on-stdin --tun zacc0 --duration 1 "https://10.98.0.1:$port/" \
		>"$work/zcvpn-group.out" 2>&1
	local status=$?
	[ "$status" = 5 ] || fail "refusals: zcvpn connect without a group exited $status, not 5 (login)"
	kill -TERM "$server_pid"
	wait "$server_pid" || fail "refusals: zcvpn serve failed"
	server_pid=
	local failed sessions
	failed=$(summary "$work/server.out" logins_failed)
	sessions=$(summary "$work/server.out" sessions)
	[ "$failed" -ge 3 ] && [ "$sessions" = 0 ] ||
		fail "refusals: logins_failed '$failed' sessions '$sessions'"
	echo "refusals: logins_failed $failed, sessions $sessions: PASS"
}

while read -r name client sopts copts dtls; do
	[ -n "$name" ] || continue
	case " $want " in *" $name "*) ;; *) continue ;; esac
	run_case "$name" "$client" "$sopts" "$copts" "$dtls" </dev/null
done <<<"$cases_table"
case " $want " in *" refusals "*) run_refusals ;; esac
echo "script: PASS"
