#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `zcvpn connect --script PATH`: the tunnel's settings handed to a vpnc-script as
# openconnect 9 hands them.  Debian's ocserv (tests/ocserv-env.sh) gives DNS, WINS, a
# default domain, split DNS, split-include and -exclude routes (IPv4 and IPv6), an IPv6
# address, a banner and an idle timeout; `zcvpn serve --protocol f5` gives IPCP's.
#  1. A recording script: pre-init, connect, reconnect (after a DTLS outage and redial),
#     disconnect, in that order; every variable as the server was configured to give it;
#     the same variables as Debian's openconnect 9 gives the same script against the same
#     server; the caller's environment inherited, but no stale variable of the script's.
#     F5: pre-init, connect (IPCP's address, DNS and MTU over DTLS), reconnect (DTLS
#     lost: PPP renegotiated over TLS), disconnect.
#  2. Debian's /usr/share/vpnc-scripts/vpnc-script in the client namespace, its
#     resolv.conf a bind mount of /etc/netns/NS/resolv.conf (ip netns exec; the host's
#     /etc/resolv.conf is never touched, and checked): after connect the tun has the
#     address, the MTU and the routes, a ping crosses it, resolv.conf has the server's DNS
#     and domain; after disconnect (seen from the script, the tun still there) the routes
#     and the address are gone and resolv.conf is as it was.
#  3. A script that fails at connect: exit status 1 with one line, and disconnect still
#     runs (as openconnect undoes it); bad --script arguments: exit status 2.
#  4. --tun without CAP_NET_ADMIN: exit status 7 and a message that says so.
# Needs root (network namespaces, tun devices).
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
srcdir=$(cd "$srcdir" && pwd)
vpnc_script=/usr/share/vpnc-scripts/vpnc-script
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
for tool in openconnect setpriv timeout; do
	command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 77; }
done
[ -x "$vpnc_script" ] || { echo "SKIP: needs $vpnc_script (apt-get install vpnc-scripts)"; exit 77; }

