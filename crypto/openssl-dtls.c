/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DTLS 1.2 sessions through OpenSSL (libssl 3.0): PSK handshake over the engine's
 * datagrams, then the record protection state for our own record layer.  OpenSSL has no
 * getter for the record keys nor a getter or setter for the sequence numbers, so:
 *
 *  - the key block is derived here with the TLS 1.2 PRF from the master secret and the
 *    two randoms, exactly as the library derived it;
 *  - the sequence numbers are learnt by watching every record header the library sends
 *    and accepts (SSL_set_msg_callback, SSL3_RT_HEADER);
 *  - encrypt-then-MAC (on by default for CBC suites, off with SSL_OP_NO_ENCRYPT_THEN_MAC)
 *    has no public getter in 3.0, so it is read from the ServerHello's extension 22;
 *  - the library's write number cannot be moved, so dtls_close returns -EOPNOTSUPP
 *    and the caller protects its alerts itself.  After the takeover a write guard
 *    in the BIO drops any epoch >= 1 record the library would send with a number
 *    our layer may already have used (see dtls_input_record).
 *
 * The library never touches a socket: a custom datagram BIO writes through the caller's
 * send callback and reads only datagrams queued by dtls_input, one per read.
 *
 * CERT mode: each session's SSL_CTX takes references to credentials parsed once by
 * crypto/openssl-dtls-cert.c; a client judges the server's chain in the handshake
 * (SSL_CTX_set_cert_verify_callback), so a refused server fails dtls_handshake.
 *
 * RESUME mode (AnyConnect legacy): both roles hold a made-up SSL_SESSION with the master
 * secret and session ID from CSTP, the client as its session to offer (SSL_set_session,
 * as OpenConnect does), the server in its session cache (SSL_CTX_add_session), so the
 * abbreviated handshake finds it.  DTLS 0.9 is DTLS1_BAD_VER with
 * SSL_OP_CISCO_ANYCONNECT, which OpenSSL only implements for clients: a 0.9 server
 * session is -EOPNOTSUPP.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include "crypto/crypto.h"
#include "crypto/dtls-queue.h"
#include "crypto/dtls.h"
#include "crypto/openssl-dtls-cert.h"
#include "src/util/byteorder.h"
#include "src/util/clock.h"

/* EVP_KDF and OSSL_PARAM are OpenSSL 3.0 APIs; 1.1.1 is out of support anyway. */
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "crypto/openssl-dtls.c needs OpenSSL >= 3.0"
#endif

enum {
	REC_HDR_LEN = 13,		/* type | version(2) | epoch(2) | seq(6) | length(2) */
	HS_HDR_LEN = 12,		/* DTLS handshake header: type | len(3) | seq(2) | frag */
	HS_SERVER_HELLO = 2,
	EXT_ENCRYPT_THEN_MAC = 22,	/* RFC 7366 */
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APP_DATA = 23,
	ALERT_FATAL = 2,
	ALERT_CLOSE_NOTIFY = 0,
	MASTER_LEN = 48,
	RANDOM_LEN = 32,
	KEY_BLOCK_MAX = 2 * (DTLS_MAX_MAC_KEY_LEN + DTLS_MAX_KEY_LEN + DTLS_MAX_IV_LEN),
	MAX_RETRANS_US = 60 * 1000 * 1000,	/* RFC 6347 §4.2.4.1: at most 60 s */
	DRAIN_MAX = 4 * DTLS_INPUT_SLOTS,	/* bound on SSL_read calls per drain */
};

#define EPOCH1 (UINT64_C(1) << 48)
#define SEQ_MASK ((UINT64_C(1) << 48) - 1)

struct dtls_session {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *meth;
	struct dtls_config cfg;
	char identity[DTLS_MAX_IDENTITY_LEN + 1];
	bool done;
	bool closed;			/* close_notify or a fatal alert received */
	bool resume;			/* cfg.mode == DTLS_MODE_RESUME */
	bool cert_refused;		/* CERT client: we refused the server's chain */
	int failed;			/* sticky handshake failure, negative errno */
	bool started;
	uint64_t start_ns;		/* now_ns() of the first dtls_handshake call */

	/* Sequence numbers, learnt from the record headers (epoch 1 only). */
	bool sent_e1, recv_e1, pending_valid;
	uint64_t last_sent;		/* last epoch-1 seq8 the library wrote */
	uint64_t max_recv;		/* highest epoch-1 seq8 the library accepted */
	uint64_t pending_seq8;		/* header of the record being processed */
	uint8_t pending_type;
	bool etm;			/* ServerHello carried encrypt_then_mac */
	bool peer_fatal;		/* a fatal alert came in */

	/* After dtls_export_keys: epoch >= 1 records below this are never sent. */
	bool guard_on;
	uint64_t guard_seq8;

	char err[256];			/* last failure, for logs */

	struct dtls_queue in;		/* datagrams fed by dtls_input */
};

/* ---- errors ----------------------------------------------------------------------- */

static void set_err(struct dtls_session *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s", what);
}

/* Takes OpenSSL's most specific error, and empties the queue the host shares with us. */
static void set_ssl_err(struct dtls_session *s, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[200];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(s->err, sizeof(s->err), "%s: %s", what, buf);
	} else {
		set_err(s, what);
	}
	ERR_clear_error();
}

/* ---- transport: the datagram BIO -------------------------------------------------- */

