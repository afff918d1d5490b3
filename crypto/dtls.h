/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS session contract: the TLS library runs the handshake (DTLS 1.2 PSK,
 * AnyConnect's legacy resumption in DTLS 1.2 or Cisco's 0.9, or a DTLS 1.2 handshake
 * authenticated by the server's X.509 certificate), our record layer
 * (proto/dtls-record.c) protects application data afterwards.  Each backend
 * (crypto/gnutls-dtls*.c, crypto/openssl-dtls*.c) implements all of it; protocol code
 * includes only this header, never a TLS library's.
 *
 * The library never touches a socket.  It sends through the caller's send callback and
 * reads only what the caller fed it with dtls_input(), so the engine owns the UDP socket
 * and sees every datagram, before and after the handshake.  Nothing here blocks: the
 * caller drives dtls_handshake() whenever a datagram arrived or dtls_timeout_ms() ran
 * out, and the whole handshake is bounded by dtls_config.handshake_timeout_ms.
 *
 * After the handshake, dtls_export_keys() hands over what a record layer needs.  From
 * then on our layer owns the write sequence space: the library must not write a record
 * unless its write sequence number was synced first (the GCM explicit nonce is the
 * sequence number, so an unsynced library record reuses a nonce).  The calls that may
 * make the library write (dtls_input_record, dtls_close) therefore take the record
 * layer's next write number and give back the one after whatever the library sent.
 * A backend that cannot sync (OpenSSL has no setter) returns -EOPNOTSUPP from those
 * paths instead of writing, and the caller builds alerts itself.
 *
 * Returns: 0 or a negative errno as documented per call.
 * Threading: a session is used by one thread at a time.
 */
#ifndef ZCVPN_CRYPTO_DTLS_H
#define ZCVPN_CRYPTO_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dtls_role {
	DTLS_ROLE_CLIENT,
	DTLS_ROLE_SERVER,
};

/*
 * Cipher suites with a fast path in our record layer; bits, so a config can list several.
 * The same record protection under PSK; in RESUME mode under the RSA-named suites
 * (whose key exchange never runs): AES128-GCM-SHA256, AES256-GCM-SHA384, AES128-SHA and
 * AES256-SHA; in CERT mode under ECDHE-RSA- and ECDHE-ECDSA- of those four (the
 * server's certificate decides which key exchange).
 */
enum dtls_suite {
	DTLS_SUITE_AES128_GCM = 1u << 0,	/* PSK-AES128-GCM-SHA256 */
	DTLS_SUITE_AES256_GCM = 1u << 1,	/* PSK-AES256-GCM-SHA384 */
	DTLS_SUITE_AES128_CBC_SHA1 = 1u << 2,	/* PSK-AES128-CBC-SHA */
	DTLS_SUITE_AES256_CBC_SHA1 = 1u << 3,	/* PSK-AES256-CBC-SHA */
	DTLS_SUITES_GCM = DTLS_SUITE_AES128_GCM | DTLS_SUITE_AES256_GCM,
	DTLS_SUITES_ALL = DTLS_SUITES_GCM | DTLS_SUITE_AES128_CBC_SHA1 |
			  DTLS_SUITE_AES256_CBC_SHA1,
};

/*
 * How the session keys come about.  PSK is AnyConnect's PSK-NEGOTIATE (a full PSK
 * handshake).  RESUME is the legacy Cisco mode: the client picked a master secret and
 * sent it over CSTP (X-DTLS-Master-Secret), the server answered with a session ID
 * (X-DTLS-Session-ID) and one suite, and both sides "resume" that session, which never
 * had a full handshake.  No PSK, no certificates: a peer that answers with a full
 * handshake instead does not know the secret (OpenConnect calls that a MITM) and fails.
 */
