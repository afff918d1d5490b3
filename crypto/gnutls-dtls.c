/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DTLS 1.2 sessions through GnuTLS: PSK handshake over the engine's datagrams, then the
 * record protection state for our own record layer (gnutls_record_get_state), and the
 * write-number sync (gnutls_record_set_state) that lets the library send an alert after
 * the takeover without reusing a GCM nonce.
 *
 * What the takeover relies on (checked by check_dtls_record against this library):
 * gnutls_record_get_state hands out the final keys (after EtM and the extended master
 * secret, both of which GnuTLS negotiates by default) and an 8-byte sequence number that
 * already carries the epoch and is the *next* one to use, so our layer starts with it
 * unchanged.  The library's own counter stands still while our layer sends; it moves
 * only by gnutls_record_set_state or by the library writing.
 *
 * CERT mode takes its certificate credentials, shared by every session of a config,
 * from crypto/gnutls-dtls-cert.c; a client judges the server's chain in the handshake
 * (gnutls_session_set_verify_function), so a refused server fails dtls_handshake.
 *
 * RESUME mode (AnyConnect legacy) uses gnutls_session_set_premaster, GnuTLS's hook for
 * exactly this (OpenConnect on the client side, ocserv on the server side): both roles
 * install the master secret and session ID as if a session had been cached, and the
 * abbreviated handshake derives the keys from it.
 *
 * The session is non-blocking: pull reads only datagrams queued by dtls_input, and
 * pull_timeout never waits, so the caller's event loop is the only clock.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>

#include "crypto/crypto.h"
#include "crypto/dtls-queue.h"
#include "crypto/dtls.h"
#include "crypto/gnutls-dtls-cert.h"
#include "src/util/byteorder.h"

struct dtls_session {
	gnutls_session_t tls;
	gnutls_psk_client_credentials_t client_cred;
	gnutls_psk_server_credentials_t server_cred;
	struct dtls_config cfg;
	char identity[DTLS_MAX_IDENTITY_LEN + 1];
	bool done;
	bool closed;
	bool failed;			/* we refused a handshake (resumption, certificate) */
	int last_err;			/* GnuTLS error code of the last failure */
	const char *err_msg;		/* our own reason, before GnuTLS's */
	char err_buf[128];		/* for err_msg, when it is made up */
	struct dtls_queue in;		/* datagrams fed by dtls_input */
};

/* ---- transport -------------------------------------------------------------------- */

static ssize_t push_cb(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct dtls_session *s = ptr;
	int ret = s->cfg.send(s->cfg.send_ctx, buf, len);

	if (ret < 0) {
		gnutls_transport_set_errno(s->tls, ret == -EAGAIN ? EAGAIN : EIO);
		return -1;
	}
	return (ssize_t)len;
}

/* One queued datagram per call: DTLS needs datagram boundaries kept. */
static ssize_t pull_cb(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct dtls_session *s = ptr;
	ssize_t n = dtls_queue_pop(&s->in, buf, len);	/* cut to len, as recv would */

	if (n < 0) {
		gnutls_transport_set_errno(s->tls, EAGAIN);
		return -1;
	}
	return n;
}

/* Never waits: the caller feeds datagrams and calls again; GnuTLS keeps its own timers. */
static int pull_timeout_cb(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct dtls_session *s = ptr;

	(void)ms;
	return dtls_queue_count(&s->in) ? 1 : 0;
}

int dtls_input(struct dtls_session *s, const void *buf, size_t len)
{
	if (!s || (!buf && len))
		return -EINVAL;
	return dtls_queue_push(&s->in, buf, len);
}

/* ---- setup ------------------------------------------------------------------------ */

/*
 * One key exchange (PSK, or ECDHE signed by an X.509 certificate), DTLS 1.2 only, and
 * only the ciphers our record layer can take over, so the library never negotiates
 * something we would have to leave to its copying path.
 */
