# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the ocserv tests: a real ocserv from Debian in its own network namespace,
# reachable from a client namespace over a veth pair, with a fresh self-signed
# certificate (pinned by the client) and plain password authentication.  Uses only
# the namespaces it creates; oc_cleanup removes everything.
#
#   oc_setup            creates namespaces, certificate, password file, config; starts ocserv
#   oc_in_client CMD    runs CMD in the client namespace
#   oc_cleanup          stops ocserv and removes the namespaces and files
#   oc_fail MSG         prints FAIL: MSG and the tail of each *.out and *.log; exits 1
#   oc_stat FILE NAME   a value from the --json report zcvpn printed into FILE
#   oc_udp_outage_setup once after oc_setup, for oc_udp_path
#   oc_udp_path block|unblock PORT   the tunnel's UDP on PORT dies or comes back
# After oc_setup: OC_URL, OC_PIN (pin-sha256:...), OC_USER, OC_PASS, OC_SERVER_TUN_IP.
# Set OC_DPD (seconds, default 90) before oc_setup for a shorter DPD interval, and
# OC_CONF_EXTRA to lines to add to ocserv.conf (DNS, routes, an IPv6 pool), and
# OC_DEBUG to ocserv's -d level (default 1; 2 logs rehandshakes and session re-use).

oc_skip_unless_ready() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, ocserv's tun device)"
		exit 77
	fi
	for tool in ocserv ocpasswd openssl ip; do
		if ! command -v "$tool" >/dev/null; then
			echo "SKIP: needs $tool (apt-get install ocserv openssl iproute2)"
			exit 77
		fi
	done
}

oc_setup() {
	OC_DIR=$(mktemp -d)
	OC_NS_SRV=zcvpn-ocs-$$
	OC_NS_CLI=zcvpn-occ-$$
	OC_USER=testuser
	OC_PASS=testpass
	OC_URL=https://10.91.0.2:4443
	OC_SERVER_TUN_IP=192.168.251.1
	chmod 755 "$OC_DIR"	# ocserv's workers run as nobody
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$OC_DIR/key.pem" -out "$OC_DIR/cert.pem" -days 2 -subj /CN=vpn.test \
		-addext subjectAltName=IP:10.91.0.2 2>/dev/null || return 1
	OC_PIN=pin-sha256:$(openssl x509 -in "$OC_DIR/cert.pem" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
	printf '%s\n%s\n' "$OC_PASS" "$OC_PASS" | ocpasswd -c "$OC_DIR/passwd" "$OC_USER" || return 1
	cat >"$OC_DIR/ocserv.conf" <<CONF
auth = "plain[passwd=$OC_DIR/passwd]"
tcp-port = 4443
udp-port = 4443
run-as-user = nobody
run-as-group = nogroup
socket-file = $OC_DIR/ocserv.sock
pid-file = $OC_DIR/ocserv.pid
server-cert = $OC_DIR/cert.pem
server-key = $OC_DIR/key.pem
isolate-workers = false
max-clients = 4
max-same-clients = 4
keepalive = 32400
dpd = ${OC_DPD:-90}
mobile-dpd = 1800
try-mtu-discovery = false
auth-timeout = 240
cookie-timeout = 300
deny-roaming = false
rekey-time = 172800
rekey-method = ssl
use-occtl = false
device = vpns
predictable-ips = true
ipv4-network = 192.168.251.0
ipv4-netmask = 255.255.255.0
ping-leases = false
cisco-client-compat = true
dtls-legacy = true
${OC_CONF_EXTRA:-}
CONF
	ip netns add "$OC_NS_SRV" && ip netns add "$OC_NS_CLI" || return 1
	ip link add zoc-c netns "$OC_NS_CLI" type veth peer name zoc-s netns "$OC_NS_SRV" || return 1
	ip -n "$OC_NS_CLI" addr add 10.91.0.1/24 dev zoc-c
	ip -n "$OC_NS_SRV" addr add 10.91.0.2/24 dev zoc-s
	for ns in "$OC_NS_CLI" "$OC_NS_SRV"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$OC_NS_CLI" link set zoc-c up
	ip -n "$OC_NS_SRV" link set zoc-s up
	ip netns exec "$OC_NS_SRV" ocserv -c "$OC_DIR/ocserv.conf" -f -d "${OC_DEBUG:-1}" \
		>"$OC_DIR/ocserv.log" 2>&1 &
	OC_SERVER_PID=$!
	# Bounded wait for the listening socket.
	for _ in $(seq 50); do
		ip netns exec "$OC_NS_SRV" ss -ltn 2>/dev/null | grep -q ':4443 ' && return 0
		sleep 0.1
	done
	echo "ocserv did not start:"
	cat "$OC_DIR/ocserv.log"
	return 1
}

oc_in_client() {
	ip netns exec "$OC_NS_CLI" "$@"
}

oc_cleanup() {
	[ -n "${OC_SERVER_PID:-}" ] && kill "$OC_SERVER_PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "${OC_NS_CLI:-}" ] && ip netns del "$OC_NS_CLI" 2>/dev/null
	[ -n "${OC_NS_SRV:-}" ] && ip netns del "$OC_NS_SRV" 2>/dev/null
	[ -n "${OC_DIR:-}" ] && rm -rf "$OC_DIR"
}

oc_fail() {
	echo "FAIL: $*"
	for f in "$OC_DIR"/*.out "$OC_DIR"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done
	exit 1
}

# Input to a local address takes the "local" table, whose rule comes first (pref 0):
# move it behind the outage's rule (pref 4443), in these namespaces only.
oc_udp_outage_setup() {
	local ns
	for ns in "$OC_NS_CLI" "$OC_NS_SRV"; do
		ip -n "$ns" rule add pref 5000 lookup local && ip -n "$ns" rule del pref 0 ||
			oc_fail "cannot move the local routing rule in $ns"
	done
}

# The UDP path dies (block) or comes back (unblock), silently: each end's incoming
# datagrams of the tunnel meet a blackhole route on input, so no sender sees an error
# (a local one would make ocserv drop the whole session).  TCP, so CSTP and PPP over
# TLS, keeps going.
oc_udp_path() {
	local ns
	for ns in "$OC_NS_CLI" "$OC_NS_SRV"; do
		if [ "$1" = block ]; then
			ip -n "$ns" route add blackhole default table 4443 || return 1
		else
			ip -n "$ns" rule del pref 4443 || return 1
			ip -n "$ns" route flush table 4443 || return 1
		fi
	done
	[ "$1" = block ] || return 0
	ip -n "$OC_NS_CLI" rule add iif zoc-c ipproto udp sport "$2" lookup 4443 pref 4443 &&
		ip -n "$OC_NS_SRV" rule add iif zoc-s ipproto udp dport "$2" lookup 4443 pref 4443
}

oc_stat() {
	python3 "$srcdir/tests/report-value.py" "$1" "$2"
}
