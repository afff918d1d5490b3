/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PPP control plane on hostile control packets: one link (proto/ppp-link.c) and its
 * LCP, IPCP and IP6CP (ppp-lcp.c, ppp-ipcp.c, ppp-ip6cp.c) over the RFC 1661 automaton
 * (ppp-fsm.c), on a fake clock the input moves.  Config-Request/Ack/Nak/Reject option
 * parsing, the state machine, Code- and Protocol-Reject, echo, terminate and the timers.
 *
 * The first byte picks the link's configuration: bit 0 server, bit 1 HDLC (negotiate
 * ACCM), bit 2 no header compression, bits 3-4 the NCPs (IPv4, IPv6; neither means
 * both), bit 5 solicit DNS, bit 6 echo and keepalive timers.  Then up to 256 steps, each
 * an op byte; its low 3 bits say what:
 *  0-2  a packet for LCP, IPCP, IP6CP: a 16-bit length and its bytes (code, id, length,
 *       options), in a buffer of its exact size so ASan sees any byte read outside it;
 *  3    the same for the protocol in the next 16 bits (unknown ones, PAP, CCP, data);
 *  4    a peer that agrees: Configure-Ack of the link's last Configure-Request for
 *       protocol (op >> 3) % 3, same id and options;
 *  5    the clock moves (op >> 3) * 100 ms (31: to the next deadline) and timers run;
 *  6    (op >> 3) % 4: open, close, data received, data sent;
 *  7    Configure-Nak (op bit 3 clear) or -Reject of the last request for (op >> 4) % 3,
 *       its options as they were.
 * Every packet the link sends must be well formed (a length field that says its size,
 * no longer than the link builds) and what the link reports must agree with itself:
 * a failure has an error, the peer's MRU is one we may take, NCPs are open only in the
 * network phase.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-fsm.h"
#include "proto/ppp-link.h"
#include "src/util/byteorder.h"
#include "tests/fuzz/fuzz.h"

#define MS 1000000ull

enum {
	MAX_STEPS = 256,
	MAX_PACKET = 1600,
	NCPS = 3,
};

static const uint16_t protos[NCPS] = { PPP_PROTO_LCP, PPP_PROTO_IPCP, PPP_PROTO_IP6CP };

struct peer {
	/* The link's last Configure-Request per protocol, to answer it. */
	uint8_t req[NCPS][MAX_PACKET];
	size_t req_len[NCPS];
	unsigned sends;
};

static int proto_index(uint16_t proto)
{
	for (int i = 0; i < NCPS; i++)
		if (protos[i] == proto)
			return i;
	return -1;
}

static int peer_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct peer *p = ctx;
	int i = proto_index(proto);

	/* code, id, a length that is the packet's, and only the control protocols. */
	if (len < PPP_CP_HEADER || len > PPP_FSM_BUF || get_be16(pkt + 2) != len || i < 0)
		abort();
	p->sends++;
	if (pkt[0] == PPP_CONF_REQ) {
		memcpy(p->req[i], pkt, len);
		p->req_len[i] = len;
	}
	return 0;
}

static void peer_changed(void *ctx)
{
	(void)ctx;
}

static const struct ppp_link_ops peer_ops = { peer_send, peer_changed };

static void input(struct ppp_link *l, uint16_t proto, const uint8_t *data, size_t len,
		  uint64_t now)
{
	uint8_t *pkt = malloc(len ? len : 1);

	if (!pkt)
		abort();
	memcpy(pkt, data, len);
	ppp_link_input(l, proto, pkt, len, now);
	free(pkt);
}

/* Answers the link's last request for protocol i with code, its options unchanged. */
static void answer(struct ppp_link *l, struct peer *p, int i, uint8_t code, uint64_t now)
{
	uint8_t pkt[MAX_PACKET];
	size_t len = p->req_len[i];

	if (!len)
		return;
	memcpy(pkt, p->req[i], len);
	pkt[0] = code;
	input(l, protos[i], pkt, len, now);
}

