/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS input queue and config checks both backends share (crypto/dtls-queue.h).
 * The queue only copies bytes: what a datagram means is the library's business.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dtls-cert.h"
#include "crypto/dtls-queue.h"

/* ---- the input queue -------------------------------------------------------------- */

int dtls_queue_push(struct dtls_queue *q, const void *buf, size_t len)
{
	struct dtls_dgram *d;

	if (len > DTLS_MAX_DATAGRAM)
		return -EMSGSIZE;
	/* An empty datagram carries nothing, but a read returning 0 would look like EOF. */
	if (!len)
		return 0;
	if (q->count == DTLS_INPUT_SLOTS)
		return -ENOBUFS;
	d = &q->q[(q->head + q->count) % DTLS_INPUT_SLOTS];
	d->buf = malloc(len);
	if (!d->buf)
		return -ENOMEM;
	memcpy(d->buf, buf, len);
	d->len = len;
	q->count++;
	return 0;
}

/* Frees the oldest datagram; the caller has checked there is one. */
static void drop_head(struct dtls_queue *q)
{
	struct dtls_dgram *d = &q->q[q->head];

	free(d->buf);
	d->buf = NULL;
	d->len = 0;
	q->head = (q->head + 1) % DTLS_INPUT_SLOTS;
	q->count--;
}

ssize_t dtls_queue_pop(struct dtls_queue *q, void *buf, size_t len)
{
	const struct dtls_dgram *d;
	size_t n;

	if (!q->count)
		return -EAGAIN;
	d = &q->q[q->head];
	n = d->len < len ? d->len : len;	/* a longer datagram is truncated, as recv would */
	memcpy(buf, d->buf, n);
	drop_head(q);
	return (ssize_t)n;
}

size_t dtls_queue_peek_len(const struct dtls_queue *q)
{
	return q->count ? q->q[q->head].len : 0;
}

void dtls_queue_clear(struct dtls_queue *q)
{
	while (q->count)
		drop_head(q);
}

/* ---- the config ------------------------------------------------------------------- */

int dtls_config_check(const struct dtls_config *cfg)
{
	if (!cfg->send || (cfg->suites & ~(unsigned)DTLS_SUITES_ALL))
		return -EINVAL;
	if (cfg->role != DTLS_ROLE_CLIENT && cfg->role != DTLS_ROLE_SERVER)
		return -EINVAL;
	if (cfg->mode == DTLS_MODE_RESUME) {
		/* The server named one suite; the session ID is what both look up. */
		if (!cfg->suites || cfg->suites & (cfg->suites - 1) || !cfg->session_id_len ||
		    cfg->session_id_len > DTLS_MAX_SESSION_ID_LEN)
			return -EINVAL;
		if (cfg->version == DTLS_VER_0_9 && cfg->suites & DTLS_SUITES_GCM)
			return -EINVAL;
		return cfg->version == DTLS_VER_1_2 || cfg->version == DTLS_VER_0_9 ? 0 : -EINVAL;
	}
	if (cfg->mode == DTLS_MODE_CERT) {
		/* A session ID is for PSK (AnyConnect's App-ID) and RESUME only. */
		if (!cfg->creds || dtls_credentials_params(cfg->creds)->role != cfg->role ||
		    cfg->session_id_len)
			return -EINVAL;
		return 0;
	}
	if (cfg->mode != DTLS_MODE_PSK)
		return -EINVAL;
	if (cfg->role == DTLS_ROLE_CLIENT && !cfg->psk_identity)
		return -EINVAL;
	if (cfg->psk_identity && strlen(cfg->psk_identity) > DTLS_MAX_IDENTITY_LEN)
		return -EINVAL;
	if (cfg->session_id_len > DTLS_MAX_SESSION_ID_LEN)
		return -EINVAL;
	return 0;
}

void dtls_config_adopt(struct dtls_config *dst, char identity[DTLS_MAX_IDENTITY_LEN + 1],
		       const struct dtls_config *src)
{
	*dst = *src;
	if (!dst->suites)
		dst->suites = DTLS_SUITES_GCM;
	if (!dst->mtu)
		dst->mtu = DTLS_DEFAULT_MTU;
	if (!dst->retrans_ms)
		dst->retrans_ms = DTLS_DEFAULT_RETRANS_MS;
	if (!dst->handshake_timeout_ms)
		dst->handshake_timeout_ms = DTLS_DEFAULT_HANDSHAKE_MS;
	/* dtls_config_check has bounded its length. */
	if (src->psk_identity)
		strcpy(identity, src->psk_identity);
}