/*
 * After the takeover our layer owns the epoch-1 numbers from guard_seq8 on; a library
 * record below that would repeat one of them.  The datagram may pack several records.
 */
static bool write_allowed(const struct dtls_session *s, const uint8_t *p, size_t len)
{
	if (!s->guard_on)
		return true;
	while (len >= REC_HDR_LEN) {
		uint64_t seq8 = get_be64(p + 3);
		size_t rec = REC_HDR_LEN + get_be16(p + 11);

		if (seq8 >> 48 && seq8 < s->guard_seq8)
			return false;
		if (rec > len)
			break;
		p += rec;
		len -= rec;
	}
	return true;
}

static int bio_write(BIO *b, const char *buf, int len)
{
	struct dtls_session *s = BIO_get_data(b);
	int ret;

	BIO_clear_retry_flags(b);
	if (len < 0)
		return -1;
	/* Dropped like a lost datagram: DTLS copes, and a reused number would be worse. */
	if (!write_allowed(s, (const uint8_t *)buf, (size_t)len))
		return len;
	ret = s->cfg.send(s->cfg.send_ctx, buf, (size_t)len);
	if (ret == -EAGAIN) {
		BIO_set_retry_write(b);
		return -1;
	}
	return ret < 0 ? -1 : len;
}

/* One queued datagram per call: DTLS needs datagram boundaries kept. */
static int bio_read(BIO *b, char *buf, int len)
{
	struct dtls_session *s = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (!dtls_queue_count(&s->in)) {
		BIO_set_retry_read(b);
		return -1;
	}
	if (len < 0)
		return -1;
	/* Cannot fail with a datagram waiting; it is cut to len, as recv would. */
	return (int)dtls_queue_pop(&s->in, buf, (size_t)len);
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_session *s = BIO_get_data(b);

	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)dtls_queue_peek_len(&s->in);
	case BIO_CTRL_WPENDING:
		return 0;		/* every write goes out at once */
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_MTU:
		return s->cfg.mtu;	/* not asked with SSL_OP_NO_QUERY_MTU; consistent anyway */
	case BIO_CTRL_DGRAM_SET_MTU:
		return num;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0;		/* cfg.mtu already counts the UDP payload only */
	case BIO_CTRL_DGRAM_MTU_EXCEEDED:
		return 0;		/* the engine handles path MTU, not the library */
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
		return 1;		/* the caller's loop is the clock (dtls_timeout_ms) */
	case BIO_CTRL_DGRAM_GET_RECV_TIMER_EXP:
	case BIO_CTRL_DGRAM_GET_SEND_TIMER_EXP:
		return 0;
	case BIO_CTRL_DGRAM_GET_PEER:
	case BIO_CTRL_DGRAM_SET_PEER:
	case BIO_CTRL_DGRAM_CONNECT:
	case BIO_CTRL_DGRAM_SET_CONNECTED:
		return 0;		/* the engine owns the socket and the peer address */
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int bio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	return 1;
}

static int setup_bio(struct dtls_session *s)
{
	BIO *b;

	s->meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "zcvpn-dtls");
	if (!s->meth)
		return -ENOMEM;
	if (!BIO_meth_set_write(s->meth, bio_write) || !BIO_meth_set_read(s->meth, bio_read) ||
	    !BIO_meth_set_ctrl(s->meth, bio_ctrl) || !BIO_meth_set_create(s->meth, bio_create) ||
	    !BIO_meth_set_destroy(s->meth, bio_destroy))
		return -EIO;
	b = BIO_new(s->meth);
	if (!b)
		return -ENOMEM;
	BIO_set_data(b, s);
	SSL_set_bio(s->ssl, b, b);	/* one BIO, both ways: the SSL owns one reference */
	return 0;
}

int dtls_input(struct dtls_session *s, const void *buf, size_t len)
{
	if (!s || (!buf && len))
		return -EINVAL;
	return dtls_queue_push(&s->in, buf, len);
}

/* ---- watching the records --------------------------------------------------------- */

/* Looks for encrypt_then_mac in a ServerHello (after the 12-byte DTLS handshake header). */
static bool server_hello_etm(const uint8_t *p, size_t len)
{
	size_t off = HS_HDR_LEN + 2 + RANDOM_LEN, ext_end;

	if (len < off + 1 || p[0] != HS_SERVER_HELLO)
		return false;
	off += 1 + p[off];			/* session_id */
	off += 2 + 1;				/* cipher_suite, compression_method */
	if (len < off + 2)
		return false;
	ext_end = off + 2 + get_be16(p + off);
	if (ext_end > len)
		return false;
	for (off += 2; off + 4 <= ext_end; off += 4 + get_be16(p + off + 2)) {
		if (get_be16(p + off) == EXT_ENCRYPT_THEN_MAC)
			return true;
	}
	return false;
}

/* An accepted record of this content type: its header is the pending one. */
static void commit_recv(struct dtls_session *s, uint8_t type)
{
	if (!s->pending_valid || s->pending_type != type)
		return;
	if (!s->recv_e1 || s->pending_seq8 > s->max_recv)
		s->max_recv = s->pending_seq8;
	s->recv_e1 = true;
	s->pending_valid = false;
}

