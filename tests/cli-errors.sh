#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The driver's answers to bad configuration: exit status 2 and a message that names
# the problem, for each row of the table below.
set -u
zcvpn=${top_builddir:-.}/zcvpn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(umask 077 && "$zcvpn" genkey >"$work/keys")
printf 'enc = aes128-gcm\nc2s-spi = 7\n' >"$work/badspi"
printf 'enc = aes128-gcm\nbogus = 1\n' >"$work/unknown"
k=(--key-file "$work/keys")
fail=0

check() {	# expected-message-fragment command...
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 2 ] || ! grep -qF -- "$want" <<<"$out"; then
		echo "FAIL: '$*' gave rc $rc and: $out"
		fail=1
	else
		echo "ok: $want"
	fi
}

check "unknown command" "$zcvpn" frobnicate
check "--key-file is required" "$zcvpn" connect --remote 127.0.0.1:4500
check "--remote ADDR:PORT is required" "$zcvpn" connect "${k[@]}"
check "--local ADDR:PORT is required" "$zcvpn" serve "${k[@]}"
check "bad remote address 'example.com:4500'" "$zcvpn" connect "${k[@]}" --remote example.com:4500
check "bad remote address '127.0.0.1'" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1
check "bad local address '[::1]:99999'" "$zcvpn" serve "${k[@]}" --local '[::1]:99999'
check "MTU 100 out of range" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --mtu 100
check "cannot open key file" "$zcvpn" connect --key-file "$work/none" --remote 127.0.0.1:4500
check "bad value for 'c2s-spi'" "$zcvpn" connect --key-file "$work/badspi" --remote 127.0.0.1:4500
check "unknown setting 'bogus'" "$zcvpn" connect --key-file "$work/unknown" --remote 127.0.0.1:4500
check "unknown encryption 'des-cbc'" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc des-cbc
check "AES-CBC needs an HMAC" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc aes128-cbc --auth none
check "wrong encryption key length" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc-key-out 0011
check "--enc-key-in: want an even number" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc-key-in xyz
check "replay window must be a multiple of 64" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --replay-window 100
check "bad value '0x' for --batch" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --batch 0x
check "unknown suite 'aes512-gcm'" "$zcvpn" genkey --enc aes512-gcm
[ $fail -eq 0 ] && echo "script: PASS cli-errors"
exit $fail
