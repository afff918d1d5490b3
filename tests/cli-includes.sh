#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The driver (src/cli/) uses libzcvpn as any embedding client would: through the public
# header src/zcvpn.h and nothing else of the library's.  Besides that it may include its
# own headers and the TLS client contract it links in (crypto/tls.h; the CSTP login is
# the client's job, not the library's).  Each driver source is compiled here with only
# those headers on the include path, so a stray include fails, and the line is named.
set -u
srcdir=${srcdir:-.}
builddir=${top_builddir:-.}
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
allowed='#include ("config\.h"|"src/zcvpn\.h"|"src/cli/[a-z0-9-]+\.h"|"crypto/tls\.h"|<[^>]+>)'
fail=0
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
[ $fail -eq 0 ] && echo "ok: every driver source builds on src/zcvpn.h alone ($(ls "$srcdir"/src/cli/*.c | wc -l) files)"
exit $fail