/*
 * OpenSSL 3.0 reports every record header it writes, and every one it reads *before*
 * checking it; decrypted content follows only for records that authenticated.  So a
 * received epoch-1 header stays pending until its content shows up (handshake, alert,
 * CCS here; application data in SSL_read), and a forged header never moves max_recv.
 * Epoch-0 headers do not clear the pending one: an early epoch-1 record is buffered by
 * the library and processed after the CCS.
 */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct dtls_session *s = arg;
	const uint8_t *p = buf;

	(void)version;
	(void)ssl;
	if (content_type == SSL3_RT_HEADER) {
		uint64_t seq8;

		if (len < REC_HDR_LEN)
			return;
		seq8 = get_be64(p + 3);
		if (seq8 >> 48 != 1)
			return;
		if (write_p) {
			s->last_sent = seq8;
			s->sent_e1 = true;
		} else {
			s->pending_seq8 = seq8;
			s->pending_type = p[0];
			s->pending_valid = true;
		}
		return;
	}
	if (content_type == SSL3_RT_HANDSHAKE && len > HS_HDR_LEN && p[0] == HS_SERVER_HELLO)
		s->etm = server_hello_etm(p, len);
	if (write_p)
		return;
	if (content_type == SSL3_RT_ALERT && len >= 2) {
		if (p[0] == ALERT_FATAL)
			s->peer_fatal = true;
		commit_recv(s, CT_ALERT);
	} else if (content_type == SSL3_RT_HANDSHAKE) {
		commit_recv(s, CT_HANDSHAKE);
	} else if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC) {
		commit_recv(s, CT_CCS);
	}
}

/* ---- setup ------------------------------------------------------------------------ */

static unsigned int client_psk_cb(SSL *ssl, const char *hint, char *identity,
				  unsigned int max_identity_len, unsigned char *psk,
				  unsigned int max_psk_len)
{
	struct dtls_session *s = SSL_get_app_data(ssl);
	size_t n = strlen(s->identity);

	(void)hint;
	if (n >= max_identity_len || max_psk_len < DTLS_PSK_LEN)
		return 0;
	memcpy(identity, s->identity, n + 1);
	memcpy(psk, s->cfg.psk, DTLS_PSK_LEN);
	return DTLS_PSK_LEN;
}

/* 0 makes the library refuse with unknown_psk_identity. */
static unsigned int server_psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	struct dtls_session *s = SSL_get_app_data(ssl);

	if (s->cfg.psk_identity && (!identity || strcmp(identity, s->identity)))
		return 0;
	if (max_psk_len < DTLS_PSK_LEN)
		return 0;
	memcpy(psk, s->cfg.psk, DTLS_PSK_LEN);
	return DTLS_PSK_LEN;
}

/*
 * Only the suites our record layer takes over, strongest first.  CERT offers both
 * signature kinds; the server's certificate picks one.
 */
static int build_cipher_list(enum dtls_mode mode, unsigned suites, char *buf, size_t size)
{
	static const char *const psk[] = {
		":PSK-AES256-GCM-SHA384", ":PSK-AES128-GCM-SHA256",
		":PSK-AES256-CBC-SHA", ":PSK-AES128-CBC-SHA",
	};
	static const char *const cert[] = {
		":ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
		":ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
		":ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA",
		":ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA",
	};
	const char *const *names = mode == DTLS_MODE_CERT ? cert : psk;
	int n = snprintf(buf, size, "%s%s%s%s",
			 suites & DTLS_SUITE_AES256_GCM ? names[0] : "",
			 suites & DTLS_SUITE_AES128_GCM ? names[1] : "",
			 suites & DTLS_SUITE_AES256_CBC_SHA1 ? names[2] : "",
			 suites & DTLS_SUITE_AES128_CBC_SHA1 ? names[3] : "");

	if (n <= 1 || (size_t)n >= size)
		return -EINVAL;
	memmove(buf, buf + 1, (size_t)n);	/* drop the leading ':' */
	return 0;
}

/* RESUME suites: the RSA-named ones AnyConnect uses; their key exchange never runs. */
struct resume_suite {
	enum dtls_suite suite;
	const char *name;
	uint8_t id[2];			/* IANA cipher suite number */
};

static const struct resume_suite resume_suites[] = {
	{ DTLS_SUITE_AES128_GCM, "AES128-GCM-SHA256", { 0x00, 0x9c } },
	{ DTLS_SUITE_AES256_GCM, "AES256-GCM-SHA384", { 0x00, 0x9d } },
	{ DTLS_SUITE_AES128_CBC_SHA1, "AES128-SHA", { 0x00, 0x2f } },
	{ DTLS_SUITE_AES256_CBC_SHA1, "AES256-SHA", { 0x00, 0x35 } },
};

static const struct resume_suite *resume_suite_of(unsigned suite)
{
	for (size_t i = 0; i < sizeof(resume_suites) / sizeof(resume_suites[0]); i++) {
		if (resume_suites[i].suite == suite)
			return &resume_suites[i];
	}
	return NULL;
}

static int resume_version(const struct dtls_config *cfg)
{
	return cfg->version == DTLS_VER_0_9 ? DTLS1_BAD_VER : DTLS1_2_VERSION;
}

/*
 * The session CSTP agreed on, as if a handshake had made it.  The cipher must be the
 * SSL's own SSL_CIPHER (found by number), the version exactly the one negotiated: the
 * server's cache lookup compares both.
 */
