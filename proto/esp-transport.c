/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP behind the transport interface: the SAs from the public config, in-place encap and
 * decap (esp-send.c, esp-receive.c), rekeying, and the liveness of Juniper/Pulse peers.
 * A probe is an ESP packet whose plaintext is one zero byte: a client sends one at start
 * (so that a server learns its address at once) and after keepalive_ms without sending;
 * a server answers each one it receives.  Both run here, through the host: the engine
 * knows nothing of probes.
 */
#include "config.h"

#include "proto/esp-transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/esp-config.h"
#include "proto/esp.h"
#include "ring/pkt.h"
#include "src/util/clock.h"
#include "src/util/macros.h"

enum {
	PROBE_ROOM = 128,	/* a probe with the largest header and trailer */
};

struct esp_transport {
	struct transport t;
	struct esp *esp;
	unsigned int replay_window;
	uint32_t keepalive_ms;
	bool answer_probes;
	/*
	 * The keepalive is due keepalive_ms after the last datagram sent.  The data path only
	 * counts datagrams; run_timers turns a changed count into a time, which keeps clock
	 * reads off the per-packet path.
	 */
	uint64_t tx_datagrams, seen_tx_datagrams;
	uint64_t last_tx_ns;
	bool said_hello;
	struct esp_transport_counters {
		uint64_t probes_answered;
		uint64_t probe_send_errors;
	} counters;
	uint8_t probe[PROBE_ROOM];
};

static struct esp_transport *esp_of(struct transport *t)
{
	return container_of(t, struct esp_transport, t);
}

static const struct esp_transport *const_esp_of(const struct transport *t)
{
	return container_of(t, const struct esp_transport, t);
}

/* Builds a probe in our own buffer and sends it to the peer. */
static int send_probe(struct esp_transport *et)
{
	struct pkt pkt = {
		.head = et->probe,
		.data = et->probe + esp_max_head(),
		.end = et->probe + sizeof(et->probe),
	};
	int ret = esp_encap_probe(et->esp, &pkt);

	if (!ret)
		ret = transport_send(et->t.host, pkt.data, pkt.len);
	if (ret)
		et->counters.probe_send_errors++;
	else
		et->tx_datagrams++;
	return ret;
}

static uint32_t esp_t_rx_head(const struct transport *t)
{
	return esp_rx_head_len(const_esp_of(t)->esp);
}

static int esp_t_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	struct esp_transport *et = esp_of(t);
	int ret = esp_encap(et->esp, pkt);

	if (!ret)
		et->tx_datagrams++;
	return ret;
}

static enum transport_verdict esp_t_decap(struct transport *t, struct pkt *pkt,
					  uint32_t max_inner)
{
	struct esp_transport *et = esp_of(t);

	switch (esp_decap(et->esp, pkt, max_inner)) {
	case ESP_DATA:
		return TRANSPORT_DATA;
	case ESP_PROBE:
		/* Authenticated: the peer is real, whether we answer or not. */
		if (et->answer_probes && send_probe(et) == 0)
			et->counters.probes_answered++;
		return TRANSPORT_CONTROL;
	default:
		return TRANSPORT_DROP;
	}
}

static uint64_t esp_t_run_timers(struct transport *t, uint64_t now)
{
	struct esp_transport *et = esp_of(t);
	uint64_t interval = (uint64_t)et->keepalive_ms * NSEC_PER_MSEC;

	if (!interval)
		return TRANSPORT_NO_DEADLINE;
	if (et->tx_datagrams != et->seen_tx_datagrams) {
		et->seen_tx_datagrams = et->tx_datagrams;
		et->last_tx_ns = now;
	}
	if (!et->said_hello || now - et->last_tx_ns >= interval) {
		/* Without a peer yet (a server) this fails; it is tried again next time. */
		if (send_probe(et) == 0)
			et->said_hello = true;
		et->seen_tx_datagrams = et->tx_datagrams;
		et->last_tx_ns = now;
	}
	return et->last_tx_ns + interval;
}

static enum zcvpn_transport_state esp_t_state(const struct transport *t, int *error)
{
	*error = 0;
	return ZCVPN_TRANSPORT_UP;	/* manual keys: nothing to negotiate */
}

/* The counters, in table order: the module's, then the transport's own. */
struct esp_counter_block {
	struct esp_stats esp;
	struct esp_transport_counters own;
};

