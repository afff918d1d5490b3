/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ESP behind the engine's transport interface. */
#include "config.h"

#include "proto/esp-transport.h"

#include "proto/esp-internal.h"
#include "src/zcvpn.h"

static uint32_t esp_t_rx_head(const void *ctx)
{
	return esp_rx_head_len(ctx);
}

static int esp_t_encap(void *ctx, struct pkt *pkt)
{
	return esp_encap(ctx, pkt);
}

static enum transport_verdict esp_t_decap(void *ctx, struct pkt *pkt, uint32_t max_inner)
{
	switch (esp_decap(ctx, pkt, max_inner)) {
	case ESP_DATA:
		return TRANSPORT_DATA;
	case ESP_PROBE:
		return TRANSPORT_PROBE;
	default:
		return TRANSPORT_DROP;
	}
}

static int esp_t_build_probe(void *ctx, struct pkt *pkt)
{
	return esp_encap_probe(ctx, pkt);
}

static void esp_t_stats(const void *ctx, struct zcvpn_stats *st)
{
	struct esp_stats es;

	esp_get_stats(ctx, &es);
	st->rx_short += es.rx_short;
	st->rx_bad_spi += es.rx_bad_spi;
	st->rx_bad_icv += es.rx_bad_icv;
	st->rx_replay += es.rx_replay;
	st->rx_too_old += es.rx_too_old;
	st->rx_bad_padding += es.rx_bad_padding;
	st->rx_bad_next_header += es.rx_bad_next_header;
	st->rx_oversize += es.rx_oversize;
	st->rx_bad_length += es.rx_bad_length;
	st->rx_old_sa += es.rx_old_sa;
	st->tx_seq_exhausted += es.tx_seq_exhausted;
}

static void esp_t_free(void *ctx)
{
	esp_free(ctx);
}

static const struct transport_ops esp_transport_ops = {
	.name = "esp",
	.rx_head = esp_t_rx_head,
	.encap = esp_t_encap,
	.decap = esp_t_decap,
	.build_probe = esp_t_build_probe,
	.stats = esp_t_stats,
	.free = esp_t_free,
};

void esp_transport_init(struct transport *t, struct esp *esp)
{
	t->ops = &esp_transport_ops;
	t->ctx = esp;
	t->max_head = esp_max_head();
	t->max_tail = esp_max_tail();
}
