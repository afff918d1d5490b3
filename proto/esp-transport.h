/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ESP as an engine transport. */
#ifndef ZCVPN_PROTO_ESP_TRANSPORT_H
#define ZCVPN_PROTO_ESP_TRANSPORT_H

#include "proto/esp.h"
#include "proto/transport.h"

/* Wraps esp; the transport takes ownership (its free() frees esp). */
void esp_transport_init(struct transport *t, struct esp *esp);

#endif /* ZCVPN_PROTO_ESP_TRANSPORT_H */
