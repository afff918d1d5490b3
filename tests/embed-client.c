/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small VPN client embedding libzcvpn the way openconnect (--setup-tun-fd) or an
 * Android VpnService app would: built by tests/embed-pkgconfig.sh against the
 * *installed* library with `pkg-config --cflags --libs zcvpn`, it opens the tun device
 * itself and hands the engine its fd.  Its peer is a second engine in the same process
 * with the in-memory tun.
 *
 *   embed-client TUN_NAME LOCAL_ADDR PEER_ADDR
 *
 * TUN_NAME is a persistent tun (ip tuntap add) the caller has addressed as LOCAL_ADDR
 * on a /30 with PEER_ADDR on the other end.  Checks, both ways through the host's fd:
 * the peer engine's generated packets are written to the tun, and UDP datagrams this
 * program sends to PEER_ADDR (routed into the tun by the kernel) arrive at the peer.
 * Exit status 0 when both did and nothing was copied; a message on stderr otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zcvpn.h>

enum {
	GENERATED = 500,	/* peer -> us through the tun */
	DATAGRAMS = 20,		/* us -> peer through the tun */
	WAIT_S = 10,
};

static const uint8_t key_a[20] = "0123456789abcdefSALT";
static const uint8_t key_b[20] = "fedcba9876543210salt";

static int open_tun(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sa(struct zcvpn_esp_sa *s, uint32_t spi, const uint8_t *key)
{
	*s = (struct zcvpn_esp_sa){ .spi = spi, .enc = "aes128-gcm", .auth = "none",
				    .enc_key = key, .enc_key_len = sizeof(key_a) };
}

static void stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	zcvpn_engine_get_stats(e, st);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Datagrams to the peer's address: the kernel routes them into our tun. */
static int send_datagrams(const char *peer)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, peer, &to.sin_addr) != 1)
		return -1;
	for (int i = 0; i < DATAGRAMS; i++)
		if (sendto(fd, "zcvpn embed", 11, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return -1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct zcvpn_config cfg_us, cfg_peer;
	struct zcvpn_engine *us = NULL, *peer = NULL;
	struct zcvpn_stats st_us, st_peer;
	char err[256], remote[64];
	double deadline;
	int tun_fd, ok;

	if (argc != 4) {
		fprintf(stderr, "usage: embed-client TUN_NAME LOCAL_ADDR PEER_ADDR\n");
		return 2;
	}
	tun_fd = open_tun(argv[1]);
	if (tun_fd < 0) {
		fprintf(stderr, "embed-client: opening tun %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("embed-client: libzcvpn %s (%s), tun %s opened by the client, fd %d\n",
	       zcvpn_version(), zcvpn_crypto_backend(), argv[1], tun_fd);

	zcvpn_config_init(&cfg_peer);
	cfg_peer.local = "127.0.0.1:0";
	sa(&cfg_peer.esp.in, 0x1001, key_a);
	sa(&cfg_peer.esp.out, 0x2002, key_b);
	cfg_peer.mem_count = GENERATED;
	cfg_peer.mem_rate_pps = 5000;
	cfg_peer.esp.answer_probes = true;
	if (zcvpn_engine_new(&peer, &cfg_peer, err, sizeof(err))) {
		fprintf(stderr, "embed-client: peer engine: %s\n", err);
		return 1;
	}
	zcvpn_config_init(&cfg_us);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(peer));
	cfg_us.remote = remote;
	cfg_us.tun = ZCVPN_TUN_FD;
	cfg_us.tun_fd = tun_fd;
	sa(&cfg_us.esp.out, 0x1001, key_a);
	sa(&cfg_us.esp.in, 0x2002, key_b);
	cfg_us.esp.keepalive_ms = 1000;		/* the hello: the peer learns us at once */
	if (zcvpn_engine_new(&us, &cfg_us, err, sizeof(err))) {
		fprintf(stderr, "embed-client: engine: %s\n", err);
		return 1;
	}
	if (zcvpn_engine_start(peer, ZCVPN_START_THREAD) ||
	    zcvpn_engine_start(us, ZCVPN_START_THREAD)) {
		fprintf(stderr, "embed-client: starting the engines failed\n");
		return 1;
	}
	deadline = now_s() + WAIT_S;
	do {
		struct timespec tick = { 0, 20 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		stats(us, &st_us);
	} while (st_us.tun_rx_packets < GENERATED && now_s() < deadline);
	if (send_datagrams(argv[3]))
		fprintf(stderr, "embed-client: sending to %s: %s\n", argv[3], strerror(errno));
	do {
		struct timespec tick = { 0, 20 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		stats(peer, &st_peer);
	} while (st_peer.rx_packets < DATAGRAMS && now_s() < deadline);
	zcvpn_engine_stop(us);
	zcvpn_engine_stop(peer);
	stats(us, &st_us);
	stats(peer, &st_peer);
	printf("embed-client: into the tun %llu of %d packets; out of it %llu packets reached "
	       "the peer (%d datagrams sent); copied_bytes %llu + %llu\n",
	       (unsigned long long)st_us.tun_rx_packets, GENERATED,
	       (unsigned long long)st_peer.rx_packets, DATAGRAMS,
	       (unsigned long long)st_us.copied_bytes, (unsigned long long)st_peer.copied_bytes);
	ok = st_us.tun_rx_packets == GENERATED && st_peer.rx_packets >= DATAGRAMS &&
	     st_us.copied_bytes == 0 && st_peer.copied_bytes == 0;
	zcvpn_engine_free(us);
	zcvpn_engine_free(peer);
	/* The fd was lent, not given: it is still ours to close. */
	if (fcntl(tun_fd, F_GETFD) < 0) {
		fprintf(stderr, "embed-client: the engine closed the host's tun fd\n");
		ok = 0;
	}
	close(tun_fd);
	return ok ? 0 : 1;
}
