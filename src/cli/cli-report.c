/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a driver run to finish, and printing what happened. */
#include "config.h"

#include "src/cli/cli.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

double cli_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	zcvpn_engine_get_stats(e, st);
}

static const char *state_name(enum zcvpn_transport_state s)
{
	switch (s) {
	case ZCVPN_TRANSPORT_CONNECTING: return "connecting";
	case ZCVPN_TRANSPORT_UP: return "up";
	case ZCVPN_TRANSPORT_DOWN: return "down";
	case ZCVPN_TRANSPORT_CLOSED: return "closed";
	}
	return "?";
}

void cli_print_counters(struct zcvpn_engine *e, FILE *f)
{
	struct zcvpn_counter c;
	struct zcvpn_stats st;

	for (unsigned int i = 0; zcvpn_engine_counter(e, i, &c) == 0; i++)
		fprintf(f, "stat %s %" PRIu64 "\n", c.name, c.value);
	cli_get_stats(e, &st);
	fprintf(f, "stat transport_up %d\nstat peer_closed %d\nstat transport_error %d\n"
		"stat transport_state %s\n", st.transport_state == ZCVPN_TRANSPORT_UP,
		st.transport_state == ZCVPN_TRANSPORT_CLOSED, st.transport_error,
		state_name(st.transport_state));
	fflush(f);
}

void cli_print_event(void *ctx, const struct zcvpn_event *ev)
{
	if (ev->level == ZCVPN_LOG_DEBUG)
		return;
	fprintf(stderr, "zcvpn: %s: %s\n", ev->source, ev->message);
}

static uint64_t counter(struct zcvpn_engine *e, const char *name)
{
	uint64_t v = 0;

	zcvpn_engine_counter_value(e, name, &v);
	return v;
}

void cli_print_summary(struct zcvpn_engine *e, FILE *f)
{
	struct zcvpn_stats st;

	cli_get_stats(e, &st);
	fprintf(f, "zcvpn: sent %" PRIu64 " packets (%" PRIu64 " bytes), received %" PRIu64
		" packets (%" PRIu64 " bytes), copied_bytes %" PRIu64 "\n",
		st.tx_packets, st.tx_bytes, st.rx_packets, st.rx_bytes, st.copied_bytes);
	cli_print_counters(e, f);
}

void cli_mem_roles(struct zcvpn_config *cfg, bool server)
{
	cfg->mem_ipv6_percent = 50;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 2 : 1;
}

bool cli_traffic_done(const struct zcvpn_stats *st, const struct cli_run *run,
		      const struct zcvpn_config *cfg)
{
	uint64_t sunk = st->sink_good + st->sink_corrupt + st->sink_duplicate;
	/* A packet the transport or the host's full stream queue refused is as finished as
	 * one that went: waiting for it would end in the idle timeout.  (Not tx_errors: it
	 * also counts control datagrams, which would end the wait early.) */
	uint64_t finished = st->tx_packets + st->tx_encap_errors + st->fallback_tx_refused;
	bool sent_all = !cfg->mem_count || (st->generator_done && finished >= st->tun_tx_packets);

	return cfg->tun == ZCVPN_TUN_MEM && sent_all && sunk >= run->expect &&
	       (cfg->mem_count || run->expect);
}

int cli_wait_done(struct zcvpn_engine *e, const struct cli_run *run,
		  const struct zcvpn_config *cfg, double *seconds)
{
	double start = cli_now_s(), last_progress = start, first_rx = 0;
	uint64_t last_moved = 0;
	struct zcvpn_stats st;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (;;) {
		uint64_t moved;

		nanosleep(&tick, NULL);
		cli_get_stats(e, &st);
		moved = st.tx_packets + st.rx_packets;
		if (st.rx_packets && !first_rx)
			first_rx = cli_now_s();
		if (moved != last_moved) {
			last_moved = moved;
			last_progress = cli_now_s();
		}
		if (cli_traffic_done(&st, run, cfg))
			break;
		if (run->interrupted && *run->interrupted)
			break;
		if (run->timeout_s && cli_now_s() - last_progress > run->timeout_s) {
			fprintf(stderr, "zcvpn: %s: no traffic for %u s, stopping\n", run->role,
				run->timeout_s);
			break;
		}
	}
	/* Throughput counts from the first packet through the tunnel, not from start-up. */
	*seconds = cli_now_s() - (first_rx ? first_rx : start);
	return 0;
}

static void rate(const char *what, uint64_t packets, uint64_t bytes, double seconds)
{
	double s = seconds > 1e-6 ? seconds : 1e-6;

	printf("  %-9s %10" PRIu64 " packets %10.1f MB %9.1f Mbit/s %10.0f pkt/s\n", what,
	       packets, (double)bytes / 1e6, (double)bytes * 8 / s / 1e6, (double)packets / s);
}

int cli_report(struct zcvpn_engine *e, const struct cli_run *run, const struct zcvpn_config *cfg,
	       double seconds)
{
	struct zcvpn_stats st;
	bool clean;

	cli_get_stats(e, &st);
	printf("zcvpn %s: %s %s, %s, %.2f s\n", run->role,
	       cfg->protocol == ZCVPN_PROTOCOL_ANYCONNECT ? "AnyConnect DTLS" :
	       cfg->protocol == ZCVPN_PROTOCOL_PPP ? "PPP" : "ESP", run->suite,
	       zcvpn_crypto_backend(), seconds);
	rate("sent", st.tx_packets, st.tx_bytes, seconds);
	rate("received", st.rx_packets, st.rx_bytes, seconds);
	if (cfg->tun == ZCVPN_TUN_MEM)
		printf("  sink      good %" PRIu64 "  corrupt %" PRIu64 "  lost %" PRIu64
		       "  reordered %" PRIu64 "  duplicate %" PRIu64 "\n",
		       st.sink_good, st.sink_corrupt,
		       run->expect > st.sink_good ? run->expect - st.sink_good : 0,
		       st.sink_reordered, st.sink_duplicate);
	printf("  copied_bytes %" PRIu64 " (payload bytes copied in user space)\n",
	       st.copied_bytes);
	printf("  dropped   invalid %" PRIu64 " (bad ICV %" PRIu64 ", replay %" PRIu64
	       ")  truncated %" PRIu64 "  ring_full %" PRIu64 "  socket %" PRIu64 "\n",
	       st.rx_invalid, counter(e, "rx_bad_icv"), counter(e, "rx_replay"), st.rx_truncated,
	       st.rx_ring_full, st.rx_socket_drops);
	printf("  transport %s%s%s\n", state_name(st.transport_state), st.transport_error ? ": " : "",
	       st.transport_error ? strerror(-st.transport_error) : "");
	cli_print_counters(e, stdout);
	clean = st.sink_corrupt == 0 && st.sink_good >= run->expect;
	return clean ? 0 : 1;
}
