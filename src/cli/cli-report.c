/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a driver run to finish, and printing what happened. */
#include "config.h"

#include "src/cli/cli.h"

#include <inttypes.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool traffic_done(const struct zcvpn_stats *st, const struct cli_run *run,
			 const struct zcvpn_config *cfg)
{
	uint64_t sunk = st->sink_good + st->sink_corrupt + st->sink_duplicate;
	bool sent_all = !cfg->mem_count ||
			(st->generator_done &&
			 st->tx_packets + st->tx_encap_errors >= st->tun_tx_packets);

	return cfg->tun == ZCVPN_TUN_MEM && sent_all && sunk >= run->expect &&
	       (cfg->mem_count || run->expect);
}

int cli_wait_done(struct zcvpn_engine *e, const struct cli_run *run,
		  const struct zcvpn_config *cfg, double *seconds)
{
	double start = now_s(), last_progress = start, first_rx = 0;
	uint64_t last_moved = 0;
	struct zcvpn_stats st;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (;;) {
		uint64_t moved;

		nanosleep(&tick, NULL);
		zcvpn_engine_get_stats(e, &st);
		moved = st.tx_packets + st.rx_packets;
		if (st.rx_packets && !first_rx)
			first_rx = now_s();
		if (moved != last_moved) {
			last_moved = moved;
			last_progress = now_s();
		}
		if (traffic_done(&st, run, cfg))
			break;
		if (run->interrupted && *run->interrupted)
			break;
		if (run->timeout_s && now_s() - last_progress > run->timeout_s) {
			fprintf(stderr, "zcvpn: %s: no traffic for %u s, stopping\n", run->role,
				run->timeout_s);
			break;
		}
	}
	/* Throughput counts from the first packet through the tunnel, not from start-up. */
	*seconds = now_s() - (first_rx ? first_rx : start);
	return 0;
}

static void rate(const char *what, uint64_t packets, uint64_t bytes, double seconds)
{
	double s = seconds > 1e-6 ? seconds : 1e-6;

	printf("  %-9s %10" PRIu64 " packets %10.1f MB %9.1f Mbit/s %10.0f pkt/s\n", what,
	       packets, (double)bytes / 1e6, (double)bytes * 8 / s / 1e6, (double)packets / s);
}

#define STAT(name) printf("stat %s %" PRIu64 "\n", #name, (uint64_t)st.name)

int cli_report(struct zcvpn_engine *e, const struct cli_run *run, const struct zcvpn_config *cfg,
	       double seconds)
{
	struct zcvpn_stats st;
	bool clean;

	zcvpn_engine_get_stats(e, &st);
	printf("zcvpn %s: %s %s, %s, %.2f s\n", run->role,
	       cfg->protocol == ZCVPN_PROTOCOL_ANYCONNECT ? "AnyConnect DTLS" : "ESP", run->suite,
	       zcvpn_crypto_backend(), seconds);
	rate("sent", st.tx_packets, st.tx_bytes, seconds);
	rate("received", st.rx_packets, st.rx_bytes, seconds);
	if (cfg->tun == ZCVPN_TUN_MEM)
		printf("  sink      good %" PRIu64 "  corrupt %" PRIu64 "  lost %" PRIu64
		       "  reordered %" PRIu64 "  duplicate %" PRIu64 "\n",
		       st.sink_good, st.sink_corrupt,
		       run->expect > st.sink_good ? run->expect - st.sink_good : 0,
		       st.sink_reordered, st.sink_duplicate);
	printf("  copied_bytes %" PRIu64 " (payload bytes copied in user space)\n", st.copied_bytes);
	printf("  drops     short %" PRIu64 " bad_spi %" PRIu64 " bad_icv %" PRIu64
	       " replay %" PRIu64 " too_old %" PRIu64 " bad_padding %" PRIu64
	       " bad_next_header %" PRIu64 " oversize %" PRIu64 " truncated %" PRIu64
	       " ring_full %" PRIu64 "\n",
	       st.rx_short, st.rx_bad_spi, st.rx_bad_icv, st.rx_replay, st.rx_too_old,
	       st.rx_bad_padding, st.rx_bad_next_header, st.rx_oversize, st.rx_truncated,
	       st.rx_ring_full);
	if (cfg->protocol == ZCVPN_PROTOCOL_ANYCONNECT)
		printf("  dtls      up %d  peer_closed %d  error %d  dpd sent/answered %" PRIu64 "/%" PRIu64
		       "  keepalive rx/tx %" PRIu64 "/%" PRIu64 "  bad_version %" PRIu64
		       " bad_epoch %" PRIu64 " bad_type %" PRIu64 " compressed %" PRIu64
		       " to_library %" PRIu64 "\n",
		       st.transport_up, st.peer_closed, st.transport_error, st.dpd_tx, st.dpd_rx,
		       st.keepalive_rx, st.keepalive_tx, st.rx_bad_version, st.rx_bad_epoch,
		       st.rx_bad_type, st.rx_compressed, st.rx_to_library);
	STAT(tx_packets); STAT(tx_bytes); STAT(rx_packets); STAT(rx_bytes);
	STAT(copied_bytes); STAT(send_calls); STAT(recv_calls); STAT(tx_gso_messages); STAT(tx_errors);
	STAT(tx_encap_errors); STAT(rx_ring_full); STAT(rx_truncated); STAT(rx_short);
	STAT(rx_bad_spi); STAT(rx_bad_icv); STAT(rx_replay); STAT(rx_too_old);
	STAT(rx_bad_padding); STAT(rx_bad_next_header); STAT(rx_oversize); STAT(rx_bad_length);
	STAT(rx_old_sa); STAT(probes_rx); STAT(probes_tx); STAT(tx_seq_exhausted);
	STAT(tun_tx_packets); STAT(tun_rx_packets); STAT(tun_tx_ring_full); STAT(tun_errors);
	STAT(tun_rx_writes); STAT(tun_rx_coalesced); STAT(tun_tx_segmented);
	STAT(ring_skipped_non_ip); STAT(sink_good); STAT(sink_corrupt); STAT(sink_lost);
	STAT(sink_reordered); STAT(sink_duplicate);
	STAT(rx_bad_version); STAT(rx_bad_epoch); STAT(rx_bad_type); STAT(rx_compressed);
	STAT(rx_to_library); STAT(rx_not_handshake); STAT(handshake_datagrams);
	STAT(handshake_failures); STAT(dtls_redials); STAT(dpd_rx); STAT(dpd_tx);
	STAT(keepalive_rx); STAT(keepalive_tx); STAT(dpd_answered); STAT(transport_up);
	STAT(peer_closed);
	printf("stat transport_error %d\n", st.transport_error);
	fflush(stdout);
	clean = st.sink_corrupt == 0 && st.sink_good >= run->expect;
	return clean ? 0 : 1;
}