static SSL_SESSION *resume_session(struct dtls_session *s)
{
	const struct resume_suite *rs = resume_suite_of(s->cfg.suites);
	const SSL_CIPHER *c = rs ? SSL_CIPHER_find(s->ssl, rs->id) : NULL;
	SSL_SESSION *sess;

	if (!c)
		return NULL;
	sess = SSL_SESSION_new();
	if (!sess)
		return NULL;
	if (!SSL_SESSION_set1_master_key(sess, s->cfg.master_secret, DTLS_MASTER_SECRET_LEN) ||
	    !SSL_SESSION_set_protocol_version(sess, resume_version(&s->cfg)) ||
	    !SSL_SESSION_set_cipher(sess, c) ||
	    !SSL_SESSION_set1_id(sess, s->cfg.session_id, s->cfg.session_id_len)) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

static int install_resume_session(struct dtls_session *s)
{
	SSL_SESSION *sess = resume_session(s);
	int ok;

	if (!sess)
		return -EIO;
	if (s->cfg.role == DTLS_ROLE_CLIENT)
		ok = SSL_set_session(s->ssl, sess);
	else
		ok = SSL_CTX_add_session(s->ctx, sess);
	SSL_SESSION_free(sess);			/* SSL or cache keeps its own reference */
	return ok ? 0 : -EIO;
}

/*
 * RESUME context: one version, one suite.  No EtM and no extended master secret (Cisco's
 * servers have neither, and either would change the keys the master secret implies);
 * LEGACY_SERVER_CONNECT because those servers send no renegotiation_info.  Security
 * level 0: there is no key exchange or certificate to rate, and OpenSSL 3 allows
 * DTLS1_BAD_VER (TLS 1.0 era, MD5/SHA1 PRF) only there.
 */
static int resume_ctx_setup(struct dtls_session *s)
{
	const struct resume_suite *rs = resume_suite_of(s->cfg.suites);
	int ver = resume_version(&s->cfg);

	if (!rs)
		return -EINVAL;
	/*
	 * OpenSSL has DTLS1_BAD_VER as a client method only: a server drops the 01 00
	 * records unread.  Say so instead of timing out.
	 */
	if (s->cfg.version == DTLS_VER_0_9 && s->cfg.role == DTLS_ROLE_SERVER)
		return -EOPNOTSUPP;
	SSL_CTX_set_security_level(s->ctx, 0);
	if (!SSL_CTX_set_min_proto_version(s->ctx, ver) ||
	    !SSL_CTX_set_max_proto_version(s->ctx, ver))
		return -EOPNOTSUPP;
	if (!SSL_CTX_set_cipher_list(s->ctx, rs->name))
		return -EIO;
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC |
				    SSL_OP_NO_EXTENDED_MASTER_SECRET |
				    SSL_OP_LEGACY_SERVER_CONNECT);
	if (s->cfg.version == DTLS_VER_0_9)
		SSL_CTX_set_options(s->ctx, SSL_OP_CISCO_ANYCONNECT);
	/* The server finds the made-up session in its cache; nothing else goes in. */
	if (s->cfg.role == DTLS_ROLE_SERVER)
		SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_SERVER |
						       SSL_SESS_CACHE_NO_AUTO_CLEAR |
						       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	return 0;
}

/* Whatever the library's per-retransmission timer is, restart at retrans_ms and double. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
	struct dtls_session *s = SSL_get_app_data(ssl);
	uint64_t next;

	if (!timer_us)
		next = (uint64_t)s->cfg.retrans_ms * 1000;
	else
		next = (uint64_t)timer_us * 2;
	return next > MAX_RETRANS_US ? MAX_RETRANS_US : (unsigned int)next;
}

/*
 * AnyConnect wants the server's App-ID as the ClientHello session ID.  OpenSSL only
 * sends one when resuming, so offer a session it cannot really resume: a random master
 * secret under that ID (what OpenConnect does).  The server does not know the ID as a
 * session of its own and runs a full PSK handshake.
 */
static int set_fake_session(struct dtls_session *s)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(s->ssl);
	uint8_t master[MASTER_LEN];
	SSL_SESSION *sess;
	int ok;

	if (!ciphers || sk_SSL_CIPHER_num(ciphers) < 1)
		return -EIO;
	if (crypto_random(master, sizeof(master)))
		return -EIO;
	sess = SSL_SESSION_new();
	if (!sess) {
		crypto_wipe(master, sizeof(master));
		return -ENOMEM;
	}
	ok = SSL_SESSION_set1_master_key(sess, master, sizeof(master)) &&
	     SSL_SESSION_set_protocol_version(sess, DTLS1_2_VERSION) &&
	     SSL_SESSION_set_cipher(sess, sk_SSL_CIPHER_value(ciphers, 0)) &&
	     SSL_SESSION_set1_id(sess, s->cfg.session_id, s->cfg.session_id_len) &&
	     SSL_set_session(s->ssl, sess);
	SSL_SESSION_free(sess);			/* the SSL keeps its own reference */
	crypto_wipe(master, sizeof(master));
	return ok ? 0 : -EIO;
}

/*
 * A CERT client's check of the server, in place of OpenSSL's own chain verification
 * (which would insist on a CA where a pin alone may be the check).  0 fails the
 * handshake with an alert to the server, -EACCES from dtls_handshake.
 */