enum dtls_mode {
	DTLS_MODE_PSK,
	DTLS_MODE_RESUME,
	/*
	 * A full DTLS 1.2 handshake, ECDHE signed by the server's certificate (RSA or
	 * ECDSA), as F5 and Fortinet servers run it: the server presents
	 * dtls_config.creds, the client verifies it in the handshake (struct
	 * dtls_cert_config says how).  No client certificate.
	 */
	DTLS_MODE_CERT,
};

/*
 * Protocol version of a RESUME session (PSK and CERT are always DTLS 1.2).  0.9 is
 * Cisco's pre-RFC DTLS, wire version 0x0100 (OpenSSL's DTLS1_BAD_VER), CBC-SHA1 suites
 * only.
 */
enum dtls_version {
	DTLS_VER_1_2,
	DTLS_VER_0_9,
};

enum dtls_limits {
	DTLS_PSK_LEN = 32,		/* AnyConnect PSK-NEGOTIATE: RFC 5705 export, 32 bytes */
	DTLS_MASTER_SECRET_LEN = 48,	/* RESUME: X-DTLS-Master-Secret, the TLS master secret */
	DTLS_MAX_IDENTITY_LEN = 128,
	DTLS_MAX_SESSION_ID_LEN = 32,	/* the ClientHello legacy_session_id field */
	DTLS_MAX_HOSTNAME_LEN = 253,	/* a DNS name in text, without the final dot */
	DTLS_PIN_LEN = 32,		/* pin-sha256: a SHA-256 digest */
	DTLS_MAX_KEY_LEN = 32,
	DTLS_MAX_IV_LEN = 16,
	DTLS_MAX_MAC_KEY_LEN = 20,
	DTLS_MAX_DATAGRAM = 16384 + 2048,	/* a full record plus the worst expansion */
	DTLS_INPUT_SLOTS = 16,		/* datagrams fed but not yet read by the library */
	DTLS_DEFAULT_MTU = 1400,
	DTLS_DEFAULT_RETRANS_MS = 1000,
	DTLS_DEFAULT_HANDSHAKE_MS = 30000,
};

/*
 * Sends one datagram.  Returns 0, or a negative errno; -EAGAIN makes the library retry
 * later (it retransmits whole flights anyway).
 */
typedef int (*dtls_send_fn)(void *ctx, const void *buf, size_t len);

/*
 * Where CERT-mode credentials come from.  Every string is borrowed for the call to
 * dtls_credentials_new only; what is kept (the decoded pin, the host name, the parsed
 * files) is copied.  Fields of the other role must be NULL.
 */
struct dtls_cert_config {
	/*
	 * Server: the PEM chain it presents, leaf first and each certificate followed by
	 * its issuer, and the leaf's private key (PEM, unencrypted).
	 */
	const char *cert_file;
	const char *key_file;
	/*
	 * Client: how the server is verified.  At least one of pin and ca_file (a client
	 * that checks nothing would talk to anyone); with both, both must hold.
	 *
	 * pin: openconnect's --servercert convention, "pin-sha256:" followed by the base64
	 * SHA-256 digest of the server leaf's DER SubjectPublicKeyInfo.  On its own it is
	 * the whole check, as in openconnect: the key is the identity, and names, dates and
	 * issuer are not looked at.
	 *
	 * ca_file: PEM trust anchors.  The server's chain must lead to one of them, every
	 * certificate on it be within its dates, and the leaf be for hostname (a SAN
	 * dNSName, or an IP address SAN when hostname is an IP literal) and, if it limits
	 * its use, for TLS servers.
	 */
	const char *ca_file;
	/* Needed with ca_file; sent as SNI unless it is an IP literal (no brackets). */
	const char *hostname;
	const char *pin;
};

/* One role's loaded CERT credentials, shared by every session made from them. */
struct dtls_credentials;

