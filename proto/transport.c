/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of transport classes, and the small helpers every transport shares.  A new
 * protocol adds its class here; the engine finds it by the public protocol id.
 */
#include "config.h"

#include "proto/transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/anyconnect.h"
#include "proto/esp-transport.h"
#include "proto/ppp.h"
#include "src/util/macros.h"

static const struct transport_class *const classes[] = {
	&esp_transport_class,
	&anyconnect_transport_class,
	&ppp_transport_class,
};

const struct transport_class *transport_class_find(enum zcvpn_protocol protocol)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (classes[i]->protocol == protocol)
			return classes[i];
	return NULL;
}

void transport_classes_config_init(struct zcvpn_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (classes[i]->config_init)
			classes[i]->config_init((char *)cfg + classes[i]->config_offset);
}

void transport_event(struct transport_host *h, enum zcvpn_event_type type,
		     enum zcvpn_log_level level, int err, const char *fmt, ...)
{
	char message[256];
	struct zcvpn_event ev = {
		.type = type,
		.level = level,
		.error = err,
		.message = message,
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	h->ops->event(h, &ev);
}

void transport_counters_read(const struct transport_counter *table, unsigned int n,
			     const void *block, uint64_t *values)
{
	for (unsigned int i = 0; i < n; i++)
		memcpy(&values[i], (const char *)block + table[i].offset, sizeof(values[i]));
}