/* An address in network byte order, as the config takes it. */
static uint32_t addr(uint8_t last)
{
	uint8_t b[4] = { 10, 11, 1, last };
	uint32_t a;

	memcpy(&a, b, 4);
	return a;
}

static struct ppp_link_config link_config(uint8_t mode)
{
	struct ppp_link_config c = {
		.server = mode & 1, .hdlc = mode & 2, .no_header_compression = mode & 4,
		.want_ipv4 = mode & 8, .want_ipv6 = mode & 16, .want_dns = mode & 32,
		.magic = 0x22222222,
	};
	static const uint8_t ifid_a[8] = { 0x02, 0, 0, 0, 0, 0, 0, 0x01 };
	static const uint8_t ifid_b[8] = { 0x02, 0, 0, 0, 0, 0, 0, 0x02 };

	if (!c.want_ipv4 && !c.want_ipv6)
		c.want_ipv4 = c.want_ipv6 = true;
	if (mode & 64) {
		c.echo_ms = 1000;
		c.keepalive_ms = 700;
	}
	if (c.server) {
		c.local_ipv4 = addr(1);
		c.peer_ipv4 = addr(2);
		c.dns[0] = addr(53);
		c.nbns[0] = addr(54);
		memcpy(c.local_ifid, ifid_a, 8);
		memcpy(c.peer_ifid, ifid_b, 8);
	}
	return c;
}

/* What the link reports agrees with itself after every step. */
static void check_link(const struct ppp_link *l)
{
	const struct ppp_negotiated *neg = ppp_link_negotiated(l);
	enum ppp_phase phase = ppp_link_phase(l);
	const char *why = NULL;
	int err = ppp_link_error(l, &why);

	if (phase > PPP_PHASE_FAILED || !why || (phase == PPP_PHASE_FAILED && err >= 0) ||
	    err > 0 || neg->peer_mru < PPP_MIN_MRU || neg->peer_mru > 65535 ||
	    ((neg->ipv4_open || neg->ipv6_open) && phase != PPP_PHASE_NETWORK))
		abort();
	(void)ppp_link_stats(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	struct ppp_link_config cfg = link_config(mode);
	static struct peer peer;
	struct ppp_link *l;
	uint64_t now = 1000 * MS;
	char err[128];

	memset(&peer, 0, sizeof(peer));
	if (ppp_link_new(&l, &cfg, &peer_ops, &peer, err, sizeof(err)))
		abort();
	ppp_link_open(l, now);
	for (int n = 0; n < MAX_STEPS && in.size; n++) {
		uint8_t op = fuzz_byte(&in), arg = op >> 3;
		uint16_t proto;
		size_t len;

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			proto = (op & 7) == 3 ? fuzz_u16(&in) : protos[op & 7];
			len = fuzz_u16(&in) % MAX_PACKET;
			if (len > in.size)
				len = in.size;
			input(l, proto, in.data, len, now);
			in.data += len;
			in.size -= len;
			break;
		case 4:
			answer(l, &peer, arg % NCPS, PPP_CONF_ACK, now);
			break;
		case 5: {
			uint64_t next = ppp_link_run_timers(l, now);

			if (arg == 31)
				now = next != UINT64_MAX && next > now ? next : now;
			else
				now += arg * 100 * MS;
			(void)ppp_link_run_timers(l, now);
			break;
		}
		case 6:
			switch (arg % 4) {
			case 0:
				ppp_link_open(l, now);
				break;
			case 1:
				ppp_link_close(l, now);
				break;
			case 2:
				ppp_link_note_rx(l, now);
				break;
			default:
				ppp_link_note_tx(l, now);
				break;
			}
			break;
		default:
			answer(l, &peer, (op >> 4) % NCPS, op & 8 ? PPP_CONF_REJ : PPP_CONF_NAK, now);
			break;
		}
		check_link(l);
		(void)ppp_link_data_open(l, PPP_PROTO_IPV4);
		(void)ppp_link_data_accepted(l, PPP_PROTO_IPV6);
		(void)ppp_link_ncps_settled(l);
		(void)ppp_link_tx_accm(l, PPP_PROTO_IPV4);
	}
	ppp_link_free(l);
	return 0;
}