client_pid=
server_pid=
netns_etc=
made_etc_netns=
made_run_vpnc=
host_resolv=$(sha256sum /etc/resolv.conf 2>/dev/null)
cleanup() {
	[ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	sleep 0.3
	oc_cleanup
	[ -n "$netns_etc" ] && rm -rf "$netns_etc"
	[ -n "$made_etc_netns" ] && rmdir /etc/netns 2>/dev/null
	[ -n "$made_run_vpnc" ] && rmdir /var/run/vpnc 2>/dev/null
}
trap cleanup EXIT
[ -d /etc/netns ] || made_etc_netns=1
[ -d /var/run/vpnc ] || made_run_vpnc=1

OC_DPD=1
OC_CONF_EXTRA="ipv6-network = fd91:6d87:7341:dc6a::/64
ipv6-subnet-prefix = 128
dns = 192.168.251.53
dns = 192.168.251.54
dns = fd91:6d87:7341:dc6a::53
nbns = 192.168.251.55
default-domain = vpn.test
split-dns = corp.test
route = 10.200.0.0/255.255.0.0
route = 10.201.1.0/24
route = fd00:abcd::/48
no-route = 10.200.5.0/255.255.255.0
banner = \"Welcome to the test VPN\"
idle-timeout = 1200"
oc_setup || oc_fail "ocserv setup"
echo "$OC_PASS" >"$OC_DIR/password"
# The client namespace's own resolv.conf: ip netns exec bind-mounts it on /etc/resolv.conf.
netns_etc=/etc/netns/$OC_NS_CLI
mkdir -p "$netns_etc" || oc_fail "cannot create $netns_etc"
printf 'nameserver 10.91.0.254\nsearch outer.test\n' >"$netns_etc/resolv.conf"
cp "$netns_etc/resolv.conf" "$OC_DIR/resolv.orig"
oc_udp_outage_setup


# wait_for FILE TEXT TENTHS: bounded wait until FILE contains TEXT (while the client runs).
wait_for() {
	for _ in $(seq "$3"); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		[ -n "$client_pid" ] && ! kill -0 "$client_pid" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# recorder NAME [REASON STATUS]: a vpnc-script appending each call's reason and variables
# to $OC_DIR/NAME.env in one write, so a reader never sees half of it (exiting STATUS
# for REASON); its path on stdout.
recorder() {
	local path=$OC_DIR/rec-$1.sh
	cat >"$path" <<EOF
#!/bin/sh
vars=\$(env | grep -E '^(reason|TUNDEV|VPNGATEWAY|VPNPID|IDLE_TIMEOUT|LOG_LEVEL|INTERNAL_IP[46]_|CISCO_|ZCVPN_TEST_)' | LC_ALL=C sort)
printf '=== %s\\n%s\\n' "\$reason" "\$vars" >>"$OC_DIR/$1.env"
[ "\$reason" = "${2:-none}" ] && exit ${3:-0}
exit 0
EOF
	chmod 755 "$path"
	echo "$path"
}

# reasons NAME: the reasons the recorder saw, in order, on one line.
reasons() { sed -n 's/^=== //p' "$OC_DIR/$1.env" | tr '\n' ' ' | sed 's/ $//'; }
# var NAME REASON VAR: VAR's value at the (first) call for REASON.
var() {
	awk -v r="=== $2" -v v="$3" '$0 == r { on = 1; next } /^=== / { on = 0 }
		on && index($0, v "=") == 1 { print substr($0, length(v) + 2); exit }' "$OC_DIR/$1.env"
}
expect() {	# NAME REASON VAR VALUE
	local got
	got=$(var "$1" "$2" "$3")
	[ "$got" = "$4" ] || oc_fail "$1 at $2: $3 is '$got', want '$4'"
}
# The split routes as sorted "route v4|v6 INC|EXC /ADDR=.../MASKLEN=..." lines, the rest
# of the variables sorted, without what differs between clients by design: the tun, the
# pid, the log level, openconnect's list of CSTP options it did not know, the MTU (each
# asks for its own), and which address of the pools the server picked.  The order of
# the routes is not part of the interface (openconnect reverses the server's).
normalized() {	# NAME REASON
	awk -v r="=== $2" '$0 == r { on = 1; next } /^=== / { on = 0 } on' "$OC_DIR/$1.env" |
	grep -vE '^(TUNDEV|VPNPID|LOG_LEVEL|INTERNAL_IP4_MTU|CISCO_CSTP_OPTIONS|ZCVPN_TEST_[A-Z]*)=' |
	sed -E 's/^(INTERNAL_IP4_ADDRESS=)192\.168\.251\.[0-9]+$/\1POOL/
		s/^(INTERNAL_IP6_[A-Z]+=)fd91:6d87:7341:dc6a:[0-9a-f:]+/\1POOL/' | awk -F= '
		match($1, /^CISCO_(IPV6_)?SPLIT_(INC|EXC)_[0-9]+_/) {
			key = substr($1, 1, RLENGTH); field = substr($1, RLENGTH + 1)
			route[key] = route[key] "/" field "=" $2; next
		}
		{ print }
		END { for (k in route) print "route " (k ~ /IPV6/ ? "v6 " : "v4 ") \
			(k ~ /_INC_/ ? "INC " : "EXC ") route[k] }' | LC_ALL=C sort
}

# ---- 1. the variables, against ocserv --------------------------------------------------
echo "== openconnect 9's environment (the reference)"
rec=$(recorder oc)
ip netns exec "$OC_NS_CLI" openconnect --servercert "$OC_PIN" --user "$OC_USER" \
	--passwd-on-stdin --interface zvs-oc --script "$rec" "$OC_URL" <"$OC_DIR/password" \
	>"$OC_DIR/openconnect.log" 2>&1 &
client_pid=$!
wait_for "$OC_DIR/oc.env" "=== connect" 150 || oc_fail "openconnect: no connect in 15 s"
sleep 0.5	# its wait for the script: a signal there makes it log a failure
kill -INT "$client_pid"
wait_for "$OC_DIR/oc.env" "=== disconnect" 50
wait "$client_pid"
client_pid=

echo "== anyconnect: recording script, with a DTLS outage and redial"
rec=$(recorder ac)
# A stale variable of the script's in our environment must not reach it; others must.
env INTERNAL_IP4_DNS=6.6.6.6 CISCO_SPLIT_INC_7_ADDR=6.6.0.0 ZCVPN_TEST_INHERITED=yes \
	ip netns exec "$OC_NS_CLI" "$zcvpn" connect --protocol anyconnect --duration 120 \
	--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun zvs-ac \
	--dtls-redial 2 --script "$rec" "$OC_URL" <"$OC_DIR/password" >"$OC_DIR/ac.out" 2>&1 &
client_pid=$!
wait_for "$OC_DIR/ac.out" 'DTLS up after' 100 || oc_fail "anyconnect: DTLS not up in 10 s"
tun_mtu=$(ip -n "$OC_NS_CLI" link show dev zvs-ac | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
oc_udp_path block 4443 || oc_fail "cannot block UDP"
wait_for "$OC_DIR/ac.out" 'DTLS failed' 100 || oc_fail "anyconnect: DTLS not declared dead"
oc_udp_path unblock 4443 || oc_fail "cannot unblock UDP"
wait_for "$OC_DIR/ac.out" 'DTLS up again' 150 || oc_fail "anyconnect: DTLS not back in 15 s"
wait_for "$OC_DIR/ac.env" '=== reconnect' 50 || oc_fail "anyconnect: no reconnect after the redial"
kill -TERM "$client_pid"
wait "$client_pid" || oc_fail "anyconnect: exit status $?"
ac_pid=$client_pid
client_pid=

[ "$(reasons ac)" = "pre-init connect reconnect disconnect" ] ||
	oc_fail "anyconnect: reasons '$(reasons ac)'"
for reason in pre-init connect reconnect disconnect; do
	expect ac $reason TUNDEV zvs-ac
	expect ac $reason VPNGATEWAY 10.91.0.2
	expect ac $reason VPNPID "$ac_pid"
	expect ac $reason LOG_LEVEL 1
	expect ac $reason INTERNAL_IP4_NETMASK 255.255.255.0
	expect ac $reason INTERNAL_IP4_NETADDR 192.168.251.0
	expect ac $reason INTERNAL_IP4_NETMASKLEN 24
	expect ac $reason INTERNAL_IP4_MTU "$tun_mtu"
	expect ac $reason INTERNAL_IP4_DNS "192.168.251.53 192.168.251.54 fd91:6d87:7341:dc6a::53"
	expect ac $reason INTERNAL_IP4_NBNS 192.168.251.55
	expect ac $reason CISCO_DEF_DOMAIN vpn.test
	expect ac $reason CISCO_SPLIT_DNS corp.test
	expect ac $reason CISCO_BANNER "Welcome to the test VPN"
	expect ac $reason IDLE_TIMEOUT 1200
	expect ac $reason CISCO_SPLIT_INC 2
	expect ac $reason CISCO_SPLIT_INC_0_ADDR 10.200.0.0
	expect ac $reason CISCO_SPLIT_INC_0_MASK 255.255.0.0
	expect ac $reason CISCO_SPLIT_INC_0_MASKLEN 16
	expect ac $reason CISCO_SPLIT_INC_1_ADDR 10.201.1.0
	expect ac $reason CISCO_SPLIT_INC_1_MASK 255.255.255.0
	expect ac $reason CISCO_SPLIT_INC_1_MASKLEN 24
	expect ac $reason CISCO_SPLIT_EXC 1
	expect ac $reason CISCO_SPLIT_EXC_0_ADDR 10.200.5.0
	expect ac $reason CISCO_SPLIT_EXC_0_MASK 255.255.255.0
	expect ac $reason CISCO_SPLIT_EXC_0_MASKLEN 24
	expect ac $reason CISCO_IPV6_SPLIT_INC 1
	expect ac $reason CISCO_IPV6_SPLIT_INC_0_ADDR fd00:abcd::
	expect ac $reason CISCO_IPV6_SPLIT_INC_0_MASKLEN 48
	expect ac $reason ZCVPN_TEST_INHERITED yes
	expect ac $reason CISCO_SPLIT_INC_7_ADDR ""
done
addr4=$(var ac connect INTERNAL_IP4_ADDRESS)
addr6=$(var ac connect INTERNAL_IP6_ADDRESS)
case "$addr4" in 192.168.251.1) oc_fail "anyconnect: the server's own address given" ;;
	192.168.251.*) ;; *) oc_fail "anyconnect: INTERNAL_IP4_ADDRESS '$addr4' not from the pool" ;; esac
