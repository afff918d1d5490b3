/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "ADDR:PORT" parsing for IPv4 ("127.0.0.1:4500") and IPv6 ("[::1]:4500"). */
#ifndef ZCVPN_SRC_ADDR_H
#define ZCVPN_SRC_ADDR_H

#include <sys/socket.h>

/* Returns 0, or -EINVAL for anything that is not a numeric address with a port. */
int addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);

#endif /* ZCVPN_SRC_ADDR_H */