static int build_priority(enum dtls_mode mode, unsigned suites, char *buf, size_t size)
{
	bool cbc = suites & (DTLS_SUITE_AES128_CBC_SHA1 | DTLS_SUITE_AES256_CBC_SHA1);
	const char *kx = mode == DTLS_MODE_CERT ?
			 "+ECDHE-RSA:+ECDHE-ECDSA:+CTYPE-X509:+GROUP-EC-ALL" :
			 "+PSK:+GROUP-ALL";
	int n;

	n = snprintf(buf, size,
		     "NONE:+VERS-DTLS1.2:%s:+SIGN-ALL:+COMP-NULL:+AEAD%s%s%s%s%s", kx,
		     cbc ? ":+SHA1" : "",
		     suites & DTLS_SUITE_AES256_GCM ? ":+AES-256-GCM" : "",
		     suites & DTLS_SUITE_AES128_GCM ? ":+AES-128-GCM" : "",
		     suites & DTLS_SUITE_AES256_CBC_SHA1 ? ":+AES-256-CBC" : "",
		     suites & DTLS_SUITE_AES128_CBC_SHA1 ? ":+AES-128-CBC" : "");
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/*
 * RESUME: one version, one suite, RSA as the nominal key exchange (it never runs: the
 * handshake is abbreviated).  %COMPAT as OpenConnect: Cisco's servers are old.
 */
static int build_resume_priority(const struct dtls_config *cfg, char *buf, size_t size)
{
	const char *cipher, *mac;
	int n;

	switch (cfg->suites) {
	case DTLS_SUITE_AES128_GCM:
		cipher = "AES-128-GCM";
		break;
	case DTLS_SUITE_AES256_GCM:
		cipher = "AES-256-GCM";
		break;
	case DTLS_SUITE_AES128_CBC_SHA1:
		cipher = "AES-128-CBC";
		break;
	case DTLS_SUITE_AES256_CBC_SHA1:
		cipher = "AES-256-CBC";
		break;
	default:
		return -EINVAL;
	}
	mac = cfg->suites & DTLS_SUITES_GCM ? "AEAD" : "SHA1";
	n = snprintf(buf, size, "NONE:+VERS-%s:+COMP-NULL:+%s:+%s:+RSA:+SIGN-ALL:%%COMPAT",
		     cfg->version == DTLS_VER_0_9 ? "DTLS0.9" : "DTLS1.2", cipher, mac);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

static int set_premaster(struct dtls_session *s)
{
	/* Indexed by the suite's bit number in enum dtls_suite. */
	static const gnutls_cipher_algorithm_t ciphers[] = {
		GNUTLS_CIPHER_AES_128_GCM, GNUTLS_CIPHER_AES_256_GCM,
		GNUTLS_CIPHER_AES_128_CBC, GNUTLS_CIPHER_AES_256_CBC,
	};
	gnutls_datum_t master = { s->cfg.master_secret, DTLS_MASTER_SECRET_LEN };
	gnutls_datum_t sid = { s->cfg.session_id, s->cfg.session_id_len };
	unsigned i = (unsigned)__builtin_ctz(s->cfg.suites);	/* one bit: checked */
	bool gcm = s->cfg.suites & DTLS_SUITES_GCM;

	return gnutls_session_set_premaster(s->tls,
			s->cfg.role == DTLS_ROLE_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER,
			s->cfg.version == DTLS_VER_0_9 ? GNUTLS_DTLS0_9 : GNUTLS_DTLS1_2,
			GNUTLS_KX_RSA, ciphers[i], gcm ? GNUTLS_MAC_AEAD : GNUTLS_MAC_SHA1,
			GNUTLS_COMP_NULL, &master, &sid);
}

/* GnuTLS wants the key in memory it will gnutls_free. */
static int server_psk_cb(gnutls_session_t tls, const char *username, gnutls_datum_t *key)
{
	struct dtls_session *s = gnutls_session_get_ptr(tls);

	if (s->cfg.psk_identity && strcmp(username, s->identity))
		return -1;
	key->data = gnutls_malloc(DTLS_PSK_LEN);
	if (!key->data)
		return -1;
	memcpy(key->data, s->cfg.psk, DTLS_PSK_LEN);
	key->size = DTLS_PSK_LEN;
	return 0;
}

static int set_credentials(struct dtls_session *s)
{
	gnutls_datum_t key = { s->cfg.psk, DTLS_PSK_LEN };
	int ret;

	if (s->cfg.role == DTLS_ROLE_CLIENT) {
		ret = gnutls_psk_allocate_client_credentials(&s->client_cred);
		if (ret)
			return ret;
		ret = gnutls_psk_set_client_credentials(s->client_cred, s->identity, &key,
							GNUTLS_PSK_KEY_RAW);
		if (ret)
			return ret;
		return gnutls_credentials_set(s->tls, GNUTLS_CRD_PSK, s->client_cred);
	}
	ret = gnutls_psk_allocate_server_credentials(&s->server_cred);
	if (ret)
		return ret;
	gnutls_psk_set_server_credentials_function(s->server_cred, server_psk_cb);
	return gnutls_credentials_set(s->tls, GNUTLS_CRD_PSK, s->server_cred);
}

/*
 * A client's check of the server, run by GnuTLS once the server's Certificate is in and
 * before the handshake may finish.  Non-zero fails the handshake with a certificate
 * error; dtls_handshake then sends the alert that tells the server.
 */
static int verify_cb(gnutls_session_t tls)
{
	struct dtls_session *s = gnutls_session_get_ptr(tls);
	enum dtls_cert_verdict v = dtls_cert_verify(tls, s->cfg.creds);

	if (v == DTLS_CERT_OK)
		return 0;
	snprintf(s->err_buf, sizeof(s->err_buf), "DTLS server certificate refused: %s",
		 dtls_cert_verdict_str(v));
	s->err_msg = s->err_buf;
	s->failed = true;
	return GNUTLS_E_CERTIFICATE_ERROR;
}

static int cert_setup(struct dtls_session *s)
{
	int ret = dtls_cert_session_setup(s->tls, s->cfg.creds);

	if (!ret && s->cfg.role == DTLS_ROLE_CLIENT)
		gnutls_session_set_verify_function(s->tls, verify_cb);
	return ret;
}

/*
 * RESUME: no extensions, as OpenConnect: Cisco's DTLS 0.9 has none, and without them
 * neither EtM nor the extended master secret can change the keys the master secret
 * implies.
 */
static int resume_setup(struct dtls_session *s)
{
	char prio[256];
	int ret;

	if (build_resume_priority(&s->cfg, prio, sizeof(prio)))
		return GNUTLS_E_INVALID_REQUEST;
	ret = gnutls_priority_set_direct(s->tls, prio, NULL);
	if (ret)
		return ret;
	/* As OpenConnect: old Cisco peers reject CBC records padded beyond the minimum. */
	gnutls_record_disable_padding(s->tls);
	return set_premaster(s);
}

static int session_setup(struct dtls_session *s)
{
	unsigned flags = GNUTLS_DATAGRAM | GNUTLS_NONBLOCK;
	bool resume = s->cfg.mode == DTLS_MODE_RESUME;
	char prio[256];
	int ret;

	flags |= s->cfg.role == DTLS_ROLE_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER;
	if (resume)
		flags |= GNUTLS_NO_EXTENSIONS;
	ret = gnutls_init(&s->tls, flags);
	if (ret)
		return ret;
	gnutls_session_set_ptr(s->tls, s);
	if (resume) {
		ret = resume_setup(s);
		if (ret)
			return ret;
		goto transport;
	}
	if (build_priority(s->cfg.mode, s->cfg.suites, prio, sizeof(prio)))
		return GNUTLS_E_INVALID_REQUEST;
	/* GnuTLS 3.7 has no init flag for it, only the priority keyword. */
	if (s->cfg.no_etm && strlen(prio) + sizeof(":%NO_ETM") > sizeof(prio))
		return GNUTLS_E_INVALID_REQUEST;
	if (s->cfg.no_etm)
		strcat(prio, ":%NO_ETM");	/* else EtM, on by default for CBC */
	ret = gnutls_priority_set_direct(s->tls, prio, NULL);
	if (ret)
		return ret;
	if (s->cfg.mode == DTLS_MODE_CERT)
		ret = cert_setup(s);
	else
		ret = set_credentials(s);
	if (ret)
		return ret;
	if (s->cfg.role == DTLS_ROLE_CLIENT && s->cfg.session_id_len) {
		gnutls_datum_t sid = { s->cfg.session_id, s->cfg.session_id_len };

		ret = gnutls_session_set_id(s->tls, &sid);
		if (ret)
			return ret;
	}
transport:
	gnutls_transport_set_ptr(s->tls, s);
	gnutls_transport_set_push_function(s->tls, push_cb);
	gnutls_transport_set_pull_function(s->tls, pull_cb);
	gnutls_transport_set_pull_timeout_function(s->tls, pull_timeout_cb);
	gnutls_dtls_set_mtu(s->tls, s->cfg.mtu);
	gnutls_dtls_set_timeouts(s->tls, s->cfg.retrans_ms, s->cfg.handshake_timeout_ms);
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
	ret = session_setup(s);
	if (ret) {
		s->last_err = ret;
		dtls_session_free(s);
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
	}
	*out = s;
	return 0;
}

void dtls_session_free(struct dtls_session *s)
{
	if (!s)
		return;
	if (s->tls)
		gnutls_deinit(s->tls);
	if (s->client_cred)
		gnutls_psk_free_client_credentials(s->client_cred);
	if (s->server_cred)
		gnutls_psk_free_server_credentials(s->server_cred);
	dtls_queue_clear(&s->in);
	crypto_wipe(s, sizeof(*s));
	free(s);
}

/* ---- handshake -------------------------------------------------------------------- */

static int map_error(struct dtls_session *s, int err)
{
	switch (err) {
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_INTERRUPTED:
		return -EAGAIN;
	case GNUTLS_E_TIMEDOUT:
		s->last_err = err;
		return -ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
		s->last_err = err;
		return -ECONNRESET;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		s->last_err = err;
		return -EACCES;
	default:
		s->last_err = err;
		return -EPROTO;
	}
}

int dtls_handshake(struct dtls_session *s)
{
	int ret;

	if (!s)
		return -EINVAL;
	if (s->done)
		return 0;
	if (s->failed)
		return -EACCES;
	do {
		ret = gnutls_handshake(s->tls);
		/* A warning alert (say, no_renegotiation) is not a failure: go on. */
	} while (ret < 0 && !gnutls_error_is_fatal(ret) && ret != GNUTLS_E_AGAIN &&
		 ret != GNUTLS_E_INTERRUPTED);
	if (ret == 0 && s->cfg.mode == DTLS_MODE_RESUME && !gnutls_session_is_resumed(s->tls)) {
		/*
		 * A full handshake where we offered only the session to resume: the peer
		 * does not know the master secret, so it is not who CSTP talked to.
		 */
		s->err_msg = "DTLS peer did not resume the session (MITM?)";
		gnutls_alert_send(s->tls, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
		s->failed = true;
		return -EACCES;
	}
	if (ret == 0) {
		s->done = true;
		return 0;
	}
	/* Tell the peer why, so it fails now instead of at its handshake timeout. */
	if (gnutls_error_is_fatal(ret) && ret != GNUTLS_E_FATAL_ALERT_RECEIVED)
		gnutls_alert_send_appropriate(s->tls, ret);
	return map_error(s, ret);
}

unsigned dtls_timeout_ms(const struct dtls_session *s)
{
	return s ? gnutls_dtls_get_timeout(s->tls) : 0;
}

const char *dtls_last_error(const struct dtls_session *s)
{
	if (s && s->err_msg)
		return s->err_msg;
	return s && s->last_err ? gnutls_strerror(s->last_err) : "no error";
}

/* ---- takeover --------------------------------------------------------------------- */

static int suite_of(gnutls_session_t tls, struct dtls_keys *k)
{
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(tls);
	gnutls_mac_algorithm_t m = gnutls_mac_get(tls);

	switch (c) {
	case GNUTLS_CIPHER_AES_128_GCM:
		k->suite = DTLS_SUITE_AES128_GCM;
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		k->suite = DTLS_SUITE_AES256_GCM;
		break;
	case GNUTLS_CIPHER_AES_128_CBC:
		k->suite = DTLS_SUITE_AES128_CBC_SHA1;
		break;
	case GNUTLS_CIPHER_AES_256_CBC:
		k->suite = DTLS_SUITE_AES256_CBC_SHA1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!(k->suite & DTLS_SUITES_GCM) && m != GNUTLS_MAC_SHA1)
		return -EOPNOTSUPP;
	k->key_len = gnutls_cipher_get_key_size(c);
	k->iv_len = k->suite & DTLS_SUITES_GCM ? 4 : 16;
	k->mac_key_len = k->suite & DTLS_SUITES_GCM ? 0 : 20;
	k->etm = !(k->suite & DTLS_SUITES_GCM) && gnutls_session_etm_status(tls);
	switch (gnutls_protocol_get_version(tls)) {
	case GNUTLS_DTLS1_2:
		k->version = 0xfefd;
		break;
	case GNUTLS_DTLS0_9:
		/* Same CBC MtE record with an explicit IV, under its own version. */
		if (k->suite & DTLS_SUITES_GCM || k->etm)
			return -EOPNOTSUPP;
		k->version = 0x0100;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The datums point into the session: copy them, checking the sizes we rely on.  GCM
 * gives a 4-byte salt and no MAC key; CBC-SHA1 a 20-byte MAC key and a 16-byte IV that
 * DTLS 1.2 never uses (each record carries its own).
 *
 * The sequence number is the next to use, as is: one below it is a duplicate the peer
 * drops.  It is 1 in epoch 1 after a plain full handshake (our Finished took 0), but
 * more when the last flight was retransmitted, so it is always read, never assumed.
 */
static int export_dir(struct dtls_session *s, unsigned read, const struct dtls_keys *k,
		      struct dtls_dir_keys *d)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	int ret;

	ret = gnutls_record_get_state(s->tls, read, &mac, &iv, &key, seq);
	if (ret) {
		s->last_err = ret;
		return -EPROTO;
	}
	if (key.size != k->key_len || iv.size < k->iv_len || mac.size != k->mac_key_len)
		return -EPROTO;
	memcpy(d->key, key.data, key.size);
	memcpy(d->iv, iv.data, k->iv_len);
	if (mac.size)
		memcpy(d->mac_key, mac.data, mac.size);
	d->seq8 = get_be64(seq);
	return 0;
}

int dtls_export_keys(struct dtls_session *s, struct dtls_keys *out)
{
	int ret;

	if (!s || !out || !s->done)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ret = suite_of(s->tls, out);
	if (!ret)
		ret = export_dir(s, 1, out, &out->read);
	if (!ret)
		ret = export_dir(s, 0, out, &out->write);
	if (ret)
		crypto_wipe(out, sizeof(*out));
	return ret;
}

/*
 * Moves the library's write number (epoch || seq) to the record layer's next one.
 * Needed before the library writes anything after the takeover: GnuTLS makes the GCM
 * explicit nonce from seq8, so an alert or close_notify under a number our layer
 * already used would repeat a nonce under the same key, which breaks GCM outright.
 */
static int set_write_seq(struct dtls_session *s, uint64_t seq8)
{
	unsigned char seq[8];
	int ret;

	put_be64(seq, seq8);
	ret = gnutls_record_set_state(s->tls, 0, seq);
	if (ret) {
		s->last_err = ret;
		return -EPROTO;
	}
	return 0;
}

/* The library's next write number, after whatever it sent. */
static int get_write_seq(struct dtls_session *s, uint64_t *seq8)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	int ret;

	ret = gnutls_record_get_state(s->tls, 0, &mac, &iv, &key, seq);
	if (ret) {
		s->last_err = ret;
		return -EPROTO;
	}
	*seq8 = get_be64(seq);
	return 0;
}

/* Runs fn with the library's write number synced to ours, and reads back what it used. */
static int synced(struct dtls_session *s, uint64_t *write_seq8, int (*fn)(struct dtls_session *))
{
	int ret, sync;

	ret = set_write_seq(s, *write_seq8);
	if (ret)
		return ret;
	ret = fn(s);
	sync = get_write_seq(s, write_seq8);
	return ret ? ret : sync;
}

/*
 * Lets the library read everything queued.  Application data it decrypts is dropped:
 * once our layer took over, only it may deliver data (and the library saw it first).
 */
static int drain(struct dtls_session *s)
{
	uint8_t scratch[2048];
	ssize_t n;

	/* Each call consumes a queued datagram or a record GnuTLS buffered from one. */
	do {
		n = gnutls_record_recv(s->tls, scratch, sizeof(scratch));
		if (n == 0) {
			s->closed = true;
			break;
		}
		if (n < 0 && gnutls_error_is_fatal((int)n))
			break;
	} while (n > 0 || dtls_queue_count(&s->in) ||
		 n == GNUTLS_E_WARNING_ALERT_RECEIVED);
	crypto_wipe(scratch, sizeof(scratch));
	if (n == 0)
		return -ECONNRESET;
	if (n < 0 && gnutls_error_is_fatal((int)n)) {
		s->last_err = (int)n;
		return n == GNUTLS_E_FATAL_ALERT_RECEIVED ? -ECONNRESET : -EPROTO;
	}
	return 0;
}

int dtls_input_record(struct dtls_session *s, const void *buf, size_t len,
		      uint64_t *write_seq8)
{
	int ret;

	if (!s || !write_seq8 || !s->done)
		return -EINVAL;
	if (s->closed)
		return -ECONNRESET;
	ret = dtls_input(s, buf, len);
	if (ret)
		return ret;
	return synced(s, write_seq8, drain);
}

static int send_bye(struct dtls_session *s)
{
	int ret = gnutls_bye(s->tls, GNUTLS_SHUT_WR);

	return ret ? map_error(s, ret) : 0;
}

int dtls_close(struct dtls_session *s, uint64_t *write_seq8)
{
	if (!s || !write_seq8 || !s->done)
		return -EINVAL;
	return synced(s, write_seq8, send_bye);
}

/* ---- the library's own record path ------------------------------------------------ */

int dtls_lib_send(struct dtls_session *s, const void *buf, size_t len)
{
	ssize_t n;

	if (!s || (!buf && len) || !s->done)
		return -EINVAL;
	n = gnutls_record_send(s->tls, buf, len);
	if (n == GNUTLS_E_LARGE_PACKET)
		return -EMSGSIZE;
	if (n < 0)
		return map_error(s, (int)n);
	return 0;
}

ssize_t dtls_lib_recv(struct dtls_session *s, void *buf, size_t len)
{
	ssize_t n;

	if (!s || !buf || !s->done)
		return -EINVAL;
	if (s->closed)
		return -ECONNRESET;
	do {
		n = gnutls_record_recv(s->tls, buf, len);
		/* A bad record is discarded and reported as E_AGAIN; try the next queued one. */
	} while (n == GNUTLS_E_AGAIN && dtls_queue_count(&s->in));
	if (n == 0) {
		s->closed = true;
		return -ECONNRESET;
	}
	if (n < 0 && !gnutls_error_is_fatal((int)n))
		return -EAGAIN;
	return n < 0 ? map_error(s, (int)n) : n;
}
