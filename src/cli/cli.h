/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared pieces of the zcvpn command-line driver (one file per command). */
#ifndef ZCVPN_SRC_CLI_CLI_H
#define ZCVPN_SRC_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "src/zcvpn.h"

/* Both directions' ESP keys, named from the client's side as GlobalProtect does. */
struct cli_keys {
	char enc[32];
	char auth[32];
	uint32_t c2s_spi, s2c_spi;
	uint8_t c2s_enc_key[64], s2c_enc_key[64];
	uint32_t c2s_enc_key_len, s2c_enc_key_len;
	uint8_t c2s_auth_key[64], s2c_auth_key[64];
	uint32_t c2s_auth_key_len, s2c_auth_key_len;
};

/* cli-keys.c */
/* Workers of one tunnel at most (serve|connect --workers; SA pairs in a key file). */
enum { CLI_MAX_WORKERS = 16 };
/* A 32-byte PSK as 64 hex digits in a file; prints what was wrong.  0 or -EINVAL. */
int cli_psk_load(const char *path, uint8_t psk[32]);
/*
 * The suite and worker's SA pair (0-based; 0: the file's first pair) from a key file;
 * workers (NULL: not wanted) gets how many pairs the file holds.  Prints what was
 * wrong: 0, -EINVAL, -EPERM (the file is open to others) or -errno.
 */
int cli_keys_load(struct cli_keys *keys, const char *path, unsigned worker, unsigned *workers);
int cli_keys_generate(struct cli_keys *keys, const char *enc, const char *auth);
/* The whole file for one pair; cli_keys_print_sa: the pair's lines alone. */
void cli_keys_print(const struct cli_keys *keys, FILE *f);
void cli_keys_print_sa(const struct cli_keys *keys, FILE *f);
/* Points cfg's SAs at keys for the client (c2s out) or the server (s2c out). */
void cli_keys_apply(const struct cli_keys *keys, struct zcvpn_config *cfg, bool server);
void cli_keys_wipe(struct cli_keys *keys);
/* Names the suite for reports (the keys themselves are wiped after use). */
void cli_keys_suite(const struct cli_keys *keys, char *out, size_t len);

/* cli-esp-rekey.c: SIGHUP rereads --key-file; new inbound SA at once, outbound later. */
enum { CLI_ESP_SWITCH_S = 2 };
struct cli_esp_rekey {
	const char *path;		/* borrowed */
	unsigned worker;		/* whose SA pair in the file (0-based) */
	bool server;
	volatile int *requested;	/* set by SIGHUP, cleared here */
	uint32_t in_spi, out_spi;	/* in use */
	struct cli_keys next;		/* read, outbound not yet switched; wiped after */
	double switch_at;		/* cli_now_s() when outbound switches; 0: none due */
	unsigned count;
};
/* current: the keys the engine was made with (their SPIs only are kept). */
void cli_esp_rekey_init(struct cli_esp_rekey *r, const char *path, unsigned worker,
			bool server, const struct cli_keys *current, volatile int *requested);
/* A cli_run tick (ctx: the cli_esp_rekey): starts a requested rekey, finishes a due one. */
void cli_esp_rekey_tick(struct zcvpn_engine *e, void *ctx);
void cli_esp_rekey_wipe(struct cli_esp_rekey *r);

/* cli-args.c */
/* A number (decimal, or 0x hex) within [min, max].  0 or -EINVAL. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The first line of stdin, without its newline (--passwd-on-stdin).  0 or -EINVAL (said). */
int cli_read_password(char *buf, size_t len);

/* cli-output.c: how a command reports, shared by every command that runs a tunnel. */
struct cli_output {
	bool json;			/* --json: the report as one JSON object, one line */
	bool all_counters;		/* --stats: every counter, zero or not */
	double interval_s;		/* --interval: a progress line this often; 0: none */
};
enum { CLI_OPT_STATS = 0x1000, CLI_OPT_JSON, CLI_OPT_INTERVAL };
#define CLI_OUTPUT_LONG_OPTS                                            \
	{ "stats", no_argument, NULL, CLI_OPT_STATS },                  \
	{ "json", no_argument, NULL, CLI_OPT_JSON },                    \
	{ "interval", required_argument, NULL, CLI_OPT_INTERVAL }
#define CLI_OUTPUT_HELP                                                                     \
	"Report:\n"                                                                         \
	"  --stats                 every counter in the report, not only those that moved\n" \
	"  --json                  the report as one JSON object on one line (for scripts)\n" \
	"  --interval SEC          a progress line every SEC seconds (default 1 on a\n"      \
	"                          terminal, else 0: none)\n"
/* The defaults: --interval 1 when stdout is a terminal. */
void cli_output_init(struct cli_output *o);
/* 1 if opt is one of CLI_OUTPUT_LONG_OPTS (taken), 0 if not, -EINVAL (said why). */
int cli_output_option(struct cli_output *o, int opt, const char *arg);

/* A counter the driver keeps itself (CSTP's DPD, say), reported beside the engine's. */
struct cli_extra_counter {
	const char *name;
	const char *help;
	uint64_t value;
};

/* cli-progress.c: one line per interval while a tunnel runs, as iperf3 prints. */
struct cli_progress {
	FILE *f;			/* borrowed: stdout, or stderr under --json */
	double interval_s, start_s, last_s, next_s;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, drops;
	int state;			/* enum zcvpn_transport_state; -1: none seen yet */
};
void cli_progress_start(struct cli_progress *p, const struct cli_output *out);
/* Call often (every loop turn): prints a state change at once, counts at each interval. */
void cli_progress_tick(struct cli_progress *p, struct zcvpn_engine *e);
/* The same for the n engines of one tunnel (workers): counts summed, the first's state. */
void cli_progress_tick_all(struct cli_progress *p, struct zcvpn_engine *const *engines,
			   unsigned n);

