#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The layering rules, checked on the sources so that a change that breaks one says which
# line did it:
#  - the engine (src/engine*) knows no protocol: from proto/ it includes transport.h
#    only, nothing from crypto/, and names no protocol's functions or types;
#  - ring/ and crypto/ include nothing above them (src/util/ is below everything);
#  - only crypto/ includes a TLS library's headers;
#  - the driver (src/cli/) uses libzcvpn as any embedding client would: through the
#    public header src/zcvpn.h, besides its own headers and the TLS client contract it
#    links in (crypto/tls.h; the CSTP login is the client's job, not the library's).
#    Each driver source is also compiled with only those headers on the include path.
set -u
srcdir=${srcdir:-.}
builddir=$(cd "${top_builddir:-.}" && pwd)
cc=${CC:-cc}
command -v "$cc" >/dev/null || { echo "SKIP: no C compiler ($cc)"; exit 77; }
[ -f "$builddir/config.h" ] || { echo "SKIP: no config.h in $builddir (configure first)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/cli" "$work/crypto"
cp "$srcdir/src/zcvpn.h" "$work/src/"
cp "$srcdir/crypto/tls.h" "$work/crypto/"
cp "$srcdir"/src/cli/*.h "$work/src/cli/"
cp "$builddir/config.h" "$work/"
fail=0

# rule PATTERN WHAT FILES...: every line matching PATTERN is a breach of WHAT.
rule() {
	local pattern=$1 what=$2 hits
	shift 2
	hits=$(grep -nE "$pattern" "$@" 2>/dev/null | sed "s|^$srcdir/||" || true)
	if [ -n "$hits" ]; then
		echo "FAIL: $what:"
		sed 's|^|  |' <<<"$hits"
		fail=1
	fi
}
cd "$srcdir" && srcdir=. || exit 1
rule '^#include "(proto/[^t]|proto/t[^r]|crypto/)' "the engine includes a protocol's header" \
	src/engine*.c src/engine*.h
rule '\b(esp|cisco|dtls|anyconnect|ppp)_[a-z_]+' "the engine names a protocol's code" \
	src/engine*.c src/engine*.h
rule '^#include "(proto|crypto)/|^#include "src/[^u]' "ring/ includes a layer above it" \
	ring/*.c ring/*.h
rule '^#include "(proto|ring)/|^#include "src/[^u]' "crypto/ includes a layer above it" \
	crypto/*.c crypto/*.h
rule '^#include <(gnutls|openssl|nettle)/' "a TLS library's header outside crypto/" \
	ring/*.[ch] proto/*.[ch] src/*.[ch] src/*/*.[ch]

allowed='#include ("config\.h"|"src/zcvpn\.h"|"src/cli/[a-z0-9-]+\.h"|"crypto/tls\.h"|<[^>]+>)'
for f in "$srcdir"/src/cli/*.c "$srcdir"/src/cli/*.h; do
	name=src/cli/$(basename "$f")
	# The rule itself, line by line: what is included, and from where.
	bad=$(grep -n '^#include' "$f" | grep -vE "^[0-9]+:$allowed" || true)
	if [ -n "$bad" ]; then
		echo "FAIL: $name includes more than the public header:"
		sed "s|^|  $name:|" <<<"$bad"
		fail=1
	fi
	case $f in *.c) ;; *) continue ;; esac
	# And the proof: it compiles with nothing else there to find.
	cp "$f" "$work/src/cli/"
	if ! out=$("$cc" -std=gnu11 -fsyntax-only -I"$work" "$work/$name" 2>&1); then
		echo "FAIL: $name does not compile with only the public header:"
		grep -m 3 'error' <<<"$out" | sed 's|^|  |'
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "ok: the layers hold; every driver source builds on src/zcvpn.h alone ($(ls src/cli/*.c | wc -l) files)"
exit $fail