case "$addr6" in fd91:6d87:7341:dc6a:*) ;;
	*) oc_fail "anyconnect: INTERNAL_IP6_ADDRESS '$addr6' not from the pool" ;; esac
expect ac connect INTERNAL_IP6_NETMASK "$addr6/128"
echo "anyconnect: pre-init, connect, reconnect, disconnect; $addr4 $addr6 mtu $tun_mtu," \
	"DNS, WINS, domains, banner, idle timeout and 4 split routes as configured"
normalized oc connect >"$OC_DIR/oc.norm"
normalized ac connect >"$OC_DIR/ac.norm"
diff -u "$OC_DIR/oc.norm" "$OC_DIR/ac.norm" >"$OC_DIR/oc-vs-zcvpn.log" ||
	oc_fail "anyconnect: not openconnect's environment: $(cat "$OC_DIR/oc-vs-zcvpn.log")"
echo "anyconnect: the same $(wc -l <"$OC_DIR/ac.norm") variables and routes as openconnect's"

echo "== f5 against zcvpn serve: recording script, with DTLS lost and PPP over TLS"
cert=$srcdir/tests/vectors/certs/rsa.pem
key=$srcdir/tests/vectors/certs/rsa-key.pem
pin=$(cat "$srcdir/tests/vectors/certs/rsa.pin")
start_f5_server() {
	ip netns exec "$OC_NS_SRV" timeout 60 "$zcvpn" serve --protocol f5 --listen 10.91.0.2:4445 \
		--cert "$cert" --key "$key" --user tester --password secret-pw --count 0 --once \
		--dpd 1 >"$OC_DIR/f5-server.out" 2>&1 &
	server_pid=$!
	wait_for "$OC_DIR/f5-server.out" listening 50 || oc_fail "f5: the server did not start"
}
start_f5_server
rec=$(recorder f5)
echo secret-pw | ip netns exec "$OC_NS_CLI" "$zcvpn" connect --protocol f5 \
	https://10.91.0.2:4445 --user tester --passwd-on-stdin --servercert "$pin" --tun zvs-f5 \
	--dpd 1 --script "$rec" >"$OC_DIR/f5.out" 2>&1 &
