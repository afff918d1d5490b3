/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A never-blocking write queue in front of a TLS connection: see stream-queue.h. */
#include "config.h"

#include "src/cli/stream-queue.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/types.h>

#include "crypto/tls.h"
#include "src/zcvpn.h"

enum { CHUNK = 16384 };	/* one TLS record's worth per write */

int stream_queue_flush(struct stream_queue *q, struct tls_conn *c)
{
	while (q->len) {
		/* After -EAGAIN the library wants the very same bytes and length again. */
		size_t n = q->inflight ? q->inflight : (q->len < CHUNK ? q->len : CHUNK);
		ssize_t w = tls_write_nowait(c, q->buf + q->head, n);

		if (w == -EAGAIN) {
			q->inflight = n;
			return 0;
		}
		if (w < 0)
			return (int)w;
		q->inflight = 0;
		q->head += (size_t)w;
		q->len -= (size_t)w;
	}
	q->head = 0;
	return 0;
}

int stream_queue_write(struct stream_queue *q, struct tls_conn *c, const void *buf, size_t len)
{
	if (len > sizeof(q->buf) - q->len)
		return -ENOBUFS;
	/* Room at the end, or make it by moving what waits to the front. */
	if (q->head + q->len + len > sizeof(q->buf)) {
		if (q->inflight)
			return -ENOBUFS;	/* the bytes the library holds must stay put */
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
	}
	memcpy(q->buf + q->head + q->len, buf, len);
	q->len += len;
	return stream_queue_flush(q, c);
}

int stream_queue_drain(struct stream_queue *q, struct tls_conn *c, unsigned timeout_ms)
{
	/* Bounded by polls of at most 10 ms each, timeout_ms in all. */
	for (unsigned waited = 0; q->len; waited += 10) {
		struct pollfd pfd = { .fd = tls_fd(c), .events = POLLOUT };
		int ret = stream_queue_flush(q, c);

		if (ret)
			return ret;
		if (!q->len)
			break;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		poll(&pfd, 1, 10);
	}
	return 0;
}

int stream_pump(struct tls_conn *c, struct zcvpn_engine *e)
{
	uint8_t buf[16384];

	do {
		ssize_t n = tls_read(c, buf, sizeof(buf), 0);

		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -ECONNRESET;
		zcvpn_engine_stream_input(e, buf, (size_t)n);
	} while (tls_pending(c));
	return 0;
}

bool stream_queue_waiting(const struct stream_queue *q)
{
	return q->len > 0;
}

void stream_queue_reset(struct stream_queue *q)
{
	q->head = q->len = q->inflight = 0;
}
