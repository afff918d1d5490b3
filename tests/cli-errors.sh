#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The driver's answers to bad configuration: exit status 2 and a message that names
# the problem, for each row of the table below (ESP, AnyConnect DTLS with a PSK, and
# the AnyConnect client for a real server).
set -u
zcvpn=${top_builddir:-.}/zcvpn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Secret files are the owner's alone (others' access is refused: rows below).
umask 077
"$zcvpn" genkey >"$work/keys"
printf 'enc = aes128-gcm\nc2s-spi = 7\n' >"$work/badspi"
printf 'enc = aes128-gcm\nbogus = 1\n' >"$work/unknown"
k=(--key-file "$work/keys")
"$zcvpn" genkey --workers 2 >"$work/keys2"
k2=(--key-file "$work/keys2")
{ sed -n '1,/^s2c-enc-key/p' "$work/keys"; printf 'worker = 3\n'; } >"$work/skipped-worker"
{ sed -n '1,/^s2c-enc-key/p' "$work/keys"; printf 'worker = 2\nenc = aes256-gcm\n'; } >"$work/late-suite"
"$zcvpn" genkey --psk >"$work/psk"
printf 'not hex\n' >"$work/badpsk"
cp "$work/keys" "$work/keys-644" && chmod 644 "$work/keys-644"
cp "$work/keys" "$work/keys-620" && chmod 620 "$work/keys-620"
cp "$work/psk" "$work/psk-604" && chmod 604 "$work/psk-604"
ac=(--protocol anyconnect)
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
check "key file $work/keys-644 is open to others (mode 0644): refused; chmod 600 it" \
	"$zcvpn" connect --key-file "$work/keys-644" --remote 127.0.0.1:4500
check "key file $work/keys-620 is open to others (mode 0620): refused" \
	"$zcvpn" serve --key-file "$work/keys-620" --local 127.0.0.1:4500
check "PSK file $work/psk-604 is open to others (mode 0604): refused" \
	"$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443 --psk-file "$work/psk-604"
check "unknown encryption 'des-cbc'" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc des-cbc
check "AES-CBC needs an HMAC" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc aes128-cbc --auth none
check "wrong encryption key length" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc-key-out 0011
check "--enc-key-in: want an even number" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --enc-key-in xyz
check "replay window must be a multiple of 64" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --replay-window 100
check "bad value '0x' for --batch" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --batch 0x
check "bad value '1001' for --moderation" "$zcvpn" serve "${k[@]}" --local 127.0.0.1:0 --moderation 1001
check "bad value '-1' for --moderation" "$zcvpn" connect "${ac[@]}" --moderation -1 https://vpn.example.com
check "bad value '3601' for --dtls-redial" "$zcvpn" connect "${ac[@]}" --dtls-redial 3601 https://vpn.example.com
check "unknown suite 'aes512-gcm'" "$zcvpn" genkey --enc aes512-gcm
check "genkey: --workers: want 1..16, or auto" "$zcvpn" genkey --workers 17
check "--workers 2: $work/keys holds SA pairs for 1" "$zcvpn" connect "${k[@]}" --remote 127.0.0.1:4500 --workers 2
check "2 workers need --tun NAME" "$zcvpn" connect "${k2[@]}" --remote 127.0.0.1:4500
check "--workers 3 needs --key-file with an SA pair per worker" "$zcvpn" connect --remote 127.0.0.1:4500 --enc aes128-gcm --spi-in 4096 --spi-out 4097 --enc-key-in 00112233445566778899aabbccddeeff00112233 --enc-key-out 00112233445566778899aabbccddeeff00112233 --workers 3
check "--workers 2 takes each worker's SAs from --key-file" "$zcvpn" connect "${k2[@]}" --remote 127.0.0.1:4500 --workers 2 --spi-out 4096
check "--workers is for ESP" "$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443 --psk-file "$work/psk" --workers 2
check "bad value '0' for --workers" "$zcvpn" serve "${k2[@]}" --local 127.0.0.1:4500 --workers 0
check "'worker = 2' expected here" "$zcvpn" connect --key-file "$work/skipped-worker" --remote 127.0.0.1:4500
check "'enc' goes before the first 'worker' line" "$zcvpn" connect --key-file "$work/late-suite" --remote 127.0.0.1:4500
check "--workers: --local needs ADDR:PORT with PORT from 1" "$zcvpn" serve "${k2[@]}" --local 127.0.0.1:0 --tun zcvpn-err0
check "bad value 'ipsec' for --protocol (esp, anyconnect, f5 or fortinet)" "$zcvpn" connect --protocol ipsec --remote 127.0.0.1:4500
check "--psk: want the 32-byte PSK as 64 hex digits" "$zcvpn" serve "${ac[@]}" --local 127.0.0.1:0 --psk 0011
check "--protocol anyconnect needs --psk-file" "$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443
check "want the 32-byte PSK as 64 hex digits" "$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443 --psk-file "$work/badpsk"
check "unknown DTLS cipher 'rc4'" "$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443 --psk-file "$work/psk" --cipher aes128-gcm,rc4
check "--app-id: want 1..32 bytes" "$zcvpn" connect "${ac[@]}" --remote 127.0.0.1:4443 --psk-file "$work/psk" --app-id zz
check "no usable host name in 'https://'" "$zcvpn" connect "${ac[@]}" --user u https://
check "bad port in 'https://vpn.example.com:x'" "$zcvpn" connect "${ac[@]}" https://vpn.example.com:x
check "bad value 'tls' for --dtls" "$zcvpn" connect "${ac[@]}" --dtls tls https://vpn.example.com
check "want exactly one https://SERVER argument" "$zcvpn" connect "${ac[@]}" https://a.example https://b.example
check "--passwd-on-stdin: nothing on stdin" "$zcvpn" connect "${ac[@]}" --passwd-on-stdin https://192.0.2.1 </dev/null
[ $fail -eq 0 ] && echo "script: PASS cli-errors"
exit $fail
