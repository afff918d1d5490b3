/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: a transport host (proto/transport.h) without an engine.  What the
 * transport sends lands on an in-memory wire, the clock is whatever the test sets, new
 * paths and events are counted.  Plain C without Check.
 */
#ifndef ZCVPN_TESTS_FAKE_HOST_H
#define ZCVPN_TESTS_FAKE_HOST_H

#include <stdint.h>

#include "proto/transport.h"
#include "tests/dtls-pair.h"

enum { FAKE_HOST_EVENT_TYPES = ZCVPN_EVENT_DROPS + 1 };

struct fake_host {
	struct transport_host host;
	struct mem_wire *wire;		/* where send() puts datagrams */
	uint64_t now;			/* what now() says */
	unsigned int new_paths;		/* new_path() calls */
	int new_path_ret;		/* what new_path() returns */
	unsigned int events[FAKE_HOST_EVENT_TYPES];	/* by type */
	int last_error;			/* of the last event */
	char last_message[256];
};

/* Sets h up to send onto wire with the clock at now. */
void fake_host_init(struct fake_host *h, struct mem_wire *wire, uint64_t now);

#endif /* ZCVPN_TESTS_FAKE_HOST_H */
