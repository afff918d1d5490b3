/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cisco AnyConnect as a transport class (proto/transport.h), from struct
 * zcvpn_anyconnect_config: the DTLS channel with the Cisco framing, or, when the server
 * offered no DTLS, a transport that never comes up, so that every packet takes the
 * host's fallback (CSTP).
 */
#ifndef ZCVPN_PROTO_ANYCONNECT_H
#define ZCVPN_PROTO_ANYCONNECT_H

#include "proto/transport.h"

extern const struct transport_class anyconnect_transport_class;

struct dtls_config;

/*
 * The keys of a zcvpn_rekey's anyconnect section over the running DTLS configuration d
 * (cisco_dtls_config.rekey_keys): 1 with keys, 0 without any (a rekey keeping them), or
 * -EINVAL with a message.  PSK-NEGOTIATE keeps the suites d offers.
 */
int anyconnect_rekey_keys(const struct zcvpn_rekey *rk, struct dtls_config *d, char *errbuf,
			  size_t errlen);

#endif /* ZCVPN_PROTO_ANYCONNECT_H */
