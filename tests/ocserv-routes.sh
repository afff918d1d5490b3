#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# zcvpn's AnyConnect client setting up the network itself (no --script) against Debian's
# ocserv in a network namespace (tests/ocserv-env.sh), with an IPv6 pool, DNS, a domain
# and split routes of both families.  The client namespace has default routes of both
# families over the veth, as a host on a LAN would.
#  1. Split tunnel: the tun has the IPv4 address and the IPv6 address and prefix ocserv
#     gave; a ping and a ping6 cross the tunnel to ocserv's own tun addresses; every
#     split include is a route via the tun, every exclude inside one a route via the
#     veth's gateway (where the default route went), the server's own address (inside an
#     include here) a host route via the veth; `ip route get` agrees, address by address;
#     the default routes are untouched; DNS and domain said once on stderr ("not written
#     to resolv.conf") and in the --json report; after SIGTERM the tun is gone and the
#     routing tables of both families are exactly as before.
#  2. Full tunnel (no route = lines): both addresses on the tun, one line saying the
#     default route stays, and the default routes the same as before.
# Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: needs ping (apt-get install iputils-ping)"; exit 77; }

client_pid=
cleanup() {
	[ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null
	sleep 0.3
	oc_cleanup
}
trap cleanup EXIT

POOL6=fd91:6d87:7341
TUN=zr-tun
OC_DNS="dns = 192.168.251.53
dns = $POOL6::53
default-domain = vpn.test
ipv6-network = $POOL6::/48
ipv6-subnet-prefix = 64"

# The veth as a LAN: IPv6 on it too, and a default route of each family to the server's end.
lan_setup() {
	ip -n "$OC_NS_CLI" addr add fd99::1/64 dev zoc-c nodad &&
		ip -n "$OC_NS_SRV" addr add fd99::2/64 dev zoc-s nodad &&
		ip -n "$OC_NS_CLI" route add default via 10.91.0.2 &&
		ip -n "$OC_NS_CLI" -6 route add default via fd99::2 || oc_fail "the LAN's routes"
}

routes() {
	{ oc_in_client ip route show; oc_in_client ip -6 route show; } 2>&1
}

# connect NAME: zcvpn in the background until it has configured the tun and DTLS is up.
connect() {
	local out="$OC_DIR/$1.out"
	ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --duration 120 \
		--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun "$TUN" \
		"$OC_URL" <"$OC_DIR/password" >"$out" 2>&1 &
	client_pid=$!
	for _ in $(seq 100); do
		grep -q 'DTLS up' "$out" && return 0
		kill -0 "$client_pid" 2>/dev/null || oc_fail "$1: zcvpn exited"
		sleep 0.1
	done
	oc_fail "$1: DTLS not up in 10 s"
}

disconnect() {
	kill -TERM "$client_pid"
	wait "$client_pid" || oc_fail "$1: zcvpn exit status $?"
	client_pid=
}

# route_get FAMILY ADDRESS WANT: the kernel's choice for ADDRESS contains WANT.
route_get() {
	local got
	got=$(oc_in_client ip "$1" route get "$2" 2>&1)
	case "$got" in
	*"$3"*) ;;
	*) oc_fail "ip $1 route get $2: '$got', want '$3'" ;;
	esac
}

# ---- 1. split tunnel ---------------------------------------------------------------------
echo "== split tunnel"
OC_CONF_EXTRA="$OC_DNS
route = 10.200.0.0/255.255.0.0
route = 10.91.0.0/16
route = $POOL6::/48
route = fd00:abcd::/48
no-route = 10.200.5.0/255.255.255.0
no-route = fd00:abcd:0:5::/64"
oc_setup || oc_fail "ocserv setup"
echo "$OC_PASS" >"$OC_DIR/password"
lan_setup
routes >"$OC_DIR/routes-before.log"
connect split
out=$OC_DIR/split.out

oc_in_client ip addr show dev "$TUN" >"$OC_DIR/addr.log" 2>&1
grep -q 'inet 192\.168\.251\.[0-9]*/24 ' "$OC_DIR/addr.log" ||
	oc_fail "no IPv4 address on the tun: $(cat "$OC_DIR/addr.log")"
addr6=$(sed -n "s|.*inet6 \($POOL6:[0-9a-f:]*/64\) scope global.*|\1|p" "$OC_DIR/addr.log")
[ -n "$addr6" ] || oc_fail "no IPv6 address from the pool on the tun: $(cat "$OC_DIR/addr.log")"
server6=$(ip -n "$OC_NS_SRV" -6 addr show scope global | sed -n "s|.*inet6 \($POOL6::[0-9a-f]*\)/128.*|\1|p" | head -n 1)
[ -n "$server6" ] || oc_fail "ocserv's tun has no IPv6 address"

oc_in_client ping -c 3 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/ping.log" 2>&1 ||
	oc_fail "ping through the tunnel"
