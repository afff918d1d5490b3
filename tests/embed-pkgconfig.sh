#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libzcvpn as an embedding client gets it: the library and its header installed (into a
# staging root, with DESTDIR), zcvpn.pc found by pkg-config, and tests/embed-client.c
# built against them with `pkg-config --cflags --libs zcvpn` only: no path into this
# tree.  The client opens a tun device itself and hands its fd to the engine, as
# openconnect's --setup-tun-fd or an Android VpnService does; it runs in a network
# namespace of its own.  Needs root (the tun, the namespace).
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
cc=${CC:-cc}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (a tun device in a network namespace)"
	exit 77
fi
for tool in ip pkg-config "$cc" make; do
	command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: needs /dev/net/tun"; exit 77; }

ns=zcvpn-embed-$$
work=$(mktemp -d)
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out; do echo "--- $f"; tail -n 30 "$f"; done; exit 1; }

# make install under a make check: not this make's jobs, and quietly.
env -u MAKEFLAGS -u MFLAGS make -C "$builddir" install DESTDIR="$work/root" \
	>"$work/install.out" 2>&1 || fail "make install DESTDIR=..."
pc=$(find "$work/root" -name zcvpn.pc | head -n 1)
[ -n "$pc" ] || fail "zcvpn.pc was not installed"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$work/root
flags=$(pkg-config --cflags --libs zcvpn) || fail "pkg-config zcvpn"
echo "pkg-config --cflags --libs zcvpn: $flags" | sed "s|$work/root||g"
# A sanitizer build installs an instrumented library: its clients are built the same way.
# shellcheck disable=SC2086
"$cc" -std=gnu11 -Wall -Wextra -Werror ${ZCVPN_SAN_CFLAGS:-} -o "$work/embed-client" \
	"$srcdir/tests/embed-client.c" $flags >"$work/cc.out" 2>&1 ||
	fail "building against the installed library"
# Where the staged library is: -L carries the sysroot with every pkg-config flavour.
libpath=$(pkg-config --libs-only-L zcvpn | sed 's/^ *-L//; s/ .*//')

ip netns add "$ns" || fail "cannot create a namespace"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev zcemb0 mode tun || fail "ip tuntap add"
ip -n "$ns" addr add 10.77.9.1/30 dev zcemb0
ip -n "$ns" link set zcemb0 up
ip netns exec "$ns" env LD_LIBRARY_PATH="$libpath" \
	timeout 60 "$work/embed-client" zcemb0 10.77.9.1 10.77.9.2 >"$work/client.out" 2>&1 ||
	fail "embed-client"
cat "$work/client.out"
