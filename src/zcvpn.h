/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcvpn: a VPN data-path engine with zero-copy tunnel I/O.
 *
 * This is the only installed header.  Every call returns 0 or a negative errno; handles
 * are opaque; nothing here keeps global state, so several engines may live in one
 * process.
 */
#ifndef ZCVPN_H
#define ZCVPN_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ZCVPN_EXPORT __attribute__((visibility("default")))
#else
#define ZCVPN_EXPORT
#endif

/* The library's version string, e.g. "0.1.0". */
ZCVPN_EXPORT const char *zcvpn_version(void);

/* The crypto backend the library was built with: "GnuTLS" or "OpenSSL". */
ZCVPN_EXPORT const char *zcvpn_crypto_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* ZCVPN_H */
