/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine offers its transport (proto/transport.h): the socket, a new path, the
 * clock, the event sink; and the engine's own events, all through the host's callback
 * (the library never prints).
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "src/util/clock.h"
#include "src/util/macros.h"

static struct zcvpn_engine *engine_of(struct transport_host *h)
{
	return container_of(h, struct zcvpn_engine, host);
}

static int host_send(struct transport_host *h, const struct iovec *dgrams, unsigned int n)
{
	return engine_send_datagrams(engine_of(h), dgrams, n);
}

static int host_new_path(struct transport_host *h)
{
	return engine_new_path(engine_of(h));
}

static uint64_t host_now(struct transport_host *h)
{
	return now_ns();
}

static void host_event(struct transport_host *h, const struct zcvpn_event *ev)
{
	struct zcvpn_engine *e = engine_of(h);
	struct zcvpn_event copy = *ev;

	copy.source = e->transport->cls->name;
	engine_emit(e, &copy);
}

static int host_stream_write(struct transport_host *h, const void *buf, size_t len)
{
	struct zcvpn_engine *e = engine_of(h);

	return e->stream_write ? e->stream_write(e->stream_ctx, buf, len) : -ENOTCONN;
}

/* Called from inside a transport op, so the path lock is already held. */
static int host_deliver(struct transport_host *h, const void *pkt, size_t len)
{
	return engine_inject_locked(engine_of(h), pkt, len);
}

static const struct transport_host_ops engine_host_ops = {
	.send = host_send,
	.new_path = host_new_path,
	.now = host_now,
	.event = host_event,
	.stream_write = host_stream_write,
	.deliver = host_deliver,
};

void engine_host_init(struct zcvpn_engine *e)
{
	e->host.ops = &engine_host_ops;
}

void engine_emit(struct zcvpn_engine *e, const struct zcvpn_event *ev)
{
	if (!e->event_fn)
		return;
	pthread_mutex_lock(&e->event_lock);
	e->event_fn(e->event_ctx, ev);
	pthread_mutex_unlock(&e->event_lock);
}

void engine_log(struct zcvpn_engine *e, const char *source, enum zcvpn_log_level level,
		int err, const char *fmt, ...)
{
	char message[256];
	struct zcvpn_event ev = {
		.type = ZCVPN_EVENT_LOG,
		.level = level,
		.source = source,
		.error = err,
		.message = message,
	};
	va_list ap;

	if (!e->event_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	engine_emit(e, &ev);
}
