/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hex strings into bytes, for the driver's key files, options and CSTP headers. */
#ifndef ZCVPN_SRC_CLI_HEX_H
#define ZCVPN_SRC_CLI_HEX_H

#include <stdint.h>

/*
 * Decodes an even number of hex digits (an optional 0x in front) into out, at most max
 * bytes; *len is how many.  0, or -EINVAL for anything else (nothing is written then
 * past what was decoded).
 */
int hex_decode(const char *hex, uint8_t *out, uint32_t max, uint32_t *len);

#endif /* ZCVPN_SRC_CLI_HEX_H */
