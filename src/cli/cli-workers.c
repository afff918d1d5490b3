/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn connect|serve --key-file FILE --tun NAME --workers N`: one ESP tunnel spread
 * over N cores, as N engines side by side.  Each worker is a whole engine (its threads,
 * its ring pair, its UDP socket, its own SA pair from the key file) on its own queue of
 * one multi-queue tun.  Nothing is shared between them, so nothing is locked:
 *  - the kernel hashes each flow to one tun queue, symmetrically (both ends, and both
 *    directions of a flow, pick the same queue of N), so a flow stays on one worker;
 *  - worker i talks from and to port PORT + i, so its datagrams reach the peer's
 *    worker i, in order, and the kernel sorts them by port on the way in;
 *  - each worker's SA pair has its own sequence numbers and replay window, as IKEv2's
 *    per-CPU child SAs (RFC 9611) do.
 * Both ends therefore need the same N (the same key file gives it) and N free ports.
 * A single flow stays on one core: spreading one flow's crypto over cores with in-order
 * sending, as WireGuard does, is not done here.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct worker {
	struct zcvpn_engine *engine;
	struct zcvpn_config cfg;
	struct cli_keys keys;		/* wiped once the engine has them */
	struct cli_esp_rekey rekey;
	volatile int rekey_requested;	/* this worker's share of SIGHUP */
	bool warned_silent;		/* said once that the peer's worker i is silent */
	char local[80], remote[80];
	char role[40];
};

struct workers {
	unsigned n;
	struct worker w[CLI_MAX_WORKERS];
	struct zcvpn_engine *engines[CLI_MAX_WORKERS];	/* w[i].engine, for the progress */
	struct cli_progress progress;	/* --interval: the workers' counts together */
	volatile int *interrupted;	/* SIGINT/SIGTERM (borrowed) */
	volatile int *rekey_requested;	/* SIGHUP (borrowed) */
	volatile int stop;		/* what cli_wait_done watches */
	double started;			/* cli_now_s() when all were running */
};

/* How long a worker may have traffic for its peer and hear nothing before we say so. */
enum { SILENT_PEER_S = 5 };

/*
 * Worker i has had packets to send for SILENT_PEER_S while worker 1 hears its peer and
 * worker i hears nothing: the peer most likely runs fewer workers (another key file, or
 * --workers), and the flows the kernel gives worker i go nowhere.  Said once.
 */
static void check_silent_peer(struct workers *ws, unsigned i, const struct zcvpn_stats *st,
			      const struct zcvpn_stats *first)
{
	struct worker *w = &ws->w[i];

	if (w->warned_silent || cli_now_s() - ws->started < SILENT_PEER_S || !first->rx_packets ||
	    st->rx_packets || !st->tun_tx_packets)
		return;
	w->warned_silent = true;
	fprintf(stderr, "zcvpn: %s: %llu packets to send and nothing heard from the peer's worker "
			"%u: does the peer run %u workers, from the same key file?\n", w->role,
		(unsigned long long)st->tun_tx_packets, i + 1, ws->n);
}

/*
 * "ADDR:PORT" with PORT + offset, into out.  The port must be given and not 0 (the
 * peer finds worker i at PORT + i).  0, or -EINVAL (said).
 */
static int offset_port(const char *addr, unsigned offset, char *out, size_t len,
		       const char *opt)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	uint64_t port;

	if (!colon || cli_parse_u64(colon + 1, 1, 65535, &port) || port + offset > 65535) {
		fprintf(stderr, "zcvpn: --workers: --%s needs ADDR:PORT with PORT from 1 to "
				"%u: worker i uses PORT + i - 1\n", opt, 65535 - offset);
		return -EINVAL;
	}
	if (snprintf(out, len, "%.*s:%u", (int)(colon - addr), addr,
		     (unsigned)(port + offset)) >= (int)len)
		return -EINVAL;
	return 0;
}

/* Whether "ADDR:PORT" names a port (not 0, which leaves the choice to the kernel). */
static bool fixed_port(const char *addr)
{
	const char *colon = addr ? strrchr(addr, ':') : NULL;

	return colon && strcmp(colon, ":0");
}

/* Worker i's configuration: the base's with its ports, its SAs and its tun queue. */
static int worker_config(struct workers *ws, unsigned i, const struct zcvpn_config *base,
			 const char *key_file, bool server)
{
	struct worker *w = &ws->w[i];

	w->cfg = *base;
	w->cfg.tun_multi_queue = ws->n > 1;
	snprintf(w->role, sizeof(w->role), "%s worker %u", server ? "server" : "client", i + 1);
	/* The server's port is where the client finds worker i; a client's may be any. */
	if (base->local && (server || fixed_port(base->local))) {
		if (offset_port(base->local, i, w->local, sizeof(w->local), "local"))
			return -EINVAL;
		w->cfg.local = w->local;
	}
	if (base->remote) {
		if (offset_port(base->remote, i, w->remote, sizeof(w->remote), "remote"))
			return -EINVAL;
		w->cfg.remote = w->remote;
	}
	if (cli_keys_load(&w->keys, key_file, i, NULL))
		return -EINVAL;
	cli_keys_apply(&w->keys, &w->cfg, server);
	cli_esp_rekey_init(&w->rekey, key_file, i, server, &w->keys, &w->rekey_requested);
	return 0;
}

/*
 * A cli_run tick: SIGHUP to every worker, their rekeys, a peer that runs fewer workers,
 * the progress of all, and a stop when any tun died.
 */
static void workers_tick(struct zcvpn_engine *engine1, void *ctx)
{
	struct workers *ws = ctx;
	struct zcvpn_stats first;

	(void)engine1;
	if (*ws->rekey_requested) {
		*ws->rekey_requested = 0;
		for (unsigned i = 0; i < ws->n; i++)
			ws->w[i].rekey_requested = 1;
	}
	memset(&first, 0, sizeof(first));
	for (unsigned i = 0; i < ws->n; i++) {
		struct zcvpn_stats st;

		cli_esp_rekey_tick(ws->w[i].engine, &ws->w[i].rekey);
		cli_get_stats(ws->w[i].engine, &st);
		if (i == 0)
			first = st;
		else
			check_silent_peer(ws, i, &st, &first);
		if (st.tun_error && !ws->stop) {
			fprintf(stderr, "zcvpn: %s: the tun stopped (%s); stopping\n",
				ws->w[i].role, strerror((int)-st.tun_error));
			ws->stop = 1;
		}
	}
	cli_progress_tick_all(&ws->progress, ws->engines, ws->n);
	if (*ws->interrupted)
		ws->stop = 1;
}

static void free_all(struct workers *ws)
{
	for (unsigned i = 0; i < ws->n; i++) {
		cli_keys_wipe(&ws->w[i].keys);
		cli_esp_rekey_wipe(&ws->w[i].rekey);
		zcvpn_engine_free(ws->w[i].engine);
	}
}

/* Every worker's engine made and started; prints why not.  0 or the exit status. */
static int start_all(struct workers *ws, const struct zcvpn_config *base, const char *key_file,
		     bool server)
{
	char err[256];
	int ret;

	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		if (worker_config(ws, i, base, key_file, server))
			return CLI_EXIT_USAGE;
		ret = zcvpn_engine_new(&w->engine, &w->cfg, err, sizeof(err));
		ws->engines[i] = w->engine;
		cli_keys_wipe(&w->keys);
		if (ret) {
			fprintf(stderr, "zcvpn: %s: %s\n", w->role, err);
			return ret == -EPERM ? CLI_EXIT_PRIVILEGE : CLI_EXIT_USAGE;
		}
		ret = zcvpn_engine_start(w->engine, ZCVPN_START_THREAD);
		if (ret) {
			fprintf(stderr, "zcvpn: %s: starting: %s\n", w->role, strerror(-ret));
			return CLI_EXIT_USAGE;
		}
		fprintf(stderr, "zcvpn: %s ready on UDP port %d, tun %s (queue %u of %u)\n",
			w->role, zcvpn_engine_local_port(w->engine), base->tun_name, i + 1, ws->n);
	}
	return 0;
}

/* Without --json: the workers' packets and copies together, after their own reports. */
static void print_total(const struct workers *ws, bool server)
{
	uint64_t tx = 0, rx = 0, copied = 0;
	struct zcvpn_stats st;

	for (unsigned i = 0; i < ws->n; i++) {
		cli_get_stats(ws->w[i].engine, &st);
		tx += st.tx_packets;
		rx += st.rx_packets;
		copied += st.copied_bytes;
	}
	printf("zcvpn %s: %u workers together: sent %llu, received %llu packets, "
	       "copied_bytes %llu\n", server ? "server" : "client", ws->n,
	       (unsigned long long)tx, (unsigned long long)rx, (unsigned long long)copied);
}

int cli_workers_run(const struct zcvpn_config *base, unsigned n, const char *key_file,
		    bool server, const struct cli_run *run, volatile int *rekey_requested)
{
	struct workers *ws = calloc(1, sizeof(*ws));
	/* cli_wait_done's own progress would be worker 1's alone: the tick prints all. */
	struct cli_output quiet = *run->out;
	struct cli_run wrun = *run;
	double seconds;
	int ret;

	if (!ws)
		return CLI_EXIT_FAILED;
	ws->n = n;
	ws->interrupted = run->interrupted;
	ws->rekey_requested = rekey_requested;
	ret = start_all(ws, base, key_file, server);
	if (ret)
		goto out;
	ws->started = cli_now_s();
	cli_progress_start(&ws->progress, run->out);
	quiet.interval_s = 0;
	wrun.out = &quiet;
	wrun.tick = workers_tick;
	wrun.tick_ctx = ws;
	wrun.interrupted = &ws->stop;
	wrun.role = ws->w[0].role;
	cli_wait_done(ws->w[0].engine, &wrun, &ws->w[0].cfg, &seconds);
	for (unsigned i = 0; i < n; i++)
		zcvpn_engine_stop(ws->w[i].engine);
	for (unsigned i = 0; i < n; i++) {
		wrun.role = ws->w[i].role;
		ret |= cli_report(ws->w[i].engine, &wrun, &ws->w[i].cfg, seconds);
	}
	if (!run->out->json)
		print_total(ws, server);
out:
	free_all(ws);
	explicit_bzero(ws, sizeof(*ws));
	free(ws);
	return ret;
}
