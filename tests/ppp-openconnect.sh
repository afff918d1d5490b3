#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Debian's openconnect 9.01 as the client of `zcvpn serve --protocol f5|fortinet|nullppp`:
# two network namespaces joined by a veth pair, zcvpn serve on a real tun in one,
# openconnect on a real tun in the other (its vpnc-script is ours: it records the
# environment and puts the IPCP address on the tun).  For each case: LCP, IPCP and
# IP6CP open, ping over IPv4 and IPv6, MB each way over TCP with the SHA-256 checked at
# the far end, the DTLS connection in openconnect's log where DTLS is offered, and a
# clean Terminate when openconnect is stopped.  Needs root; uses only the namespaces it
# creates.  CASES (space-separated names from the table below) picks a subset (default:
# all); MB sets the transfer size (default 100).  Over DTLS openconnect must log the
# DTLS connection and our server its DTLS session, and the report must show
# copied_bytes 0: data never took TLS.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
mb=${MB:-100}
. "$srcdir/tests/netns-env.sh"
ne_skip_unless openconnect python3

# name        protocol  server options   openconnect options          DTLS expected
cases_table="
nullppp       nullppp   -                -                            no
nullppp-hdlc  nullppp   --hdlc           --cookie=hdlc                no
f5-tls        f5        --no-dtls        -                            no
f5-hdlc       f5        --hdlc           -                            no
fortinet-tls  fortinet  --no-dtls        -                            no
f5-dtls       f5        -                -                            yes
fortinet-dtls fortinet  -                -                            yes
"
want=${CASES:-$(echo "$cases_table" | awk 'NF { printf "%s ", $1 }')}

ns_s=zcvpn-ppps-$$
ns_c=zcvpn-pppc-$$
work=$(mktemp -d)
cleanup() {
	[ -n "${oc_pid:-}" ] && kill -9 "$oc_pid" 2>/dev/null
	[ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	ip netns del "$ns_c" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/script.env; do [ -f "$f" ] && { echo "--- $f"; tail -n 60 "$f"; }; done
	exit 1
}
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { ip netns exec "$ns_c" "$@"; }

ip netns add "$ns_s" && ip netns add "$ns_c" || fail "cannot create namespaces"
ne_link "$ns_s" zpp-s 10.99.0.1/24 "$ns_c" zpp-c 10.99.0.2/24 || fail "veth"

cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")

# openconnect's vpnc-script: the address IPCP gave, an IPv6 address of the test's.
cat >"$work/script" <<EOF
#!/bin/sh
env >>"$work/script.env"
if [ "\$reason" = connect ]; then
	ip link set dev "\$TUNDEV" up mtu "\${INTERNAL_IP4_MTU:-1400}"
	[ -n "\${INTERNAL_IP4_ADDRESS:-}" ] && ip addr add "\$INTERNAL_IP4_ADDRESS" peer 10.77.0.1 dev "\$TUNDEV"
	ip -6 addr add fd77::2/64 dev "\$TUNDEV" nodad
fi
exit 0
EOF
chmod +x "$work/script"


run_case() {
	local name=$1 proto=$2 sopts=$3 copts=$4 dtls=$5
	local port=$((4400 + RANDOM % 500))
	[ "$sopts" = - ] && sopts=
	[ "$copts" = - ] && copts=
	rm -f "$work"/*.out "$work/script.env"
	echo "=== $name: zcvpn serve --protocol $proto $sopts / openconnect $copts"

	ip netns exec "$ns_s" "$zcvpn" serve --json --protocol "$proto" --listen "10.99.0.1:$port" \
		--cert "$cert" --key "$key" --user tester --password secret-pw --tun zpps0 \
		--once $sopts >"$work/server.out" 2>&1 &
	server_pid=$!
	wait_for 50 grep -q listening "$work/server.out" || fail "$name: server did not start"

	# shellcheck disable=SC2086
	echo secret-pw | ip netns exec "$ns_c" timeout -k 2 120 openconnect --protocol="$proto" \
		--servercert "$pin" --user tester --passwd-on-stdin --interface zppc0 \
		--script "$work/script" -v $copts "https://10.99.0.1:$port/" >"$work/oc.out" 2>&1 &
	oc_pid=$!

	wait_for 150 in_c sh -c "ip -4 addr show dev zppc0 2>/dev/null | grep -q 10.77.0.2" ||
		fail "$name: the client tun never got the IPCP address"
	in_s ip -6 addr add fd77::1/64 dev zpps0 nodad 2>/dev/null
	if [ "$dtls" = yes ]; then
		wait_for 100 grep -q "Established DTLS connection" "$work/oc.out" ||
			fail "$name: openconnect never established DTLS"
		wait_for 50 grep -q "DTLS up" "$work/server.out" || fail "$name: no DTLS at the server"
	fi
	in_c ping -c 3 -i 0.2 -W 2 10.77.0.1 >"$work/ping.out" 2>&1 || fail "$name: IPv4 ping"
	in_c ping -6 -c 3 -i 0.2 -W 2 fd77::1 >"$work/ping6.out" 2>&1 || fail "$name: IPv6 ping"

	# MB each way, hashed at both ends.
	ne_transfer "$name-up" "$ns_c" "$ns_s" 10.77.0.1 5201 "$mb" "$work" || fail "$name: up"
	ne_transfer "$name-down" "$ns_s" "$ns_c" 10.77.0.2 5202 "$mb" "$work" || fail "$name: down"

	# openconnect's goodbye: SIGINT, then the server ends its session on the Terminate.
	kill -INT "$oc_pid"
	wait "$oc_pid" 2>/dev/null
	oc_pid=
	wait_for 100 sh -c "! kill -0 $server_pid 2>/dev/null" || fail "$name: the server did not end"
	wait "$server_pid" || fail "$name: zcvpn serve failed"
	server_pid=
	grep -q "the client terminated\|the client closed" "$work/server.out" ||
		fail "$name: no clean end"
	if [ "$dtls" = yes ]; then
		[ "$(python3 "$srcdir/tests/report-value.py" "$work/server.out" copied_bytes)" = 0 ] ||
			fail "$name: data copied (took TLS?)"
	fi
	grep -E '^zcvpn: (PPP up|IP6CP up|DTLS up)' "$work/server.out"
	echo "server: copied_bytes $(python3 "$srcdir/tests/report-value.py" "$work/server.out" copied_bytes)"
	grep -q "IP6CP up" "$work/server.out" || fail "$name: IP6CP did not open"
	echo "$name: PASS"
}

while read -r name proto sopts copts dtls; do
	[ -n "$name" ] || continue
	case " $want " in *" $name "*) ;; *) continue ;; esac
	run_case "$name" "$proto" "$sopts" "$copts" "$dtls"
done <<<"$cases_table"
echo "script: PASS"
