/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library-independent parts of a DTLS session (crypto/dtls.h), shared by both
 * backends so the contract is written once: the input queue, where datagrams fed by
 * dtls_input wait until the library's read callback takes them (one per call, because
 * DTLS needs the datagram boundaries kept), and the checks and defaults of a
 * dtls_config.  Internal to the backends; callers use crypto/dtls.h.
 */
#ifndef ZCVPN_CRYPTO_DTLS_QUEUE_H
#define ZCVPN_CRYPTO_DTLS_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/dtls.h"

struct dtls_dgram {
	uint8_t *buf;
	size_t len;
};

/* A ring of DTLS_INPUT_SLOTS copies, oldest at q[head].  All zero is an empty queue. */
struct dtls_queue {
	struct dtls_dgram q[DTLS_INPUT_SLOTS];
	unsigned head, count;
};

/*
 * Queues a copy of buf.  0 (an empty datagram is dropped: a library would read the 0
 * as end of stream), -EMSGSIZE above DTLS_MAX_DATAGRAM, -ENOBUFS when every slot is
 * taken, -ENOMEM.  buf must be valid when len is not 0.
 */
int dtls_queue_push(struct dtls_queue *q, const void *buf, size_t len);

/*
 * Moves the oldest datagram into buf and frees it: the count copied, cut to len as
 * recv() would cut it, or -EAGAIN when nothing waits.
 */
ssize_t dtls_queue_pop(struct dtls_queue *q, void *buf, size_t len);

/* Length of the oldest datagram, 0 when nothing waits. */
size_t dtls_queue_peek_len(const struct dtls_queue *q);

static inline unsigned dtls_queue_count(const struct dtls_queue *q)
{
	return q->count;
}

/* Frees every queued copy; the queue is empty and usable afterwards. */
void dtls_queue_clear(struct dtls_queue *q);

/*
 * The dtls_config checks dtls_session_new makes before any library call: 0, or -EINVAL
 * for a config no backend can run (see dtls_session_new in crypto/dtls.h).
 */
int dtls_config_check(const struct dtls_config *cfg);

/*
 * Takes a checked config into a session: copies it to dst, fills in the fields it may
 * leave 0 (suites, MTU, timers), and copies the PSK identity into the session's own
 * buffer, since the caller's string need not outlive dtls_session_new.
 */
void dtls_config_adopt(struct dtls_config *dst, char identity[DTLS_MAX_IDENTITY_LEN + 1],
		       const struct dtls_config *src);

#endif /* ZCVPN_CRYPTO_DTLS_QUEUE_H */
