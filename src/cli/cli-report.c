/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a driver run to finish, and printing what happened. */
#include "config.h"

#include "src/cli/cli.h"

#include "src/cli/json-writer.h"

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

const char *cli_state_name(int state)
{
	switch (state) {
	case ZCVPN_TRANSPORT_CONNECTING: return "connecting";
	case ZCVPN_TRANSPORT_UP: return "up";
	case ZCVPN_TRANSPORT_DOWN: return "down";
	case ZCVPN_TRANSPORT_CLOSED: return "closed";
	}
	return "?";
}

void cli_print_event(void *ctx, const struct zcvpn_event *ev)
{
	(void)ctx;
	if (ev->level == ZCVPN_LOG_DEBUG)
		return;
	fprintf(stderr, "zcvpn: %s: %s\n", ev->source, ev->message);
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
	struct cli_progress progress;

	cli_progress_start(&progress, run->out);
	for (;;) {
		uint64_t moved;

		nanosleep(&tick, NULL);
		if (run->tick)
			run->tick(e, run->tick_ctx);
		cli_progress_tick(&progress, e);
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
		if (st.tun_error) {
			fprintf(stderr, "zcvpn: %s: the tun stopped (%s); stopping\n", run->role,
				strerror((int)-st.tun_error));
			break;
		}
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

/* ---- the report ---------------------------------------------------------------- */

/* What the headline lines already say: not repeated among the counters by default. */
static bool in_headline(const char *name)
{
	static const char *const shown[] = {
		"tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "copied_bytes",
		"sink_good", "sink_corrupt", "sink_lost", "sink_reordered", "sink_duplicate",
	};

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (!strcmp(name, shown[i]))
			return true;
	return false;
}

uint64_t cli_total_drops(struct zcvpn_engine *e)
{
	struct zcvpn_counter c;
	uint64_t sum = 0;

	for (unsigned int i = 0; zcvpn_engine_counter(e, i, &c) == 0; i++)
		if (c.flags & ZCVPN_COUNTER_DROP)
			sum += c.value;
	return sum;
}

static const char *protocol_name(const struct zcvpn_config *cfg)
{
	switch (cfg->protocol) {
	case ZCVPN_PROTOCOL_ANYCONNECT: return "AnyConnect";
	case ZCVPN_PROTOCOL_PPP: return "PPP";
	default: return "ESP";
	}
}

static uint64_t sink_lost(const struct cli_run *run, const struct zcvpn_stats *st)
{
	return run->expect > st->sink_good ? run->expect - st->sink_good : 0;
}

static bool run_clean(const struct cli_run *run, const struct zcvpn_stats *st)
{
	return st->sink_corrupt == 0 && st->sink_good >= run->expect;
}

static void human_rate(const char *what, uint64_t packets, uint64_t bytes, double seconds)
{
	double s = seconds > 1e-6 ? seconds : 1e-6;

	printf("  %-13s %10" PRIu64 " packets %10.1f MB %9.1f Mbit/s %10.0f pkt/s\n", what,
	       packets, (double)bytes / 1e6, (double)bytes * 8 / s / 1e6, (double)packets / s);
}

static void human_counter(const char **group, const char *g, const char *name, uint64_t value,
			  const char *help)
{
	if (!*group || strcmp(*group, g)) {
		printf("    %s\n", g);
		*group = g;
	}
	printf("      %-26s %14" PRIu64 "  %s\n", name, value, help);
}

/* The counters, grouped as the engine enumerates them; the driver's own last. */
static void human_counters(struct zcvpn_engine *e, const struct cli_run *run, bool all)
{
	const char *group = NULL;
	struct zcvpn_counter c;
	unsigned int shown = 0;

	printf("  counters%s\n", all ? "" : " that are not zero (--stats: all)");
	for (unsigned int i = 0; zcvpn_engine_counter(e, i, &c) == 0; i++) {
		if (!all && (!c.value || in_headline(c.name)))
			continue;
		human_counter(&group, c.group, c.name, c.value, c.help);
		shown++;
	}
	for (size_t i = 0; i < run->n_extra; i++) {
		if (!all && !run->extra[i].value)
			continue;
		human_counter(&group, "driver", run->extra[i].name, run->extra[i].value,
			      run->extra[i].help);
		shown++;
	}
	if (!shown)
		printf("      (none)\n");
}

static void report_human(struct zcvpn_engine *e, const struct cli_run *run,
			 const struct zcvpn_config *cfg, const struct zcvpn_stats *st,
			 double seconds)
{
	printf("zcvpn %s: %s%s%s, %s, %.2f s\n", run->role, protocol_name(cfg),
	       run->suite[0] ? " " : "", run->suite, zcvpn_crypto_backend(), seconds);
	human_rate("sent", st->tx_packets, st->tx_bytes, seconds);
	human_rate("received", st->rx_packets, st->rx_bytes, seconds);
	if (cfg->tun == ZCVPN_TUN_MEM)
		printf("  %-13s good %" PRIu64 "  corrupt %" PRIu64 "  lost %" PRIu64
		       "  reordered %" PRIu64 "  duplicate %" PRIu64 "  (%s)\n", "sink",
		       st->sink_good, st->sink_corrupt, sink_lost(run, st), st->sink_reordered,
		       st->sink_duplicate, run_clean(run, st) ? "clean" : "NOT clean");
	printf("  %-13s %" PRIu64 " (payload bytes copied in user space)\n", "copied_bytes",
	       st->copied_bytes);
	printf("  %-13s %" PRIu64 " datagrams\n", "dropped", cli_total_drops(e));
	printf("  %-13s %s%s%s\n", "transport", cli_state_name(st->transport_state),
	       st->transport_error ? ": " : "",
	       st->transport_error ? strerror(-st->transport_error) : "");
	if (st->tun_error)
		printf("  %-13s stopped: %s\n", "tun", strerror((int)-st->tun_error));
	human_counters(e, run, run->out && run->out->all_counters);
	fflush(stdout);
}

static void json_rate(struct json_writer *w, const char *key, uint64_t packets, uint64_t bytes,
		      double seconds)
{
	double s = seconds > 1e-6 ? seconds : 1e-6;

	json_open(w, key);
	json_u64(w, "packets", packets);
	json_u64(w, "bytes", bytes);
	json_double(w, "mbit_s", (double)bytes * 8 / s / 1e6);
	json_double(w, "pkt_s", (double)packets / s);
	json_close(w);
}

/* One line, every counter by its unique name: what scripts and the tests read. */
static void report_json(struct zcvpn_engine *e, const struct cli_run *run,
			const struct zcvpn_config *cfg, const struct zcvpn_stats *st,
			double seconds)
{
	struct json_writer w;
	struct zcvpn_counter c;

	json_begin(&w, stdout);
	json_string(&w, "role", run->role);
	json_string(&w, "protocol", protocol_name(cfg));
	json_string(&w, "suite", run->suite);
	json_string(&w, "backend", zcvpn_crypto_backend());
	json_double(&w, "seconds", seconds);
	json_rate(&w, "sent", st->tx_packets, st->tx_bytes, seconds);
	json_rate(&w, "received", st->rx_packets, st->rx_bytes, seconds);
	if (cfg->tun == ZCVPN_TUN_MEM) {
		json_open(&w, "sink");
		json_u64(&w, "expected", run->expect);
		json_u64(&w, "good", st->sink_good);
		json_u64(&w, "corrupt", st->sink_corrupt);
		json_u64(&w, "lost", sink_lost(run, st));
		json_u64(&w, "reordered", st->sink_reordered);
		json_u64(&w, "duplicate", st->sink_duplicate);
		json_bool(&w, "clean", run_clean(run, st));
		json_close(&w);
	}
	json_u64(&w, "copied_bytes", st->copied_bytes);
	json_u64(&w, "dropped", cli_total_drops(e));
	json_open(&w, "transport");
	json_string(&w, "state", cli_state_name(st->transport_state));
	json_int(&w, "error", st->transport_error);
	json_string(&w, "error_text", st->transport_error ? strerror(-st->transport_error) : "");
	json_close(&w);
	json_open(&w, "tun");
	json_int(&w, "error", (int)st->tun_error);
	json_string(&w, "error_text", st->tun_error ? strerror((int)-st->tun_error) : "");
	json_close(&w);
	json_open(&w, "counters");
	for (unsigned int i = 0; zcvpn_engine_counter(e, i, &c) == 0; i++)
		json_u64(&w, c.name, c.value);
	for (size_t i = 0; i < run->n_extra; i++)
		json_u64(&w, run->extra[i].name, run->extra[i].value);
	json_close(&w);
	if (run->json_extra)
		run->json_extra(&w, run->json_ctx);
	json_end(&w);
}

int cli_report(struct zcvpn_engine *e, const struct cli_run *run, const struct zcvpn_config *cfg,
	       double seconds)
{
	struct zcvpn_stats st;

	cli_get_stats(e, &st);
	if (run->out && run->out->json)
		report_json(e, run, cfg, &st, seconds);
	else
		report_human(e, run, cfg, &st, seconds);
	if (st.tun_error)
		return CLI_EXIT_FAILED;	/* the tunnel cannot have carried what it should */
	return cfg->tun == ZCVPN_TUN_MEM && !run_clean(run, &st) ? 1 : 0;
}