client_pid=$!
wait_for "$OC_DIR/f5.out" 'DTLS up after' 100 || oc_fail "f5: DTLS not up in 10 s"
wait_for "$OC_DIR/f5.env" '=== connect' 50 || oc_fail "f5: no connect"
oc_udp_path block 4445 || oc_fail "cannot block UDP"
wait_for "$OC_DIR/f5.out" 'PPP over TLS' 150 || oc_fail "f5: no fallback to TLS in 15 s"
wait_for "$OC_DIR/f5.env" '=== reconnect' 100 || oc_fail "f5: no reconnect over TLS"
oc_udp_path unblock 4445 || oc_fail "cannot unblock UDP"
kill -TERM "$client_pid"
wait "$client_pid" || oc_fail "f5: exit status $?"
f5_pid=$client_pid
client_pid=
wait "$server_pid"
server_pid=
[ "$(reasons f5)" = "pre-init connect reconnect disconnect" ] ||
	oc_fail "f5: reasons '$(reasons f5)'"
for reason in pre-init connect reconnect disconnect; do
	expect f5 $reason TUNDEV zvs-f5
	expect f5 $reason VPNGATEWAY 10.91.0.2
	expect f5 $reason VPNPID "$f5_pid"
	expect f5 $reason INTERNAL_IP4_MTU 1400
	expect f5 $reason INTERNAL_IP4_NETMASK ""
	expect f5 $reason CISCO_SPLIT_INC ""
done
expect f5 pre-init INTERNAL_IP4_ADDRESS ""
expect f5 connect INTERNAL_IP4_ADDRESS 10.77.0.2
for reason in connect reconnect disconnect; do
	expect f5 $reason INTERNAL_IP4_ADDRESS 10.77.0.2
	expect f5 $reason INTERNAL_IP4_DNS 10.77.0.53
done
echo "f5: pre-init, connect (DTLS), reconnect (PPP over TLS), disconnect;" \
	"IPCP's 10.77.0.2, DNS 10.77.0.53, mtu 1400"

# ---- 2. Debian's vpnc-script -------------------------------------------------------------
echo "== anyconnect: Debian's vpnc-script"
# The real script, then (at disconnect, while the tun still exists) what it left behind.
cat >"$OC_DIR/debian.sh" <<EOF
#!/bin/sh
$vpnc_script
rc=\$?
if [ "\$reason" = disconnect ]; then
	{ ip addr show dev zvs-real; ip route show; ip -6 route show; } >"$OC_DIR/after-disconnect.log" 2>&1
fi
exit \$rc
EOF
chmod 755 "$OC_DIR/debian.sh"
ip netns exec "$OC_NS_CLI" "$zcvpn" connect --protocol anyconnect --duration 120 \
	--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun zvs-real \
	--script "$OC_DIR/debian.sh" "$OC_URL" <"$OC_DIR/password" >"$OC_DIR/real.out" 2>&1 &