route_get -6 "$server6" "dev $TUN"
oc_in_client ping -6 -c 3 -i 0.2 -W 2 "$server6" >"$OC_DIR/ping6.log" 2>&1 ||
	oc_fail "ping6 to $server6 through the tunnel: $(cat "$OC_DIR/ping6.log")"

routes >"$OC_DIR/routes-up.log"
for route in "10.200.0.0/16 dev $TUN" "10.91.0.0/16 dev $TUN" "$POOL6::/48 dev $TUN" \
	     "fd00:abcd::/48 dev $TUN" '10.200.5.0/24 via 10.91.0.2 dev zoc-c' \
	     'fd00:abcd:0:5::/64 via fd99::2 dev zoc-c' '10.91.0.2 dev zoc-c'; do
	grep -q "^$route " "$OC_DIR/routes-up.log" ||
		oc_fail "no route '$route': $(cat "$OC_DIR/routes-up.log")"
done
route_get -4 10.200.1.9 "dev $TUN"
route_get -4 10.200.5.9 'via 10.91.0.2 dev zoc-c'
route_get -6 fd00:abcd:0:6::9 "dev $TUN"
route_get -6 fd00:abcd:0:5::9 'via fd99::2 dev zoc-c'
route_get -4 10.91.0.2 'dev zoc-c'
route_get -4 10.91.7.9 "dev $TUN"
[ "$(grep '^default' "$OC_DIR/routes-up.log")" = "$(grep '^default' "$OC_DIR/routes-before.log")" ] ||
	oc_fail "the default routes changed: $(grep '^default' "$OC_DIR/routes-up.log")"
grep -q 'routes: 4 into the tunnel (split includes), 3 around it' "$out" ||
	oc_fail "the routes line: $(grep 'routes:' "$out")"
echo "split: $addr6 and IPv4 on the tun, ping and ping6 through it; 4 includes via the tun," \
	"2 excludes and the server's address via the veth; defaults untouched"

[ "$(grep -c "DNS 192.168.251.53 $POOL6::53, domain vpn.test (not written to resolv.conf)" "$out")" = 1 ] ||
	oc_fail "DNS not said once on stderr: $(grep DNS "$out")"
disconnect split
[ "$(oc_stat "$out" network.dns)" = "192.168.251.53 $POOL6::53" ] ||
	oc_fail "report: network.dns '$(oc_stat "$out" network.dns)'"
[ "$(oc_stat "$out" network.domain)" = vpn.test ] ||
	oc_fail "report: network.domain '$(oc_stat "$out" network.domain)'"
[ "$(oc_stat "$out" network.address6)" = "$addr6" ] ||
	oc_fail "report: network.address6 '$(oc_stat "$out" network.address6)', the tun had $addr6"
[ "$(oc_stat "$out" network.split_exclude)" = "10.200.5.0/24 fd00:abcd:0:5::/64" ] ||
	oc_fail "report: network.split_exclude '$(oc_stat "$out" network.split_exclude)'"
oc_in_client ip link show dev "$TUN" >/dev/null 2>&1 && oc_fail "the tun outlived zcvpn"
routes >"$OC_DIR/routes-after.log"
diff -u "$OC_DIR/routes-before.log" "$OC_DIR/routes-after.log" ||
	oc_fail "the routing tables differ from before the VPN"
echo "split: DNS and domain said once and in the report; after SIGTERM the tun gone and" \
	"both routing tables as before"
oc_cleanup

# ---- 2. full tunnel ----------------------------------------------------------------------
echo "== full tunnel"
OC_CONF_EXTRA=$OC_DNS
oc_setup || oc_fail "ocserv setup"
echo "$OC_PASS" >"$OC_DIR/password"
lan_setup
routes >"$OC_DIR/routes-before.log"
connect full
out=$OC_DIR/full.out
oc_in_client ip addr show dev "$TUN" >"$OC_DIR/addr.log" 2>&1
grep -q 'inet 192\.168\.251\.' "$OC_DIR/addr.log" && grep -q "inet6 $POOL6:" "$OC_DIR/addr.log" ||
	oc_fail "full: the tun's addresses: $(cat "$OC_DIR/addr.log")"
grep -q 'no split include for IPv4 and IPv6: .*the default route stays as it is' "$out" ||
	oc_fail "full: the full-tunnel line is missing"
grep -q 'routes:' "$out" && oc_fail "full: routes installed: $(grep 'routes:' "$out")"
[ "$(routes | grep '^default')" = "$(grep '^default' "$OC_DIR/routes-before.log")" ] ||
	oc_fail "full: the default routes changed: $(routes | grep '^default')"
oc_in_client ping -c 2 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/ping.log" 2>&1 ||
	oc_fail "full: ping through the tunnel"
disconnect full
routes >"$OC_DIR/routes-after.log"
diff -u "$OC_DIR/routes-before.log" "$OC_DIR/routes-after.log" ||
	oc_fail "full: the routing tables differ from before the VPN"
echo "full: both addresses on the tun, the default routes left alone and said so"
echo "script: PASS ocserv-routes"
