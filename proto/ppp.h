/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over DTLS (F5, Fortinet) as a transport class (proto/transport.h), from struct
 * zcvpn_ppp_config: certificate-mode DTLS credentials, the hello, the PPP link's roles
 * and addresses, then the framing of proto/ppp-dtls.h.
 */
#ifndef ZCVPN_PROTO_PPP_H
#define ZCVPN_PROTO_PPP_H

#include "proto/transport.h"

extern const struct transport_class ppp_transport_class;

#endif /* ZCVPN_PROTO_PPP_H */