/*
 * Loads and checks the credentials of one role, once per configuration: each redial
 * makes a new session from the same credentials instead of reading the files again.
 * *out is set only on success and is the caller's, to free with dtls_credentials_free
 * after the last session using it.  errbuf (errlen bytes; NULL with 0 for none) gets a
 * reason for logs on failure, and "" on success; it never holds key material.
 * Returns 0; -EINVAL a missing, unreadable or malformed file, a key that does not match
 * its certificate, a malformed pin, a client with neither pin nor ca_file, ca_file
 * without hostname, an empty or too long host name, or a field of the other role;
 * -ENOMEM; -EIO the library failed.
 * Threading: any thread.  Once made, the credentials are only read, so sessions on
 * several threads may share them.
 */
int dtls_credentials_new(struct dtls_credentials **out, enum dtls_role role,
			 const struct dtls_cert_config *cfg, char *errbuf, size_t errlen);
/* Frees and wipes; accepts NULL.  No session made with them may be left. */
void dtls_credentials_free(struct dtls_credentials *creds);

struct dtls_config {
	enum dtls_role role;
	enum dtls_mode mode;			/* 0: DTLS_MODE_PSK */
	/*
	 * enum dtls_suite bits; 0 means DTLS_SUITES_GCM.  RESUME: exactly one bit, the
	 * suite the server named (0.9: a CBC-SHA1 one).
	 */
	unsigned suites;
	/* PSK mode only. */
	const char *psk_identity;		/* client: sent; server: required (NULL: any) */
	uint8_t psk[DTLS_PSK_LEN];
	/* RESUME mode only. */
	enum dtls_version version;		/* 0: DTLS_VER_1_2 */
	uint8_t master_secret[DTLS_MASTER_SECRET_LEN];
	/*
	 * PSK, client: the ClientHello session ID.  AnyConnect PSK-NEGOTIATE puts the
	 * server's X-DTLS-App-ID here, which is how ocserv finds the CSTP session a
	 * datagram belongs to.  0 length: none.
	 * RESUME, both roles: the X-DTLS-Session-ID of the session to resume (1..32 bytes).
	 * CERT: must be 0 length.
	 */
	uint8_t session_id[DTLS_MAX_SESSION_ID_LEN];
	uint32_t session_id_len;
	/*
	 * CERT mode only: credentials of this session's role, borrowed.  They must outlive
	 * the session.
	 */
	const struct dtls_credentials *creds;
	uint32_t mtu;				/* path MTU for the library's flights; 0: default */
	uint32_t retrans_ms;			/* first retransmission timeout; 0: default */
	uint32_t handshake_timeout_ms;		/* whole handshake; 0: default */
	dtls_send_fn send;
	void *send_ctx;
	bool no_etm;				/* CBC: refuse encrypt-then-MAC (tests MtE) */
};

/* One direction's record protection state as the library left it. */
struct dtls_dir_keys {
	uint8_t key[DTLS_MAX_KEY_LEN];
	uint8_t iv[DTLS_MAX_IV_LEN];		/* GCM: the 4-byte salt; CBC: unused */
	uint8_t mac_key[DTLS_MAX_MAC_KEY_LEN];	/* CBC-SHA1 only */
	/*
	 * epoch (16 bits) || sequence number (48 bits).  write: the next number to send,
	 * to be used as is; read: the next number the library expected, so everything
	 * below it counts as seen.
	 */
	uint64_t seq8;
};

struct dtls_keys {
	enum dtls_suite suite;			/* exactly one bit */
	/*
	 * The record header's version, also in the MAC/AAD input: 0xfefd DTLS 1.2,
	 * 0x0100 DTLS 0.9.  0 is taken as 1.2, for keys built by hand.
	 */
	uint16_t version;
	bool etm;				/* CBC: encrypt-then-MAC (RFC 7366) negotiated */
	uint32_t key_len;			/* 16 or 32 */
	uint32_t iv_len;			/* 4 GCM, 16 CBC */
	uint32_t mac_key_len;			/* 0 GCM, 20 CBC-SHA1 */
	struct dtls_dir_keys read, write;
};

