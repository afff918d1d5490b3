/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: in-memory datagram queues and a client/server dtls_session pair with a
 * bounded handshake driver (see dtls-pair.h).  No Check here, so bench_dtls links it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "tests/dtls-pair.h"

enum {
	NAP_MS = 5,
};

int mem_wire_send(void *ctx, const void *buf, size_t len)
{
	struct mem_wire *w = ctx;
	unsigned slot;

	if (w->count == MEM_WIRE_SLOTS || len > MEM_WIRE_DGRAM_MAX)
		return -EAGAIN;
	slot = (w->head + w->count++) % MEM_WIRE_SLOTS;
	memcpy(w->buf[slot], buf, len);
	w->len[slot] = len;
	return 0;
}

size_t mem_wire_pop(struct mem_wire *w, uint8_t *out)
{
	size_t len;

	if (!w->count)
		return 0;
	len = w->len[w->head];
	memcpy(out, w->buf[w->head], len);
	w->head = (w->head + 1) % MEM_WIRE_SLOTS;
	w->count--;
	return len;
}

int mem_wire_deliver(struct mem_wire *w, struct dtls_session *to)
{
	int ret;

	while (w->count) {
		ret = dtls_input(to, w->buf[w->head], w->len[w->head]);
		w->head = (w->head + 1) % MEM_WIRE_SLOTS;
		w->count--;
		if (ret)
			return ret;
	}
	return 0;
}

void dtls_pair_config(struct dtls_config *cfg, enum dtls_role role, unsigned suites,
		      struct mem_wire *out)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = role;
	cfg->suites = suites;
	cfg->psk_identity = "zcvpn-test";
	for (unsigned i = 0; i < DTLS_PSK_LEN; i++)
		cfg->psk[i] = (uint8_t)(0x5a ^ i * 7);
	cfg->mtu = 1500;
	/*
	 * The pair drives both ends and loses nothing, so a retransmission is never needed;
	 * one would only add records the tests count (OpenSSL's timer runs on real time, and
	 * a loaded machine stalls a test for more than a short timeout).
	 */
	cfg->retrans_ms = 1000;
	cfg->handshake_timeout_ms = 5000;
	cfg->send = mem_wire_send;
	cfg->send_ctx = out;
}

void dtls_pair_cert_config(struct dtls_config *cfg, enum dtls_role role, unsigned suites,
			   const struct dtls_credentials *creds, struct mem_wire *out)
{
	dtls_pair_config(cfg, role, suites, out);
	cfg->mode = DTLS_MODE_CERT;
	cfg->psk_identity = NULL;
	memset(cfg->psk, 0, sizeof(cfg->psk));
	cfg->creds = creds;
}

int dtls_pair_open(struct dtls_pair *p, const struct dtls_config *ccfg,
		   const struct dtls_config *scfg)
{
	struct dtls_config cfg;
	int ret;

	cfg = *ccfg;
	cfg.send = mem_wire_send;
	cfg.send_ctx = &p->c2s;
	ret = dtls_session_new(&p->client, &cfg);
	if (ret)
		return ret;
	cfg = *scfg;
	cfg.send = mem_wire_send;
	cfg.send_ctx = &p->s2c;
	ret = dtls_session_new(&p->server, &cfg);
	if (ret)
		dtls_pair_close(p);
	return ret;
}

void dtls_pair_close(struct dtls_pair *p)
{
	dtls_session_free(p->client);
	dtls_session_free(p->server);
	p->client = p->server = NULL;
}

int dtls_pair_handshake(struct dtls_pair *p, unsigned rounds, unsigned nap_from,
			struct dtls_session **failed)
{
	struct dtls_session *bad = NULL;
	int rc = -EAGAIN, rs = -EAGAIN, ret = 0;

	for (unsigned i = 0; i < rounds && (rc || rs); i++) {
		if (i >= nap_from)
			test_sleep_ms(NAP_MS);
		if (rc)
			rc = dtls_handshake(p->client);
		if (rc && rc != -EAGAIN) {
			bad = p->client;
			ret = rc;
			break;
		}
		ret = mem_wire_deliver(&p->c2s, p->server);
		if (ret) {
			bad = p->server;
			break;
		}
		if (rs)
			rs = dtls_handshake(p->server);
		if (rs && rs != -EAGAIN) {
			bad = p->server;
			ret = rs;
			break;
		}
		ret = mem_wire_deliver(&p->s2c, p->client);
		if (ret) {
			bad = p->client;
			break;
		}
	}
	if (!bad && (rc || rs)) {
		bad = rc ? p->client : p->server;
		ret = -ETIMEDOUT;
	}
	if (failed)
		*failed = bad;
	return ret;
}

const char *dtls_pair_who(const struct dtls_pair *p, const struct dtls_session *s)
{
	return s == p->client ? "client" : s == p->server ? "server" : "neither side";
}

int dtls_pair_settle(struct dtls_pair *p, unsigned rounds, unsigned nap_ms, int *rc,
		     int *rs)
{
	int ret = 0;

	*rc = -EAGAIN;
	*rs = -EAGAIN;
	for (unsigned i = 0; i < rounds && (*rc == -EAGAIN || *rs == -EAGAIN); i++) {
		if (*rc == -EAGAIN)
			*rc = dtls_handshake(p->client);
		ret = mem_wire_deliver(&p->c2s, p->server);
		if (ret)
			break;
		if (*rs == -EAGAIN)
			*rs = dtls_handshake(p->server);
		ret = mem_wire_deliver(&p->s2c, p->client);
		if (ret)
			break;
		test_sleep_ms(nap_ms);
	}
	return ret;
}

void test_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void test_pkt_over(struct pkt *pkt, uint8_t *room, size_t size, uint32_t at, uint32_t len)
{
	pkt->head = room;
	pkt->end = room + size;
	pkt->data = room + at;
	pkt->len = len;
}
