# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tests that run tunnels between network namespaces of their own:
#
#   ne_skip_unless TOOL...     exits 77 (with the reason) without root, a tool or /dev/net/tun
#   wait_for TRIES CMD...      runs CMD every 0.1 s until it succeeds, at most TRIES times
#   ne_link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B
#                              a veth pair between two existing namespaces, addressed
#                              (ADDR with its /LEN) and up, loopback up on both sides
#   ne_transfer LABEL FROM_NS TO_NS ADDR PORT MB DIR [MBIT_S]
#                              MB of random bytes over TCP from FROM_NS to ADDR:PORT in
#                              TO_NS (tests/bulk_transfer.py at both ends, paced to
#                              MBIT_S if given); prints "LABEL: BYTES SHA256 RATE" when
#                              both ends saw the same bytes, else says what differs and
#                              returns 1.  DIR keeps the two ends' outputs
#                              (DIR/LABEL-send.out, -recv.out).
# Needs $srcdir (the source tree).

ne_skip_unless() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces and tun devices)"
		exit 77
	fi
	for tool in ip timeout "$@"; do
		command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (Debian: apt-get install $tool)"; exit 77; }
	done
	[ -c /dev/net/tun ] || { echo "SKIP: needs /dev/net/tun"; exit 77; }
}

wait_for() {
	local tries=$1
	shift
	for _ in $(seq "$tries"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Ends a zcvpn (or any) process: SIGTERM, 10 s to exit, then SIGKILL and 5 s more.
# Returns 1 if it had to be killed.  Polls rather than waits, so it also works for a
# process the shell has disowned.
ne_stop() {
	kill -TERM "$1" 2>/dev/null
	wait_for 100 sh -c "! kill -0 $1 2>/dev/null" && return 0
	kill -KILL "$1" 2>/dev/null
	wait_for 50 sh -c "! kill -0 $1 2>/dev/null"
	return 1
}

ne_link() {
	local ns_a=$1 dev_a=$2 addr_a=$3 ns_b=$4 dev_b=$5 addr_b=$6
	ip link add "$dev_a" netns "$ns_a" type veth peer name "$dev_b" netns "$ns_b" || return 1
	ip -n "$ns_a" addr add "$addr_a" dev "$dev_a" && ip -n "$ns_a" link set "$dev_a" up &&
		ip -n "$ns_a" link set lo up &&
		ip -n "$ns_b" addr add "$addr_b" dev "$dev_b" && ip -n "$ns_b" link set "$dev_b" up &&
		ip -n "$ns_b" link set lo up
}

ne_transfer() {
	local label=$1 from=$2 to=$3 addr=$4 port=$5 mb=$6 dir=$7 rate=${8:-} rpid sent got
	ip netns exec "$to" timeout 120 python3 "$srcdir/tests/bulk_transfer.py" recv "$addr" "$port" \
		>"$dir/$label-recv.out" 2>&1 &
	rpid=$!
	ip netns exec "$from" timeout 120 python3 "$srcdir/tests/bulk_transfer.py" send "$addr" "$port" \
		"$mb" $rate >"$dir/$label-send.out" 2>&1 || { echo "$label: the sender failed"; return 1; }
	wait "$rpid"
	sent=$(awk '{ print $1, $2 }' "$dir/$label-send.out")
	got=$(awk '{ print $1, $2 }' "$dir/$label-recv.out")
	if [ -z "$sent" ] || [ "$sent" != "$got" ]; then
		echo "$label: sent '$sent', received '$got'"
		return 1
	fi
	echo "$label: $(cat "$dir/$label-send.out")"
}