struct dtls_session;

/*
 * -EINVAL bad config (no PSK identity for a PSK client, no send callback, RESUME without
 * exactly one suite or session ID, GCM with 0.9, CERT without credentials of its role
 * or with a session ID), -EOPNOTSUPP a RESUME version/role the backend's library cannot
 * do, -ENOMEM, -EIO.
 */
int dtls_session_new(struct dtls_session **out, const struct dtls_config *cfg);
/* Frees and wipes; accepts NULL.  Sends nothing (use dtls_close first to say goodbye). */
void dtls_session_free(struct dtls_session *s);

/*
 * Queues a copy of one received datagram for the library (handshake, alerts and
 * anything our record layer declined; not the fast path).  An empty datagram is
 * ignored (0): it carries nothing, and a library would take it for end of stream.
 * -ENOBUFS when
 * DTLS_INPUT_SLOTS datagrams wait, -EMSGSIZE above DTLS_MAX_DATAGRAM, -ENOMEM.
 */
int dtls_input(struct dtls_session *s, const void *buf, size_t len);

/*
 * Runs the handshake as far as the queued datagrams allow.  0: done (and 0 on every
 * later call, so it doubles as the "is it done" question); -EAGAIN: call again after
 * the next dtls_input or when dtls_timeout_ms() has passed; -ETIMEDOUT: the handshake
 * timeout ran out; -EACCES: the peer refused us or our PSK, or (RESUME) did not resume,
 * or (CERT client) we refused the server's certificate, and then dtls_last_error says
 * why ("server key pin mismatch", "certificate expired", "certificate name mismatch",
 * "untrusted issuer", ...); -EPROTO any other failure (dtls_last_error says which).
 * A failure is final: a later call never returns 0.
 */
int dtls_handshake(struct dtls_session *s);
/* Milliseconds until the library wants dtls_handshake called again (retransmission). */
unsigned dtls_timeout_ms(const struct dtls_session *s);
/* The library's text for the last failure, for logs; never NULL. */
const char *dtls_last_error(const struct dtls_session *s);

/*
 * After the handshake: copies the negotiated suite, keys and sequence numbers.
 * -EINVAL before the handshake is done; -EOPNOTSUPP for a suite without a fast path
 * (the caller falls back to dtls_lib_send/recv).  Wipe *out with crypto_wipe after use.
 */
int dtls_export_keys(struct dtls_session *s, struct dtls_keys *out);

/*
 * Gives the library one datagram our record layer declined (alert, handshake
 * retransmission, CCS).  *write_seq8 is the record layer's next write number on entry
 * and the next one after anything the library sent on return.  Application data the
 * library might decrypt is discarded: it belongs to our layer.
 * 0: consumed; -ECONNRESET: the peer closed (close_notify) or sent a fatal alert; -EPROTO
 * the library failed; -ENOBUFS/-EMSGSIZE as dtls_input.
 */
int dtls_input_record(struct dtls_session *s, const void *buf, size_t len,
		      uint64_t *write_seq8);

/*
 * Sends close_notify with a synced sequence number (*write_seq8 as above).
 * -EOPNOTSUPP when the backend cannot sync: then the caller protects a type-21 record
 * itself.
 */
int dtls_close(struct dtls_session *s, uint64_t *write_seq8);

/*
 * The library's own record path, for suites without a fast path and for tests.  Each
 * call copies.  Send returns 0, -EAGAIN, -EMSGSIZE or -EPROTO; it must not be used after
 * dtls_export_keys unless the write number was synced.  Recv returns the plaintext
 * length, -EAGAIN (nothing valid queued), -ECONNRESET (peer closed) or -EPROTO.
 */
int dtls_lib_send(struct dtls_session *s, const void *buf, size_t len);
ssize_t dtls_lib_recv(struct dtls_session *s, void *buf, size_t len);

#endif /* ZCVPN_CRYPTO_DTLS_H */