static int verify_cb(X509_STORE_CTX *xctx, void *arg)
{
	struct dtls_session *s = arg;
	enum dtls_cert_verdict v = dtls_cert_verify(xctx, s->cfg.creds);
	char why[128];

	if (v == DTLS_CERT_OK)
		return 1;
	snprintf(why, sizeof(why), "DTLS server certificate refused: %s",
		 dtls_cert_verdict_str(v));
	set_err(s, why);
	s->cert_refused = true;
	return 0;
}

static int cert_setup(struct dtls_session *s)
{
	int ret = dtls_cert_ctx_setup(s->ctx, s->cfg.creds);

	if (ret || s->cfg.role != DTLS_ROLE_CLIENT)
		return ret;
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(s->ctx, verify_cb, s);
	return 0;
}

static int session_setup(struct dtls_session *s)
{
	bool client = s->cfg.role == DTLS_ROLE_CLIENT;
	bool cert = s->cfg.mode == DTLS_MODE_CERT;
	char ciphers[256];
	int ret;

	s->ctx = SSL_CTX_new(client ? DTLS_client_method() : DTLS_server_method());
	if (!s->ctx)
		return -ENOMEM;
	if (s->resume) {
		ret = resume_ctx_setup(s);
		if (ret)
			return ret;
	} else {
		if (!SSL_CTX_set_min_proto_version(s->ctx, DTLS1_2_VERSION) ||
		    !SSL_CTX_set_max_proto_version(s->ctx, DTLS1_2_VERSION))
			return -EIO;
		if (build_cipher_list(s->cfg.mode, s->cfg.suites, ciphers, sizeof(ciphers)) ||
		    !SSL_CTX_set_cipher_list(s->ctx, ciphers))
			return -EIO;
		/*
		 * No resumption (a fresh PSK per tunnel, a full handshake per CERT
		 * session), so no cache to keep.  RESUME keeps just the one session it
		 * made up, in resume_ctx_setup.
		 */
		SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	}
	if (cert) {
		ret = cert_setup(s);
		if (ret)
			return ret;
	}
	/*
	 * No tickets; no renegotiation, which would need the library to write after the
	 * takeover; and the MTU is ours, never probed on a socket the library does not have.
	 */
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				    SSL_OP_NO_QUERY_MTU);
	/* CBC records MAC-then-encrypt, as a peer without RFC 7366 sends them. */
	if (s->cfg.no_etm)
		SSL_CTX_set_options(s->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC);
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl)
		return -ENOMEM;
	SSL_set_app_data(s->ssl, s);
	if (s->resume) {
		ret = install_resume_session(s);
		if (ret)
			return ret;
	} else if (cert) {
		ret = dtls_cert_ssl_setup(s->ssl, s->cfg.creds);
		if (ret)
			return ret;
	} else if (client) {
		SSL_set_psk_client_callback(s->ssl, client_psk_cb);
	} else {
		SSL_set_psk_server_callback(s->ssl, server_psk_cb);
	}
	SSL_set_msg_callback(s->ssl, msg_cb);
	SSL_set_msg_callback_arg(s->ssl, s);
	DTLS_set_timer_cb(s->ssl, timer_cb);
	ret = setup_bio(s);
	if (ret)
		return ret;
	if (!SSL_set_mtu(s->ssl, s->cfg.mtu))
		return -EINVAL;			/* below the library's minimum */
	if (client && !s->resume && !cert && s->cfg.session_id_len) {
		ret = set_fake_session(s);
		if (ret)
			return ret;
	}
	if (client)
		SSL_set_connect_state(s->ssl);
	else
		SSL_set_accept_state(s->ssl);
	return 0;
}

int dtls_session_new(struct dtls_session **out, const struct dtls_config *cfg)
{
	struct dtls_session *s;
	int ret;

	if (!out || !cfg || dtls_config_check(cfg))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	dtls_config_adopt(&s->cfg, s->identity, cfg);
	s->resume = cfg->mode == DTLS_MODE_RESUME;
	ret = session_setup(s);
	if (ret) {
		ERR_clear_error();
		dtls_session_free(s);
		if (ret == -ENOMEM || ret == -EINVAL || ret == -EOPNOTSUPP)
			return ret;
		return -EIO;
	}
	*out = s;
	return 0;
}

void dtls_session_free(struct dtls_session *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);		/* frees the BIO too; sends nothing */
	SSL_CTX_free(s->ctx);
	BIO_meth_free(s->meth);
	dtls_queue_clear(&s->in);
	crypto_wipe(s, sizeof(*s));
	free(s);
}

/* ---- handshake -------------------------------------------------------------------- */

static uint64_t elapsed_ms(const struct dtls_session *s)
{
	return (now_ns() - s->start_ns) / NSEC_PER_MSEC;
}

/* A refusal by the peer or of our credentials is -EACCES, anything else -EPROTO. */
static int map_ssl_failure(struct dtls_session *s)
{
	int reason = ERR_GET_REASON(ERR_peek_last_error());

	if (s->peer_fatal || reason >= SSL_AD_REASON_OFFSET)
		return -EACCES;
	switch (reason) {
	case SSL_R_PSK_IDENTITY_NOT_FOUND:
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_DIGEST_CHECK_FAILED:
	case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
		return -EACCES;
	default:
		return -EPROTO;
	}
}

