/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public ESP settings (struct zcvpn_esp_sa) checked and turned into the module's. */
#ifndef ZCVPN_PROTO_ESP_CONFIG_H
#define ZCVPN_PROTO_ESP_CONFIG_H

#include <stddef.h>

#include "proto/esp.h"
#include "src/zcvpn.h"

/*
 * Checks one public SA (names, key lengths, SPI) and fills *out; which ("inbound",
 * "outbound") names it in the message.  Keys are copied into *out: the caller wipes it
 * with crypto_wipe.  0, or -EINVAL with a message in errbuf.
 */
int esp_sa_from_public(const struct zcvpn_esp_sa *in, unsigned int replay_window,
		       struct esp_sa_config *out, const char *which, char *errbuf,
		       size_t errlen);

#endif /* ZCVPN_PROTO_ESP_CONFIG_H */
