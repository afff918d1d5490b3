/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The servers' TCP listener: "ADDR:PORT" ("[V6]:PORT" too) in, a listening socket out. */
#ifndef ZCVPN_SRC_CLI_TCP_LISTEN_H
#define ZCVPN_SRC_CLI_TCP_LISTEN_H

#include <stddef.h>

/*
 * The socket (SO_REUSEADDR, close-on-exec), its port in *port (the one bound, for
 * PORT 0), and the address without the port in host (brackets removed), or -errno:
 * -EINVAL for text that is not ADDR:PORT.
 */
int tcp_listen(const char *addr, int backlog, int *port, char *host, size_t hostlen);

#endif /* ZCVPN_SRC_CLI_TCP_LISTEN_H */