int dtls_handshake(struct dtls_session *s)
{
	struct timeval tv;
	int ret, err;

	if (!s)
		return -EINVAL;
	if (s->done)
		return 0;
	if (s->failed)
		return s->failed;
	if (!s->started) {
		s->start_ns = now_ns();
		s->started = true;
	}
	if (elapsed_ms(s) >= s->cfg.handshake_timeout_ms) {
		set_err(s, "DTLS handshake timed out");
		s->failed = -ETIMEDOUT;
		return s->failed;
	}
	ERR_clear_error();
	/* Retransmit our last flight when its timer ran out and nothing came in. */
	if (DTLSv1_get_timeout(s->ssl, &tv) > 0 && !tv.tv_sec && !tv.tv_usec)
		DTLSv1_handle_timeout(s->ssl);
	ret = SSL_do_handshake(s->ssl);
	if (ret == 1 && s->resume && !SSL_session_reused(s->ssl)) {
		/*
		 * A full handshake where we offered only the session to resume: the peer
		 * does not know the master secret, so it is not who CSTP talked to.
		 */
		set_err(s, "DTLS peer did not resume the session (MITM?)");
		s->failed = -EACCES;
		return s->failed;
	}
	if (ret == 1) {
		s->done = true;
		return 0;
	}
	err = SSL_get_error(s->ssl, ret);
	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		s->closed = true;
		set_err(s, "DTLS peer closed during the handshake");
		s->failed = -ECONNRESET;
		return s->failed;
	case SSL_ERROR_SSL:
		if (s->cert_refused) {
			/* verify_cb said why; OpenSSL only says that it failed. */
			ERR_clear_error();
			s->failed = -EACCES;
			return s->failed;
		}
		s->failed = map_ssl_failure(s);
		set_ssl_err(s, "DTLS handshake");
		return s->failed;
	default:
		s->failed = -EPROTO;
		set_ssl_err(s, err == SSL_ERROR_SYSCALL ? "DTLS handshake: send failed" :
							   "DTLS handshake");
		return s->failed;
	}
}

/*
 * The sooner of the library's retransmission and the whole-handshake deadline, so the
 * caller also comes back in time to see -ETIMEDOUT; 0 when there is nothing to wait for.
 */
unsigned dtls_timeout_ms(const struct dtls_session *s)
{
	uint64_t left, el;
	struct timeval tv;

	if (!s || s->done || s->failed)
		return 0;
	left = s->cfg.handshake_timeout_ms;
	if (s->started) {
		el = elapsed_ms(s);
		left = el >= left ? 0 : left - el;
	}
	if (DTLSv1_get_timeout(s->ssl, &tv) > 0) {
		uint64_t t = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;

		if (t < left)
			left = t;
	}
	return left > UINT_MAX ? UINT_MAX : (unsigned)left;
}

const char *dtls_last_error(const struct dtls_session *s)
{
	return s && s->err[0] ? s->err : "no error";
}

/* ---- takeover --------------------------------------------------------------------- */

/*
 * The PRF hash is in the table rather than asked of the library: for suites older than
 * TLS 1.2 (the CBC-SHA ones) SSL_CIPHER_get_handshake_digest answers MD5-SHA1, the
 * TLS 1.0 PRF, while (D)TLS 1.2 runs their PRF on SHA-256.  Taking its answer gives a
 * wrong key block.
 */
struct suite_info {
	uint16_t id;			/* IANA cipher suite number */
	enum dtls_suite suite;
	const char *prf;		/* TLS 1.2 PRF hash (never MD5-SHA1 in 1.2) */
	uint32_t key_len, iv_len, mac_key_len;
};

/* DTLS 0.9 is TLS 1.1 underneath: its PRF is TLS 1.0's, P_MD5 xor P_SHA1. */
#define PRF_TLS10 "MD5-SHA1"

/*
 * iv_len is what the key block holds: the GCM salt, or a CBC IV that (D)TLS 1.2 derives
 * but never uses (every record carries its own).
 */
static const struct suite_info suite_table[] = {
	{ 0x00a8, DTLS_SUITE_AES128_GCM, "SHA256", 16, 4, 0 },
	{ 0x00a9, DTLS_SUITE_AES256_GCM, "SHA384", 32, 4, 0 },
	{ 0x008c, DTLS_SUITE_AES128_CBC_SHA1, "SHA256", 16, 16, 20 },
	{ 0x008d, DTLS_SUITE_AES256_CBC_SHA1, "SHA256", 32, 16, 20 },
	/* CERT mode: ECDHE signed with RSA or ECDSA, the same record protection. */
	{ 0xc02b, DTLS_SUITE_AES128_GCM, "SHA256", 16, 4, 0 },
	{ 0xc02f, DTLS_SUITE_AES128_GCM, "SHA256", 16, 4, 0 },
	{ 0xc02c, DTLS_SUITE_AES256_GCM, "SHA384", 32, 4, 0 },
	{ 0xc030, DTLS_SUITE_AES256_GCM, "SHA384", 32, 4, 0 },
	{ 0xc009, DTLS_SUITE_AES128_CBC_SHA1, "SHA256", 16, 16, 20 },
	{ 0xc013, DTLS_SUITE_AES128_CBC_SHA1, "SHA256", 16, 16, 20 },
	{ 0xc00a, DTLS_SUITE_AES256_CBC_SHA1, "SHA256", 32, 16, 20 },
	{ 0xc014, DTLS_SUITE_AES256_CBC_SHA1, "SHA256", 32, 16, 20 },
	/* RESUME mode's RSA-named suites: the same record protection. */
	{ 0x009c, DTLS_SUITE_AES128_GCM, "SHA256", 16, 4, 0 },
	{ 0x009d, DTLS_SUITE_AES256_GCM, "SHA384", 32, 4, 0 },
	{ 0x002f, DTLS_SUITE_AES128_CBC_SHA1, "SHA256", 16, 16, 20 },
	{ 0x0035, DTLS_SUITE_AES256_CBC_SHA1, "SHA256", 32, 16, 20 },
};

