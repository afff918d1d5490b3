/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bytes the library's PPP stream writes (zcvpn_engine_set_stream), on their way to
 * a TLS connection without ever blocking the host's loop (and stream_pump, the bytes
 * the other way).  A loop that blocked in a
 * write while its peer did the same (two zcvpn ends, both sending hard) would have
 * neither reading again: so what the socket does not take at once waits here, sent as
 * the socket turns writable, and the loop keeps reading meanwhile.  A write that does
 * not fit whole is refused whole, so that the stream never carries half a frame (the
 * library counts the packet as a transmit error; TCP inside will resend).
 */
#ifndef ZCVPN_SRC_CLI_STREAM_QUEUE_H
#define ZCVPN_SRC_CLI_STREAM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_conn;
struct zcvpn_engine;

enum { STREAM_QUEUE_BYTES = 1 << 20 };	/* ~8 ms at 1 Gbit/s: room, not a bufferbloat */

struct stream_queue {
	uint8_t buf[STREAM_QUEUE_BYTES];
	size_t head, len;		/* bytes waiting: buf[head .. head + len) */
	size_t inflight;		/* what the last -EAGAIN write held; 0: none */
};

/* Queues len bytes (copied) and sends what goes now.  0, -ENOBUFS (none queued), -EIO. */
int stream_queue_write(struct stream_queue *q, struct tls_conn *c, const void *buf, size_t len);
/* Sends what waits, as far as the socket takes it.  0 or -EIO. */
int stream_queue_flush(struct stream_queue *q, struct tls_conn *c);
/* Sends what waits, waiting at most timeout_ms for the socket (a goodbye).  0 or -errno. */
int stream_queue_drain(struct stream_queue *q, struct tls_conn *c, unsigned timeout_ms);
/* Whether bytes wait: poll for POLLOUT then. */
bool stream_queue_waiting(const struct stream_queue *q);
/*
 * The other direction: what the TLS connection has (read and buffered) into the
 * engine's stream, without waiting.  0, or -ECONNRESET when the peer closed or the
 * connection failed (the caller frees it).
 */
int stream_pump(struct tls_conn *c, struct zcvpn_engine *e);
/* Forgets everything (the connection is gone). */
void stream_queue_reset(struct stream_queue *q);

#endif /* ZCVPN_SRC_CLI_STREAM_QUEUE_H */
