/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A scripted connection standing in for crypto/tls.h, for code that reads a server's
 * byte stream (src/cli/cstp-http.c, src/cli/cstp-tunnel.c).  crypto/tls.h promises only
 * that tls_read() returns "up to len" bytes; the real backends return at most one TLS
 * record (16 KiB), the script as much as it is asked for or at most `chunk`, so bounds
 * are tested against whatever a backend may do.  Writes are swallowed.
 */
#ifndef ZCVPN_TESTS_SCRIPTED_TLS_H
#define ZCVPN_TESTS_SCRIPTED_TLS_H

#include <stddef.h>
#include <stdint.h>

struct tls_conn {
	const uint8_t *data;	/* what the server sends, in order (borrowed) */
	size_t len, at;
	size_t chunk;		/* most bytes one tls_read() returns; 0: as many as asked */
};

#endif /* ZCVPN_TESTS_SCRIPTED_TLS_H */