static const struct suite_info *suite_of(SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	uint16_t id;

	if (!c)
		return NULL;
	id = SSL_CIPHER_get_protocol_id(c);
	for (size_t i = 0; i < sizeof(suite_table) / sizeof(suite_table[0]); i++) {
		if (suite_table[i].id == id)
			return &suite_table[i];
	}
	return NULL;
}

/*
 * key_block = PRF(master_secret, "key expansion", server_random || client_random), RFC
 * 5246 §6.3, with OpenSSL's TLS1-PRF KDF.  The session's master key already is the
 * extended master secret when EMS was negotiated (OpenSSL's default), so EMS needs
 * nothing here.  SSL_export_keying_material cannot stand in: it refuses the reserved
 * "key expansion" label and puts the randoms in the other order.
 */
static int derive_key_block(struct dtls_session *s, const char *prf, uint8_t *out,
			    size_t len)
{
	static const char label[] = "key expansion";
	uint8_t master[MASTER_LEN], seed[2 * RANDOM_LEN];
	SSL_SESSION *sess = SSL_get_session(s->ssl);
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf = NULL;
	OSSL_PARAM params[5];
	int ret = -EPROTO;

	if (!sess || SSL_SESSION_get_master_key(sess, master, sizeof(master)) != MASTER_LEN ||
	    SSL_get_server_random(s->ssl, seed, RANDOM_LEN) != RANDOM_LEN ||
	    SSL_get_client_random(s->ssl, seed + RANDOM_LEN, RANDOM_LEN) != RANDOM_LEN) {
		set_err(s, "DTLS export: no master secret or randoms");
		goto out;
	}
	kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx) {
		set_ssl_err(s, "DTLS export: TLS1-PRF");
		goto out;
	}
	/* Repeated seeds are concatenated: label first, then the randoms. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)prf, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master,
						      sizeof(master));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label,
						      sizeof(label) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, len, params) != 1) {
		set_ssl_err(s, "DTLS export: key block");
		goto out;
	}
	ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	crypto_wipe(master, sizeof(master));
	return ret;
}

/*
 * One above the last epoch-1 number the library wrote: the last one itself is a replay
 * the peer drops.  That is 1 after a plain full handshake (our Finished took 0), but a
 * retransmitted Finished takes more, so it comes from the headers seen, never assumed.
 */
static uint64_t next_write_seq8(const struct dtls_session *s)
{
	return s->sent_e1 ? s->last_sent + 1 : EPOCH1;
}

int dtls_export_keys(struct dtls_session *s, struct dtls_keys *out)
{
	uint8_t block[KEY_BLOCK_MAX];
	struct dtls_dir_keys *cw, *sw;
	const struct suite_info *si;
	const uint8_t *p = block;
	const char *prf;
	int ret;

	if (!s || !out || !s->done)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	si = suite_of(s->ssl);
	if (!si)
		return -EOPNOTSUPP;
	switch (SSL_version(s->ssl)) {
	case DTLS1_2_VERSION:
		out->version = 0xfefd;
		prf = si->prf;
		break;
	case DTLS1_BAD_VER:
		/* CBC MtE with an explicit IV, as in 1.2; no GCM, no EtM before 1.2. */
		if (si->suite & DTLS_SUITES_GCM || s->etm)
			return -EOPNOTSUPP;
		out->version = 0x0100;
		prf = PRF_TLS10;
		break;
	default:
		return -EOPNOTSUPP;
	}
	out->suite = si->suite;
	out->key_len = si->key_len;
	out->iv_len = si->iv_len;
	out->mac_key_len = si->mac_key_len;
	out->etm = !(si->suite & DTLS_SUITES_GCM) && s->etm;
	ret = derive_key_block(s, prf,
			       block, 2 * (si->mac_key_len + si->key_len + si->iv_len));
	if (ret) {
		crypto_wipe(out, sizeof(*out));
		return ret;
	}
	/* RFC 5246 §6.3 order: client MAC, server MAC, client key, server key, IVs. */
	cw = s->cfg.role == DTLS_ROLE_CLIENT ? &out->write : &out->read;
	sw = s->cfg.role == DTLS_ROLE_CLIENT ? &out->read : &out->write;
	memcpy(cw->mac_key, p, si->mac_key_len);
	p += si->mac_key_len;
	memcpy(sw->mac_key, p, si->mac_key_len);
	p += si->mac_key_len;
	memcpy(cw->key, p, si->key_len);
	p += si->key_len;
	memcpy(sw->key, p, si->key_len);
	p += si->key_len;
	memcpy(cw->iv, p, si->iv_len);
	p += si->iv_len;
	memcpy(sw->iv, p, si->iv_len);
	crypto_wipe(block, sizeof(block));

	out->write.seq8 = next_write_seq8(s);
	out->read.seq8 = s->recv_e1 ? s->max_recv + 1 : EPOCH1;
	/* From now on our layer owns these numbers: the library must not reuse them. */
	if (!s->guard_on || out->write.seq8 > s->guard_seq8)
		s->guard_seq8 = out->write.seq8;
	s->guard_on = true;
	return 0;
}

