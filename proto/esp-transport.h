/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ESP over UDP as a transport class (proto/transport.h), from struct zcvpn_esp_config. */
#ifndef ZCVPN_PROTO_ESP_TRANSPORT_H
#define ZCVPN_PROTO_ESP_TRANSPORT_H

#include "proto/transport.h"

extern const struct transport_class esp_transport_class;

#endif /* ZCVPN_PROTO_ESP_TRANSPORT_H */
