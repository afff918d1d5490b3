/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's defaults and the checks of its own part of the configuration; each
 * transport checks its own section (proto/transport.h).
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <string.h>

enum engine_defaults {
	DEFAULT_MTU = 1400,
	DEFAULT_RING_SIZE = 4u << 20,
	DEFAULT_BATCH = 32,
	DEFAULT_SOCK_BUF = 4u << 20,
	/*
	 * Against ocserv on this kind of machine, 500 us halves the client's CPU per byte of
	 * 100 us under bulk TCP and still keeps ping under that load below what openconnect
	 * shows (tests/ocserv-iperf.sh measures both); 1000 us saves a little more CPU but
	 * doubles ping under a download.
	 */
	DEFAULT_MODERATION_US = 500,
};

ZCVPN_EXPORT void zcvpn_config_init(struct zcvpn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->udp_fd = -1;
	cfg->tun_fd = -1;
	cfg->mtu = DEFAULT_MTU;
	cfg->ring_size = DEFAULT_RING_SIZE;
	cfg->batch = DEFAULT_BATCH;
	cfg->moderation_us = DEFAULT_MODERATION_US;
	cfg->sock_buf = DEFAULT_SOCK_BUF;
	cfg->tun = ZCVPN_TUN_MEM;
	cfg->mem_min_size = 64;
	cfg->mem_flow_id = 1;
	cfg->mem_expect_flow_id = 1;
	transport_classes_config_init(cfg);
}

static int check_tun(const struct zcvpn_config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->tun_multi_queue && cfg->tun != ZCVPN_TUN_LINUX)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "tun_multi_queue is for the Linux tun the engine opens (a host's "
				   "fd is one queue already; the in-memory tun has none)");
	if (cfg->tun_multi_queue && (!cfg->tun_name || !cfg->tun_name[0]))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "tun_multi_queue needs tun_name: the engines sharing the device "
				   "find it by name");
	switch (cfg->tun) {
	case ZCVPN_TUN_MEM:
	case ZCVPN_TUN_LINUX:
		return 0;
	case ZCVPN_TUN_FD:
		if (cfg->tun_fd < 0)
			return errbuf_fail(errbuf, errlen, -EINVAL,
					   "ZCVPN_TUN_FD needs the host's tun fd in tun_fd");
		return 0;
	default:
		return errbuf_fail(errbuf, errlen, -EINVAL, "unknown tun backend %d",
				   (int)cfg->tun);
	}
}

int engine_check_config(const struct zcvpn_config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->mtu < ENGINE_MIN_MTU || cfg->mtu > ENGINE_MAX_MTU)
		return errbuf_fail(errbuf, errlen, -EINVAL, "MTU %u out of range (%u..%u)",
				   cfg->mtu, ENGINE_MIN_MTU, ENGINE_MAX_MTU);
	if (cfg->moderation_us > ENGINE_MAX_MODERATION_US)
		return errbuf_fail(errbuf, errlen, -EINVAL, "moderation_us %u out of range (0..%u)",
				   cfg->moderation_us, ENGINE_MAX_MODERATION_US);
	if (cfg->batch < 1 || cfg->batch > ENGINE_MAX_BATCH)
		return errbuf_fail(errbuf, errlen, -EINVAL, "batch %u out of range (1..%u)",
				   cfg->batch, ENGINE_MAX_BATCH);
	if (cfg->udp_fd >= 0 && cfg->local)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a host socket (udp_fd) is bound already: give no local address");
	if (cfg->udp_fd < 0 && !cfg->local && !cfg->remote)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "need a local address, a remote one, or both (or a host socket)");
	return check_tun(cfg, errbuf, errlen);
}