#define ESP_COUNTER(field, flags, help) \
	TRANSPORT_COUNTER(#field, struct esp_counter_block, esp.field, flags, help)
#define OWN_COUNTER(field, help) \
	TRANSPORT_COUNTER(#field, struct esp_counter_block, own.field, 0, help)

static const struct transport_counter esp_counters[] = {
	ESP_COUNTER(rx_short, TRANSPORT_COUNTER_DROP, "shorter than header, IV, block and ICV"),
	ESP_COUNTER(rx_bad_spi, TRANSPORT_COUNTER_DROP, "unknown SPI"),
	ESP_COUNTER(rx_bad_icv, TRANSPORT_COUNTER_DROP, "failed authentication"),
	ESP_COUNTER(rx_replay, TRANSPORT_COUNTER_DROP, "sequence number seen before"),
	ESP_COUNTER(rx_too_old, TRANSPORT_COUNTER_DROP, "behind the replay window"),
	ESP_COUNTER(rx_bad_padding, TRANSPORT_COUNTER_DROP, "authentic, but padded wrong"),
	ESP_COUNTER(rx_bad_next_header, TRANSPORT_COUNTER_DROP,
		    "next header not the inner IP version"),
	ESP_COUNTER(rx_oversize, TRANSPORT_COUNTER_DROP, "inner packet larger than the MTU"),
	ESP_COUNTER(rx_bad_length, TRANSPORT_COUNTER_DROP, "ciphertext not whole blocks"),
	ESP_COUNTER(rx_old_sa, 0, "accepted on the previous SA after a rekey"),
	ESP_COUNTER(rx_probes, 0, "probes received"),
	ESP_COUNTER(tx_probes, 0, "probes sent (keepalives and answers)"),
	ESP_COUNTER(tx_seq_exhausted, 0, "refused to send: sequence numbers used up, rekey"),
	ESP_COUNTER(tx_no_room, 0, "refused to send: record lacked head or tail room"),
	OWN_COUNTER(probes_answered, "probes of the peer's answered"),
	OWN_COUNTER(probe_send_errors, "probes that could not be sent"),
};

static void esp_t_read_counters(const struct transport *t, uint64_t *values)
{
	const struct esp_transport *et = const_esp_of(t);
	struct esp_counter_block block;

	esp_get_stats(et->esp, &block.esp);
	block.own = et->counters;
	transport_counters_read(esp_counters, ARRAY_SIZE(esp_counters), &block, values);
}

/*
 * Installs new SAs from the public form, either of them NULL to keep that direction.
 * Both are checked before either is installed, so a bad outbound SA leaves the inbound
 * ones as they were.  The keys are wiped either way.
 */
static int install_sas(struct esp_transport *et, const struct zcvpn_esp_sa *in,
		       const struct zcvpn_esp_sa *out, char *errbuf, size_t errlen)
{
	struct esp_sa_config ic, oc;
	int ret = 0;

	memset(&ic, 0, sizeof(ic));
	memset(&oc, 0, sizeof(oc));
	if (in)
		ret = esp_sa_from_public(in, et->replay_window, &ic, "inbound", errbuf, errlen);
	if (!ret && out)
		ret = esp_sa_from_public(out, et->replay_window, &oc, "outbound", errbuf,
					 errlen);
	if (!ret && in)
		ret = esp_set_inbound(et->esp, &ic, NULL);
	if (!ret && out)
		ret = esp_set_outbound(et->esp, &oc, NULL);
	if (ret == -ENOMEM || ret == -EIO)
		errbuf_fail(errbuf, errlen, ret, "setting up the SAs: %s", strerror(-ret));
	crypto_wipe(&ic, sizeof(ic));
	crypto_wipe(&oc, sizeof(oc));
	return ret;
}

static int esp_t_rekey(struct transport *t, const struct zcvpn_rekey *rk, char *errbuf,
		       size_t errlen)
{
	if (!rk || (!rk->esp.in && !rk->esp.out))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "rekey: ESP needs a new inbound or outbound SA");
	return install_sas(esp_of(t), rk->esp.in, rk->esp.out, errbuf, errlen);
}

static void esp_t_free(struct transport *t)
{
	struct esp_transport *et = esp_of(t);

	esp_free(et->esp);
	crypto_wipe(et, sizeof(*et));
	free(et);
}

static const struct transport_ops esp_transport_ops = {
	.rx_head = esp_t_rx_head,
	.encap = esp_t_encap,
	.decap = esp_t_decap,
	.run_timers = esp_t_run_timers,
	.state = esp_t_state,
	.read_counters = esp_t_read_counters,
	.rekey = esp_t_rekey,
	.free = esp_t_free,
};

static int esp_t_create(struct transport **out, const void *config,
			const struct transport_params *params, char *errbuf, size_t errlen)
{
	const struct zcvpn_esp_config *cfg = config;
	struct esp_transport *et = calloc(1, sizeof(*et));
	int ret;

	if (!et)
		return errbuf_fail(errbuf, errlen, -ENOMEM, "out of memory");
	et->t = (struct transport){
		.ops = &esp_transport_ops,
		.cls = &esp_transport_class,
		.host = params->host,
		.max_head = esp_max_head(),
		.max_tail = esp_max_tail(),
		.rx_min_overhead = esp_min_overhead(),
	};
	et->replay_window = cfg->replay_window;
	et->keepalive_ms = cfg->keepalive_ms;
	et->answer_probes = cfg->answer_probes;
	ret = esp_new(&et->esp);
	if (ret) {
		errbuf_fail(errbuf, errlen, ret, "out of memory");
		goto err;
	}
	ret = install_sas(et, &cfg->in, &cfg->out, errbuf, errlen);
	if (ret)
		goto err;
	*out = &et->t;
	return 0;

err:
	esp_t_free(&et->t);
	return ret;
}

const struct transport_class esp_transport_class = {
	.protocol = ZCVPN_PROTOCOL_ESP,
	.name = "esp",
	.config_offset = offsetof(struct zcvpn_config, esp),
	.create = esp_t_create,
	.counters = esp_counters,
	.n_counters = ARRAY_SIZE(esp_counters),
};
