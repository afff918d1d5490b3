/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --interval: while a tunnel runs, one line per interval as iperf3 prints them (packets
 * and Mbit/s each way, datagrams dropped since the line before), and a line the moment
 * the transport's state changes, so a person watching sees DTLS come and go.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <inttypes.h>
#include <string.h>

void cli_progress_start(struct cli_progress *p, const struct cli_output *out)
{
	memset(p, 0, sizeof(*p));
	/* Under --json, stdout carries the report alone. */
	p->f = out && out->json ? stderr : stdout;
	p->interval_s = out ? out->interval_s : 0;
	p->start_s = cli_now_s();
	p->last_s = p->start_s;
	p->next_s = p->start_s + p->interval_s;
	p->state = -1;
}

static double mbit_s(uint64_t bytes, double seconds)
{
	return (double)bytes * 8 / (seconds > 1e-6 ? seconds : 1e-6) / 1e6;
}

static void print_interval(struct cli_progress *p, const struct zcvpn_stats *st,
			   uint64_t drops, double now)
{
	double from = p->last_s - p->start_s, to = now - p->start_s;

	fprintf(p->f, "[%7.2f-%7.2f s]  sent %8" PRIu64 " pkt %9.1f Mbit/s   received %8" PRIu64
		" pkt %9.1f Mbit/s   dropped %" PRIu64 "\n", from, to,
		st->tx_packets - p->tx_packets, mbit_s(st->tx_bytes - p->tx_bytes, to - from),
		st->rx_packets - p->rx_packets, mbit_s(st->rx_bytes - p->rx_bytes, to - from),
		drops - p->drops);
	fflush(p->f);
	p->tx_packets = st->tx_packets;
	p->tx_bytes = st->tx_bytes;
	p->rx_packets = st->rx_packets;
	p->rx_bytes = st->rx_bytes;
	p->drops = drops;
	p->last_s = now;
}

void cli_progress_tick(struct cli_progress *p, struct zcvpn_engine *e)
{
	cli_progress_tick_all(p, &e, e ? 1 : 0);
}

void cli_progress_tick_all(struct cli_progress *p, struct zcvpn_engine *const *engines,
			   unsigned n)
{
	struct zcvpn_stats st, sum;
	uint64_t drops = 0;
	double now;

	if (!p->interval_s || !n)
		return;
	now = cli_now_s();
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < n; i++) {
		cli_get_stats(engines[i], &st);
		if (i == 0) {
			sum.transport_state = st.transport_state;
			sum.transport_error = st.transport_error;
		}
		sum.tx_packets += st.tx_packets;
		sum.tx_bytes += st.tx_bytes;
		sum.rx_packets += st.rx_packets;
		sum.rx_bytes += st.rx_bytes;
		drops += cli_total_drops(engines[i]);
	}
	if ((int)sum.transport_state != p->state) {
		fprintf(p->f, "[%7.2f s]  transport %s%s%s\n", now - p->start_s,
			cli_state_name(sum.transport_state), sum.transport_error ? ": " : "",
			sum.transport_error ? strerror(-sum.transport_error) : "");
		fflush(p->f);
		p->state = (int)sum.transport_state;
	}
	if (now < p->next_s)
		return;
	print_interval(p, &sum, drops, now);
	/* After a long stall, start the next interval now rather than print a burst. */
	p->next_s += p->interval_s;
	if (p->next_s <= now)
		p->next_s = now + p->interval_s;
}
