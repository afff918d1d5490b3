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

#endif /* ZCVPN_PROTO_ANYCONNECT_H */
