#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# zcvpn's AnyConnect client rekeying as Debian's ocserv asks (tests/ocserv-env.sh), with
# rekey-time = 20: ocserv then says X-CSTP-Rekey-Time 20 and X-DTLS-Rekey-Time 30, and
# zcvpn rekeys each a tenth early.  For each way ocserv can ask:
#   ssl, TLS 1.2 (ocserv's default): a TLS renegotiation, which ocserv logs; and since
#       ocserv derives a new DTLS session's PSK from the TLS session as it is then, DTLS
#       follows at once with a new handshake on the new PSK;
#   ssl, TLS 1.3 (tls-priorities allowing it; ocserv still says "ssl"): a KeyUpdate
#       asking for ocserv's too (the exporter, so the PSK, stays), and DTLS rekeyed on
#       its own timer;
#   new-tunnel: a new TLS connection and CONNECT with the cookie, which ocserv logs as
#       the session's re-use (same addresses), and DTLS moved to the new App-ID and PSK.
# A TCP transfer paced to last about 57 s spans at least two rekeys of each channel and
# must keep its SHA-256, with no DTLS failure (no redial) and nothing dropped as
# forged or replayed; SIGTERM then ends the (re-used) session cleanly.  Needs root.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$(cd "$builddir" && pwd)/zcvpn
MB=${OC_REKEY_MB:-34}
RATE=${OC_REKEY_MBIT_S:-5}
. "$srcdir/tests/ocserv-env.sh"
oc_skip_unless_ready
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

client_pid=
cleanup() {
	[ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null
	sleep 0.3
	oc_cleanup
}
trap cleanup EXIT

TLS13='tls-priorities = "NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"'

# name, rekey-method, extra ocserv.conf line, TLS version expected, a line ocserv must
# log at least MIN times
run_mode() {
	local name=$1 method=$2 extra=$3 tls=$4 logged=$5 min=$6 out
	echo "== $name"
	OC_DEBUG=2
	OC_CONF_EXTRA="rekey-time = 20
rekey-method = $method
$extra"
	oc_setup || oc_fail "$name: ocserv setup"
	echo "$OC_PASS" >"$OC_DIR/password"
	out=$OC_DIR/$name.out
	ip netns exec "$OC_NS_CLI" "$zcvpn" connect --json --protocol anyconnect --duration 300 \
		--servercert "$OC_PIN" --user "$OC_USER" --passwd-on-stdin --tun zrk \
		"$OC_URL" <"$OC_DIR/password" >"$out" 2>&1 &
	client_pid=$!
	for _ in $(seq 100); do
		grep -q 'DTLS up' "$out" && break
		kill -0 "$client_pid" 2>/dev/null || oc_fail "$name: zcvpn exited"
		sleep 0.1
	done
	grep -q 'DTLS up' "$out" || oc_fail "$name: DTLS not up in 10 s"
	grep -q "rekey: CSTP every 20 s ($method, $tls " "$out" ||
		oc_fail "$name: the rekey line: $(grep 'rekey:' "$out")"

	ip netns exec "$OC_NS_SRV" timeout 150 python3 "$srcdir/tests/bulk_transfer.py" recv \
		"$OC_SERVER_TUN_IP" 5001 >"$OC_DIR/$name-recv.log" 2>&1 &
	local recv_pid=$!
	oc_in_client timeout 150 python3 "$srcdir/tests/bulk_transfer.py" send \
		"$OC_SERVER_TUN_IP" 5001 "$MB" "$RATE" >"$OC_DIR/$name-send.log" 2>&1
	wait "$recv_pid"
	read -r sent_n sent_h _ <"$OC_DIR/$name-send.log"
	[ -n "${sent_h:-}" ] && [ "$sent_n $sent_h" = "$(cat "$OC_DIR/$name-recv.log")" ] ||
		oc_fail "$name: transfer: $(cat "$OC_DIR/$name-send.log") vs $(cat "$OC_DIR/$name-recv.log")"

	kill -TERM "$client_pid"
	wait "$client_pid" || oc_fail "$name: zcvpn exit status $?"
	client_pid=
	local cstp dtls
	cstp=$(oc_stat "$out" cstp_rekeys)
	dtls=$(oc_stat "$out" dtls_rekeys)
	[ "$cstp" -ge 2 ] || oc_fail "$name: $cstp CSTP rekeys during the transfer"
	[ "$dtls" -ge 2 ] || oc_fail "$name: $dtls DTLS rekeys during the transfer"
	for s in dtls_redials rx_bad_icv rx_replay rx_bad_epoch handshake_failures; do
		[ "$(oc_stat "$out" "$s")" = 0 ] || oc_fail "$name: $s $(oc_stat "$out" "$s")"
	done
	[ "$(grep -c "$logged" "$OC_DIR/ocserv.log")" -ge "$min" ] ||
		oc_fail "$name: ocserv logged '$logged' $(grep -c "$logged" "$OC_DIR/ocserv.log") times"
	for _ in $(seq 30); do
		grep -q "invalidating session of user '$OC_USER'" "$OC_DIR/ocserv.log" && break
		sleep 0.1
	done
	grep -q "invalidating session of user '$OC_USER'" "$OC_DIR/ocserv.log" ||
		oc_fail "$name: ocserv did not see the session end"
	echo "$name: $MB MB over $(sed -n 's/.* \([0-9.]* Mbit\/s\)/\1/p' "$OC_DIR/$name-send.log")" \
		"with matching SHA-256 across $cstp CSTP and $dtls DTLS rekeys;" \
		"ocserv: '$logged' $(grep -c "$logged" "$OC_DIR/ocserv.log") times"
	oc_cleanup
}

# OC_REKEY_MODES picks some, separated by spaces or commas (CI spreads them over its
# builds: a minute each).
modes=${OC_REKEY_MODES:-ssl-tls12 ssl-tls13 new-tunnel}
modes=" ${modes//,/ } "
wanted() { case $modes in *" $1 "*) return 0 ;; esac; return 1; }
wanted ssl-tls12 && run_mode ssl-tls12 ssl "" TLS1.2 "TLS rehandshake completed" 2
# The first DTLS session and one for each rekey.
wanted ssl-tls13 && run_mode ssl-tls13 ssl "$TLS13" TLS1.3 "setting up DTLS-PSK connection" 3
wanted new-tunnel &&
	run_mode new-tunnel new-tunnel "" TLS1.2 "disconnecting previous user session due to session re-use" 2
echo "ok:$modes(renegotiation over TLS 1.2, KeyUpdate over TLS 1.3, a new tunnel), each at" \
	"least twice under a transfer that kept its SHA-256, DTLS rekeyed along"
echo "script: PASS ocserv-rekey"