client_pid=$!
wait_for "$OC_DIR/real.out" 'DTLS up after' 100 || oc_fail "vpnc-script: DTLS not up in 10 s"
for _ in $(seq 50); do
	oc_in_client ip -6 route show dev zvs-real 2>/dev/null | grep -q fd00:abcd::/48 && break
	sleep 0.1
done
oc_in_client ip addr show dev zvs-real >"$OC_DIR/real-addr.log" 2>&1
{ oc_in_client ip route show; oc_in_client ip -6 route show; } >"$OC_DIR/real-routes.log" 2>&1
real4=$(sed -n 's|.*inet \(192\.168\.251\.[0-9]*\)/32 .*|\1|p' "$OC_DIR/real-addr.log")
[ -n "$real4" ] || oc_fail "vpnc-script: no IPv4 address on the tun: $(cat "$OC_DIR/real-addr.log")"
grep -q "mtu $tun_mtu " "$OC_DIR/real-addr.log" || oc_fail "vpnc-script: tun MTU not $tun_mtu"
grep -q 'inet6 fd91:6d87:7341:dc6a:.*/128' "$OC_DIR/real-addr.log" ||
	oc_fail "vpnc-script: no IPv6 address on the tun"
for route in '10.200.0.0/16 dev zvs-real' '10.201.1.0/24 dev zvs-real' \
	     '192.168.251.0/24 dev zvs-real' 'fd00:abcd::/48 dev zvs-real' '10.91.0.2 dev zoc-c'; do
	grep -q "^$route" "$OC_DIR/real-routes.log" ||
		oc_fail "vpnc-script: no route '$route': $(cat "$OC_DIR/real-routes.log")"
done
oc_in_client ping -c 3 -i 0.2 -W 2 "$OC_SERVER_TUN_IP" >"$OC_DIR/real-ping.log" 2>&1 ||
	oc_fail "vpnc-script: ping through the tunnel"
grep -q '^nameserver 192.168.251.53$' "$netns_etc/resolv.conf" &&
	grep -q '^nameserver 192.168.251.54$' "$netns_etc/resolv.conf" &&
	grep -q '^search outer.test vpn.test' "$netns_etc/resolv.conf" &&
	! grep -q 10.91.0.254 "$netns_etc/resolv.conf" ||
	oc_fail "vpnc-script: the namespace's resolv.conf: $(cat "$netns_etc/resolv.conf")"
echo "vpnc-script: $real4 and IPv6 on the tun, mtu $tun_mtu, 4 routes, ping through it," \
	"the server's DNS and domain in the namespace's resolv.conf"
kill -TERM "$client_pid"
wait "$client_pid" || oc_fail "vpnc-script: exit status $?"
client_pid=
[ -s "$OC_DIR/after-disconnect.log" ] || oc_fail "vpnc-script: disconnect never ran"
grep -qE 'zvs-real|10\.91\.0\.2 dev' <(grep -v '^[0-9]*: zvs-real' "$OC_DIR/after-disconnect.log") &&
	oc_fail "vpnc-script: left behind: $(cat "$OC_DIR/after-disconnect.log")"
grep -q 'inet ' "$OC_DIR/after-disconnect.log" && oc_fail "vpnc-script: the address stayed"
cmp -s "$netns_etc/resolv.conf" "$OC_DIR/resolv.orig" ||
	oc_fail "vpnc-script: resolv.conf not restored: $(cat "$netns_etc/resolv.conf")"
[ "$(sha256sum /etc/resolv.conf 2>/dev/null)" = "$host_resolv" ] ||
	oc_fail "the host's /etc/resolv.conf changed"
echo "vpnc-script: after disconnect no route, no address, resolv.conf as it was;" \
	"the host's untouched"

# ---- 3. failures -------------------------------------------------------------------------
echo "== a script that fails at connect"
rec=$(recorder acfail connect 3)
ip netns exec "$OC_NS_CLI" "$zcvpn" connect --protocol anyconnect --duration 120 \
	--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun zvs-fail \
	--script "$rec" "$OC_URL" <"$OC_DIR/password" >"$OC_DIR/acfail.out" 2>&1
rc=$?
[ $rc = 1 ] || oc_fail "anyconnect: a failed connect script gave exit status $rc, want 1"
grep -q "the script $rec failed at connect: exit status 3" "$OC_DIR/acfail.out" ||
	oc_fail "anyconnect: no clear line about the failed script"
[ "$(reasons acfail)" = "pre-init connect disconnect" ] ||
	oc_fail "anyconnect: after a failed connect: '$(reasons acfail)'"
