/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "tests/fake-host.h"

#include <stdio.h>
#include <string.h>

#include "src/util/macros.h"

static struct fake_host *fake_of(struct transport_host *h)
{
	return container_of(h, struct fake_host, host);
}

static int fake_send(struct transport_host *h, const struct iovec *dgrams, unsigned int n)
{
	struct fake_host *f = fake_of(h);

	for (unsigned int i = 0; i < n; i++) {
		int ret = mem_wire_send(f->wire, dgrams[i].iov_base, dgrams[i].iov_len);

		if (ret)
			return ret;
	}
	return 0;
}

static int fake_new_path(struct transport_host *h)
{
	struct fake_host *f = fake_of(h);

	f->new_paths++;
	return f->new_path_ret;
}

static uint64_t fake_now(struct transport_host *h)
{
	return fake_of(h)->now;
}

static void fake_event(struct transport_host *h, const struct zcvpn_event *ev)
{
	struct fake_host *f = fake_of(h);

	if ((unsigned int)ev->type < FAKE_HOST_EVENT_TYPES)
		f->events[ev->type]++;
	f->last_error = ev->error;
	snprintf(f->last_message, sizeof(f->last_message), "%s", ev->message);
}

static const struct transport_host_ops fake_host_ops = {
	.send = fake_send,
	.new_path = fake_new_path,
	.now = fake_now,
	.event = fake_event,
};

void fake_host_init(struct fake_host *h, struct mem_wire *wire, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->host.ops = &fake_host_ops;
	h->wire = wire;
	h->now = now;
}
