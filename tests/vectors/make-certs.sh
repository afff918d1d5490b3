#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Makes the X.509 vectors of tests/check_dtls_cert.c in tests/vectors/certs/ (or in the
# directory given), with the openssl command.  The output is committed: the tests never
# run this, and running it again makes new keys, so every file (pins included) changes
# together.  Keys are unencrypted.  The dates are explicit (openssl ca -startdate/
# -enddate) so that the good certificates last until 2125 and the expired one ended in
# 2001, whatever day this runs.
#
#   ca.pem          test CA (RSA-2048), the trust anchor of the good rows
#   rsa.pem         RSA-2048 server, vpn.zcvpn.test + IP 127.0.0.1, by ca   (rsa-key.pem)
#   ecdsa.pem       ECDSA P-256 server, same names, by ca                   (ecdsa-key.pem)
#   chain.pem       ecdsa-key's server, same names, by an intermediate of ca; the file
#                   holds the leaf, then the intermediate, as a server presents them
#   expired.pem     same names and key as ecdsa.pem, by ca, valid 2000 to 2001 only
#   future.pem      same names and key, by ca, valid from 2124 only
#   other-name.pem  other.zcvpn.test (no IP), same key, by ca
#   untrusted.pem   same names and key, by ca2, a second CA nobody trusts
#   ca2.pem         that second CA (ECDSA P-256), to show untrusted.pem is otherwise good
#   rsa.pin         pin-sha256: of rsa.pem's SubjectPublicKeyInfo (openconnect --servercert)
#   ecdsa.pin       the same for ecdsa-key.pem, so for every cert on that key
#   bad.pem         rsa.pem with its base64 broken: PEM armour around garbage
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/certs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

GOOD_FROM=20240101000000Z
GOOD_UNTIL=21250101000000Z
NAMES="DNS:vpn.zcvpn.test,IP:127.0.0.1"
# ca.cnf reads these when loaded, whichever command loads it.
CA_DIR=$work/ca
SAN=none
export CA_DIR SAN

cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca

[test_ca]
dir = \$ENV::CA_DIR
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = policy_cn
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_cn]
commonName = supplied

[req]
distinguished_name = req_dn
prompt = no

[req_dn]
CN = unused

[ext_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ext_intermediate]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ext_server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

rsa_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
}

ec_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# new_ca NAME KEY CN: a self-signed CA with its own database under $work/NAME.
new_ca() {
	mkdir -p "$work/$1"
	: >"$work/$1/index.txt"
	echo 01 >"$work/$1/serial"
	openssl req -new -config "$work/ca.cnf" -key "$2" -subj "/CN=$3" -out "$work/$1.csr"
	CA_DIR="$work/$1" SAN=none openssl ca -batch -config "$work/ca.cnf" -selfsign \
		-keyfile "$2" -in "$work/$1.csr" -out "$work/$1.pem" -notext \
		-startdate $GOOD_FROM -enddate $GOOD_UNTIL -extensions ext_ca 2>/dev/null
}

# issue CA KEY CN SAN FROM UNTIL EXT OUT: a certificate for KEY signed by CA.
issue() {
	openssl req -new -config "$work/ca.cnf" -key "$2" -subj "/CN=$3" -out "$work/req.csr"
	CA_DIR="$work/$1" SAN="$4" openssl ca -batch -config "$work/ca.cnf" \
		-cert "$work/$1.pem" -keyfile "$work/$1-key.pem" -in "$work/req.csr" \
		-out "$8" -notext -startdate "$5" -enddate "$6" -extensions "$7" 2>/dev/null
}

# openconnect's --servercert pin: SHA-256 over the leaf's DER SubjectPublicKeyInfo.
pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | openssl base64 -A >"$work/pin.b64"
	printf 'pin-sha256:%s\n' "$(cat "$work/pin.b64")"
}

mkdir -p "$out"
rsa_key "$work/ca-key.pem"
new_ca ca "$work/ca-key.pem" "zcvpn test CA"
ec_key "$work/ca2-key.pem"
new_ca ca2 "$work/ca2-key.pem" "zcvpn untrusted test CA"
ec_key "$work/inter-key.pem"
issue ca "$work/inter-key.pem" "zcvpn test intermediate" none $GOOD_FROM $GOOD_UNTIL \
	ext_intermediate "$work/inter.pem"
mkdir -p "$work/inter"
: >"$work/inter/index.txt"
echo 01 >"$work/inter/serial"

rsa_key "$out/rsa-key.pem"
ec_key "$out/ecdsa-key.pem"
srv="vpn.zcvpn.test"
issue ca "$out/rsa-key.pem" $srv $NAMES $GOOD_FROM $GOOD_UNTIL ext_server "$out/rsa.pem"
issue ca "$out/ecdsa-key.pem" $srv $NAMES $GOOD_FROM $GOOD_UNTIL ext_server "$out/ecdsa.pem"
issue inter "$out/ecdsa-key.pem" $srv $NAMES $GOOD_FROM $GOOD_UNTIL ext_server "$work/leaf.pem"
cat "$work/leaf.pem" "$work/inter.pem" >"$out/chain.pem"
issue ca "$out/ecdsa-key.pem" $srv $NAMES 20000101000000Z 20010101000000Z ext_server \
	"$out/expired.pem"
issue ca "$out/ecdsa-key.pem" $srv $NAMES 21240101000000Z $GOOD_UNTIL ext_server \
	"$out/future.pem"
issue ca "$out/ecdsa-key.pem" other.zcvpn.test DNS:other.zcvpn.test $GOOD_FROM $GOOD_UNTIL \
	ext_server "$out/other-name.pem"
issue ca2 "$out/ecdsa-key.pem" $srv $NAMES $GOOD_FROM $GOOD_UNTIL ext_server \
	"$out/untrusted.pem"
cp "$work/ca.pem" "$out/ca.pem"
cp "$work/ca2.pem" "$out/ca2.pem"
pin "$out/rsa.pem" >"$out/rsa.pin"
pin "$out/ecdsa.pem" >"$out/ecdsa.pin"
# Armour kept, one base64 line in the middle replaced by characters base64 does not have.
awk 'NR == 5 { print "!!!! not base64 !!!!"; next } { print }' "$out/rsa.pem" >"$out/bad.pem"