start_f5_server
rec=$(recorder f5fail connect 3)
echo secret-pw | timeout 30 ip netns exec "$OC_NS_CLI" "$zcvpn" connect --protocol f5 \
	https://10.91.0.2:4445 --user tester --passwd-on-stdin --servercert "$pin" --tun zvs-f5f \
	--script "$rec" >"$OC_DIR/f5fail.out" 2>&1
rc=$?
kill "$server_pid" 2>/dev/null
wait "$server_pid"
server_pid=
[ $rc = 1 ] || oc_fail "f5: a failed connect script gave exit status $rc, want 1"
grep -q "the script $rec failed at connect: exit status 3" "$OC_DIR/f5fail.out" ||
	oc_fail "f5: no clear line about the failed script"
[ "$(reasons f5fail)" = "pre-init connect disconnect" ] ||
	oc_fail "f5: after a failed connect: '$(reasons f5fail)'"
echo "failed connect: exit status 1, '$(grep -m1 'failed at connect' "$OC_DIR/acfail.out")'," \
	"disconnect run (both protocols)"

check_usage() {	# MESSAGE ARGS...
	local want=$1 out rc
	shift
	out=$("$zcvpn" connect "$@" 2>&1 </dev/null)
	rc=$?
	[ $rc = 2 ] && grep -qF -- "$want" <<<"$out" || oc_fail "'$*': rc $rc and: $out"
}
check_usage "--script $OC_DIR/none: No such file or directory" --protocol anyconnect \
	--script "$OC_DIR/none" https://10.91.0.2:4443
check_usage "--script $OC_DIR: not a regular file" --protocol anyconnect \
	--script "$OC_DIR" https://10.91.0.2:4443
check_usage "--script $OC_DIR/password: Permission denied" --protocol f5 --user u \
	--passwd-on-stdin --tun zvs-x --script "$OC_DIR/password" https://10.91.0.2:4445
check_usage "--script configures a tun device: it needs --tun" --protocol f5 --user u \
	--passwd-on-stdin --script "$rec" https://10.91.0.2:4445
echo "bad --script arguments: exit status 2 with the reason"

# ---- 4. no CAP_NET_ADMIN -----------------------------------------------------------------
echo "== --tun without CAP_NET_ADMIN"
nocap=(setpriv --bounding-set=-net_admin --inh-caps=-net_admin)
ip netns exec "$OC_NS_CLI" "${nocap[@]}" "$zcvpn" connect --protocol anyconnect \
	--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun zvs-np "$OC_URL" \
	<"$OC_DIR/password" >"$OC_DIR/nocap-ac.out" 2>&1
rc=$?
[ $rc = 7 ] && grep -q 'CAP_NET_ADMIN' "$OC_DIR/nocap-ac.out" ||
	oc_fail "anyconnect without CAP_NET_ADMIN: rc $rc: $(cat "$OC_DIR/nocap-ac.out")"
start_f5_server
echo secret-pw | timeout 30 ip netns exec "$OC_NS_CLI" "${nocap[@]}" "$zcvpn" connect \
	--protocol f5 https://10.91.0.2:4445 --user tester --passwd-on-stdin --servercert "$pin" \
	--tun zvs-np >"$OC_DIR/nocap-f5.out" 2>&1
rc=$?
kill "$server_pid" 2>/dev/null
wait "$server_pid"
server_pid=
[ $rc = 7 ] && grep -q 'CAP_NET_ADMIN' "$OC_DIR/nocap-f5.out" ||
	oc_fail "f5 without CAP_NET_ADMIN: rc $rc: $(cat "$OC_DIR/nocap-f5.out")"
(umask 077 && "$zcvpn" genkey >"$OC_DIR/keys")
"${nocap[@]}" "$zcvpn" connect --remote 127.0.0.1:4500 --key-file "$OC_DIR/keys" --tun zvs-np \
	>"$OC_DIR/nocap-esp.out" 2>&1
rc=$?
[ $rc = 7 ] && grep -q 'CAP_NET_ADMIN' "$OC_DIR/nocap-esp.out" ||
	oc_fail "esp without CAP_NET_ADMIN: rc $rc: $(cat "$OC_DIR/nocap-esp.out")"
echo "no CAP_NET_ADMIN: exit status 7, '$(grep -m1 CAP_NET_ADMIN "$OC_DIR/nocap-ac.out")'"

echo "script: PASS vpnc-script"