/*
 * Lets the library read everything queued.  Application data it decrypts is dropped:
 * once our layer took over, only it may deliver data.
 */
static int drain(struct dtls_session *s)
{
	uint8_t scratch[2048];
	int n = 0, err = SSL_ERROR_NONE;

	ERR_clear_error();
	for (int i = 0; i < DRAIN_MAX; i++) {
		n = SSL_read(s->ssl, scratch, sizeof(scratch));
		if (n > 0) {
			commit_recv(s, CT_APP_DATA);
			continue;
		}
		err = SSL_get_error(s->ssl, n);
		if (err != SSL_ERROR_WANT_READ || !dtls_queue_count(&s->in))
			break;
	}
	crypto_wipe(scratch, sizeof(scratch));
	if (SSL_get_shutdown(s->ssl) & SSL_RECEIVED_SHUTDOWN || err == SSL_ERROR_ZERO_RETURN) {
		s->closed = true;
		set_err(s, "DTLS peer sent close_notify");
		return -ECONNRESET;
	}
	if (n > 0 || err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return 0;
	}
	set_ssl_err(s, "DTLS read");
	if (s->peer_fatal) {
		s->closed = true;
		return -ECONNRESET;
	}
	return -EPROTO;
}

/*
 * Limits (OpenSSL cannot sync its write number): the library may still answer what it
 * reads here, e.g. retransmit its final flight when the peer repeats its own.  Records
 * it writes in epoch 0 go out; an epoch-1 record goes out only if its number is at or
 * above *write_seq8 (nothing of ours used it yet), and *write_seq8 then moves past it.
 * Otherwise the BIO drops that datagram as if lost: a peer that really missed our final
 * flight then fails its handshake.  Hence the side that sends the last flight of the
 * handshake (the server in a full one, the client in a resumption) is not safe to take
 * over at once: it should hold its own records until the peer's first record arrived,
 * which proves the peer is done.  The client of a full handshake is safe.
 */
int dtls_input_record(struct dtls_session *s, const void *buf, size_t len,
		      uint64_t *write_seq8)
{
	uint64_t next;
	int ret;

	if (!s || !write_seq8 || !s->done)
		return -EINVAL;
	if (s->closed)
		return -ECONNRESET;
	ret = dtls_input(s, buf, len);
	if (ret)
		return ret;
	s->guard_on = true;
	if (*write_seq8 > s->guard_seq8)
		s->guard_seq8 = *write_seq8;
	ret = drain(s);
	next = next_write_seq8(s);
	if (next > *write_seq8)
		*write_seq8 = next;
	if (next > s->guard_seq8)
		s->guard_seq8 = next;
	return ret;
}

/*
 * A close_notify from the library would reuse a number: the caller sends its own.
 * (OpenSSL's GCM explicit nonce is a counter from a random start, not seq8, so the
 * nonce would likely not repeat; but the peer drops the record as a replay.)
 */
int dtls_close(struct dtls_session *s, uint64_t *write_seq8)
{
	if (!s || !write_seq8 || !s->done)
		return -EINVAL;
	return -EOPNOTSUPP;
}

/* ---- the library's own record path ------------------------------------------------ */

int dtls_lib_send(struct dtls_session *s, const void *buf, size_t len)
{
	int n, err;

	if (!s || (!buf && len) || !s->done)
		return -EINVAL;
	if (len > 16384)
		return -EMSGSIZE;
	if (!len)
		return 0;		/* SSL_write treats 0 bytes as an error */
	ERR_clear_error();
	n = SSL_write(s->ssl, buf, (int)len);
	if (n > 0)
		return 0;
	err = SSL_get_error(s->ssl, n);
	if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		return -EAGAIN;
	}
	set_ssl_err(s, "DTLS write");
	return -EPROTO;
}

ssize_t dtls_lib_recv(struct dtls_session *s, void *buf, size_t len)
{
	int n, err;

	if (!s || !buf || !s->done)
		return -EINVAL;
	if (s->closed)
		return -ECONNRESET;
	ERR_clear_error();
	/*
	 * Bad GCM or MtE records are dropped inside SSL_read, which goes on to the next
	 * datagram.  With EtM, OpenSSL 3.0 takes a bad MAC as fatal instead: it sends an
	 * alert and the session is dead, so one forged datagram given to this path ends an
	 * EtM session.  (After the takeover our layer checks application data itself, but
	 * what it hands on through dtls_input_record, alerts and handshake records, meets
	 * the same rule.)
	 */
	n = SSL_read(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0) {
		commit_recv(s, CT_APP_DATA);
		return n;
	}
	err = SSL_get_error(s->ssl, n);
	if (err == SSL_ERROR_ZERO_RETURN || SSL_get_shutdown(s->ssl) & SSL_RECEIVED_SHUTDOWN) {
		s->closed = true;
		set_err(s, "DTLS peer sent close_notify");
		return -ECONNRESET;
	}
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return -EAGAIN;
	}
	set_ssl_err(s, "DTLS read");
	if (s->peer_fatal) {
		s->closed = true;
		return -ECONNRESET;
	}
	return -EPROTO;
}
