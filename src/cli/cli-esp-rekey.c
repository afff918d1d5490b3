/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP rekeys of `zcvpn connect|serve --key-file FILE`: on SIGHUP the file is read again
 * and, if it holds new SAs (new SPIs), the new inbound SA is installed at once and the
 * new outbound one CLI_ESP_SWITCH_S later.  Both ends are told (SIGHUP each, within that
 * time of each other), so each has its new inbound SA before the other sends on it,
 * which is the order zcvpn_engine_rekey asks for: nothing is lost across the switch, and
 * the old inbound SA stays open for the packets still in flight.  A file that cannot be
 * read, or that names the SAs in use, changes nothing and says why.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <inttypes.h>
#include <string.h>

/* The SAs of keys as this end uses them: in and out. */
static void sas_of(const struct cli_keys *keys, bool server, struct zcvpn_config *sas)
{
	memset(sas, 0, sizeof(*sas));
	cli_keys_apply(keys, sas, server);
}

void cli_esp_rekey_init(struct cli_esp_rekey *r, const char *path, unsigned worker,
			bool server, const struct cli_keys *current, volatile int *requested)
{
	struct zcvpn_config sas;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->worker = worker;
	r->server = server;
	r->requested = requested;
	sas_of(current, server, &sas);
	r->in_spi = sas.esp.in.spi;
	r->out_spi = sas.esp.out.spi;
}

static void install(struct cli_esp_rekey *r, struct zcvpn_engine *e, bool inbound)
{
	struct zcvpn_rekey rk;
	struct zcvpn_config sas;
	char err[256];

	sas_of(&r->next, r->server, &sas);
	memset(&rk, 0, sizeof(rk));
	if (inbound)
		rk.esp.in = &sas.esp.in;
	else
		rk.esp.out = &sas.esp.out;
	if (zcvpn_engine_rekey(e, &rk, err, sizeof(err))) {
		fprintf(stderr, "zcvpn: ESP rekey %u: %s\n", r->count, err);
		r->switch_at = 0;
		cli_keys_wipe(&r->next);
		return;
	}
	if (inbound) {
		r->in_spi = sas.esp.in.spi;
		fprintf(stderr, "zcvpn: ESP rekey %u: inbound SA 0x%08" PRIx32 " installed from %s;"
			" outbound switches in %d s\n", r->count, r->in_spi, r->path,
			CLI_ESP_SWITCH_S);
	} else {
		r->out_spi = sas.esp.out.spi;
		fprintf(stderr, "zcvpn: ESP rekey %u: outbound SA 0x%08" PRIx32 " in use; rekeyed\n",
			r->count, r->out_spi);
		cli_keys_wipe(&r->next);
	}
}

/* SIGHUP: the file again, and its inbound SA if it is new. */
static void start(struct cli_esp_rekey *r, struct zcvpn_engine *e, double now)
{
	struct zcvpn_config sas;

	if (r->switch_at) {
		fprintf(stderr, "zcvpn: ESP rekey %u still switching: SIGHUP ignored\n", r->count);
		return;
	}
	if (cli_keys_load(&r->next, r->path, r->worker, NULL)) {
		fprintf(stderr, "zcvpn: ESP rekey: %s not usable; the SAs in use stay\n", r->path);
		cli_keys_wipe(&r->next);
		return;
	}
	sas_of(&r->next, r->server, &sas);
	if (sas.esp.in.spi == r->in_spi || sas.esp.out.spi == r->out_spi) {
		fprintf(stderr, "zcvpn: ESP rekey: %s names an SPI in use (0x%08" PRIx32 " in, "
			"0x%08" PRIx32 " out): a rekey needs new SAs (zcvpn genkey); nothing changed\n",
			r->path, sas.esp.in.spi, sas.esp.out.spi);
		cli_keys_wipe(&r->next);
		return;
	}
	r->count++;
	r->switch_at = now + CLI_ESP_SWITCH_S;
	install(r, e, true);
}

void cli_esp_rekey_tick(struct zcvpn_engine *e, void *ctx)
{
	struct cli_esp_rekey *r = ctx;
	double now = cli_now_s();

	if (*r->requested) {
		*r->requested = 0;
		start(r, e, now);
	}
	if (r->switch_at && now >= r->switch_at) {
		r->switch_at = 0;
		install(r, e, false);
	}
}

void cli_esp_rekey_wipe(struct cli_esp_rekey *r)
{
	cli_keys_wipe(&r->next);
}
