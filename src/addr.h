/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "ADDR:PORT" for IPv4 ("127.0.0.1:4500") and IPv6 ("[::1]:4500"), both ways. */
#ifndef ZCVPN_SRC_ADDR_H
#define ZCVPN_SRC_ADDR_H

#include <sys/socket.h>

/* Returns 0, or -EINVAL for anything that is not a numeric address with a port. */
int addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);

enum { ADDR_TEXT_LEN = 48 };	/* "[" INET6_ADDRSTRLEN "]:65535" */

/* The inverse: writes ss as addr_parse reads it into text (ADDR_TEXT_LEN bytes). */
void addr_format(const struct sockaddr_storage *ss, char text[ADDR_TEXT_LEN]);

#endif /* ZCVPN_SRC_ADDR_H */
