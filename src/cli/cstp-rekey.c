/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CSTP side of a rekey, by the server's X-CSTP-Rekey-Method: "new-tunnel" is a new
 * TLS connection and CONNECT with the session's cookie, which ocserv takes as the same
 * session (it hands the addresses over and ends the old connection's worker); "ssl" is
 * new keys on the live connection (tls_rekey), with the bytes that arrive meanwhile
 * going into the CSTP reader.
 */
#include "config.h"

#include "src/cli/cstp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The same address, host bits and all, and the same length. */
static bool same_prefix(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->len != b->len || a->addr.family != b->addr.family)
		return false;
	if (a->addr.family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return !a->addr.family || !memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6));
}

bool cstp_same_addresses(const struct cstp_session *a, const struct cstp_session *b)
{
	if (a->has_address != b->has_address || !same_prefix(&a->address6, &b->address6))
		return false;
	return !a->has_address || (a->address.s_addr == b->address.s_addr &&
				   a->netmask.s_addr == b->netmask.s_addr);
}

int cstp_new_tunnel(const struct cstp_server *s, const char *cookie,
		    const struct cstp_request *req, const struct cstp_session *now,
		    struct tls_conn **tls, struct cstp_session *next, struct cstp_reader *reader,
		    char *err, size_t errlen)
{
	struct tls_conn *c = NULL;
	int ret;

	ret = cstp_open(&c, s, err, errlen);
	if (!ret) {
		ret = cstp_connect_tunnel(c, s, cookie, req, next, reader, err, errlen);
		if (ret == -EACCES)
			ret = -EKEYEXPIRED;
	}
	if (!ret && !cstp_same_addresses(now, next)) {
		snprintf(err, errlen, "the new tunnel came with other addresses than the session's");
		ret = -EPROTO;
	}
	if (!ret && now->dtls && (!next->dtls || next->dtls_mode != now->dtls_mode)) {
		snprintf(err, errlen, "the new tunnel offers no DTLS of the session's kind");
		ret = -EPROTO;
	}
	if (ret) {
		tls_free(c);
		return ret;
	}
	*tls = c;
	return 0;
}

int cstp_rekey_step(struct tls_conn *c, struct cstp_reader *r)
{
	size_t room;
	uint8_t *buf = cstp_reader_room(r, &room);
	ssize_t n;

	/* A full reader holds a whole packet (the buffer is two): take it out first. */
	if (!room)
		return 1;
	n = tls_rekey(c, buf, room);
	if (n <= 0)
		return (int)n;
	cstp_reader_filled(r, (size_t)n);
	return 1;
}