/* cli-report.c */
struct json_writer;
struct cli_run {
	const char *role;
	char suite[80];			/* "aes128-gcm" or "aes128-cbc+hmac-sha1-96" */
	uint64_t expect;		/* packets the sink should see; 0: none */
	unsigned timeout_s;		/* give up after this long without progress */
	volatile int *interrupted;	/* set by SIGINT/SIGTERM */
	const struct cli_output *out;	/* NULL: the defaults, no progress */
	const struct cli_extra_counter *extra;	/* the driver's own, or NULL */
	size_t n_extra;
	/* More members of the --json report after the counters (a command's own); NULL: none. */
	void (*json_extra)(struct json_writer *w, const void *ctx);
	const void *json_ctx;
	/* Called every tick of cli_wait_done (a command's own work, a rekey); NULL: none. */
	void (*tick)(struct zcvpn_engine *e, void *ctx);
	void *tick_ctx;
};
/* CLOCK_MONOTONIC in seconds, for progress and throughput. */
double cli_now_s(void);
/* zcvpn_engine_get_stats with the size filled in. */
void cli_get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st);
/* Datagrams dropped for any reason: the sum of the ZCVPN_COUNTER_DROP counters. */
uint64_t cli_total_drops(struct zcvpn_engine *e);
/* The transport state as the report names it: "connecting", "up", "down", "closed". */
const char *cli_state_name(int state);
/* An event callback (zcvpn_config.event_fn) printing "zcvpn: SOURCE: MESSAGE" on stderr. */
void cli_print_event(void *ctx, const struct zcvpn_event *ev);
/*
 * The in-memory traffic of one end: the client stamps flow 1 and expects the server's
 * flow 2, and the reverse; half of it IPv6; each end its own seed.
 */
void cli_mem_roles(struct zcvpn_config *cfg, bool server);
/* Whether the mem-tun traffic is done: all sent, and what the sink expects seen. */
bool cli_traffic_done(const struct zcvpn_stats *st, const struct cli_run *run,
		      const struct zcvpn_config *cfg);
/* Waits for the mem-tun traffic to finish (or timeout/interrupt); returns 0 if clean. */
int cli_wait_done(struct zcvpn_engine *e, const struct cli_run *run, const struct zcvpn_config *cfg,
		  double *seconds);
/*
 * The end of a run, on stdout: by default for people (throughput each way, the sink's
 * verdict on in-memory traffic, copied_bytes, the transport's state, and the counters
 * that are not zero, grouped), every counter with --stats, one JSON object with --json.
 * Returns 0 if the in-memory traffic (if any) arrived whole and uncorrupted, else 1.
 */
int cli_report(struct zcvpn_engine *e, const struct cli_run *run, const struct zcvpn_config *cfg,
	       double seconds);

/*
 * cli-workers.c: one ESP tunnel over n engines (n > 1), one per queue of the multi-queue
 * tun base->tun_name, worker i on PORT + i with the key file's SA pair i.  base is
 * borrowed (its keys unused); run gives the role's suite, output and SIGINT flag,
 * rekey_requested the SIGHUP flag.  Prints each worker's report; the exit status.
 */
int cli_workers_run(const struct zcvpn_config *base, unsigned n, const char *key_file,
		    bool server, const struct cli_run *run, volatile int *rekey_requested);

/*
 * The exit statuses of every command (zcvpn.1, EXIT STATUS): scripts tell failures
 * apart by them, so a number never changes its meaning.
 */
enum cli_exit {
	CLI_EXIT_OK = 0,		/* done: interrupted, the traffic complete, a goodbye */
	CLI_EXIT_FAILED = 1,		/* the tunnel ran and failed: traffic lost or corrupt,
					 * the link lost, no traffic until the timeout */
	CLI_EXIT_USAGE = 2,		/* a bad option, or a file that could not be used */
	CLI_EXIT_UNREACHABLE = 3,	/* the server's name did not resolve, or TCP failed */
	CLI_EXIT_CERT = 4,		/* the server's certificate did not match the pin or
					 * the trust store */
	CLI_EXIT_LOGIN = 5,		/* the server refused the user name or password */
	CLI_EXIT_SESSION = 6,		/* the server refused the session (an expired
					 * cookie) or ended it */
	CLI_EXIT_PRIVILEGE = 7,		/* --tun without CAP_NET_ADMIN */
};

/*
 * cli-exit.c: the status for a failed login step's -errno: -EHOSTUNREACH, -ECONNREFUSED,
 * -ETIMEDOUT... unreachable; -EKEYREJECTED the certificate; -EACCES the credentials;
 * -EKEYEXPIRED the session (the caller turns a refused cookie into it: the server says
 * -EACCES there too); -EPERM privilege; -EINVAL usage; anything else CLI_EXIT_FAILED.
 */
int cli_exit_status(int err);

/* Commands: each returns the process exit status (enum cli_exit). */
int cmd_run(int argc, char **argv, bool server);
int cmd_demo(int argc, char **argv);
int cmd_genkey(int argc, char **argv);
int cmd_anyconnect(int argc, char **argv);
int cmd_serve_ppp(int argc, char **argv);
int cmd_serve_anyconnect(int argc, char **argv);
int cmd_connect_ppp(int argc, char **argv);

#endif /* ZCVPN_SRC_CLI_CLI_H */
