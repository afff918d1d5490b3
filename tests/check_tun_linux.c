/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Linux tun backend against a real /dev/net/tun device.  Needs CAP_NET_ADMIN: without
 * it (or without /dev/net/tun, or without network namespaces) only the configuration
 * checks run and the program exits 77 (skipped).
 *
 * The process moves into a network namespace of its own before any device exists, so
 * every packet stays inside it and everything vanishes when the process exits, on any
 * path.  Inside: a tun with 10.200.0.1/24 (and fd00:200::1/64 for the IPv6 rows); UDP
 * sent to 10.200.0.2 (fd00:200::2) must come out of the tx ring intact, and IP/UDP
 * packets built in rx records (peer -> us) must reach a socket bound in the namespace.
 * Also: the stop drain, drops when nobody empties the tx ring, names, a corrupt ring, the
 * interface deleted under the running thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"
#include "src/tun.h"

enum {
	EXIT_SKIP = 77,
	MTU = 1400,
	NPKT = 64,
	WAIT_MS = 5000,			/* any single wait in a test */
	TX_PORT = 9999,			/* namespace -> tun */
	RX_SPORT = 5555,		/* tun -> namespace */
	RX_DPORT = 7777,
	CAP_NET_ADMIN_BIT = 12,
	OVERALL_DEADLINE_S = 60,
};

static const struct ring_params tx_params = {
	.capacity = 1u << 20, .max_payload = 1500, .lead = 32, .trail = 64, .align = 16,
	.ip_only = true,
};

static const struct ring_params rx_params = {
	.capacity = 1u << 20, .max_payload = 1500, .lead = 32, .trail = 64, .align = 16,
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- packets -------------------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Test payload i: its index, then bytes that depend on index and position. */
static uint32_t payload_len(uint32_t i)
{
	return 4 + i * 53 % 1300;
}

static void fill_payload(uint8_t *p, uint32_t i)
{
	put32(p, i);
	for (uint32_t j = 4; j < payload_len(i); j++)
		p[j] = (uint8_t)(i * 31 + j * 7 + 1);
}

/* Returns the index of a well-formed test payload, or -1. */
static int check_payload(const uint8_t *p, uint32_t len)
{
	uint32_t i;

	if (len < 4)
		return -1;
	i = get32(p);
	if (i >= NPKT || len != payload_len(i))
		return -1;
	for (uint32_t j = 4; j < len; j++)
		if (p[j] != (uint8_t)(i * 31 + j * 7 + 1))
			return -1;
	return (int)i;
}

/* What differs between the IPv4 and the IPv6 runs. */
struct family {
	int af;
	uint32_t hdr;			/* IP header bytes */
	uint32_t alen;			/* address bytes */
	uint32_t src_off, dst_off;	/* of the addresses in the IP header */
	uint8_t local[16], peer[16];	/* ours and the (absent) peer's behind the tun */
};

static const struct family ipv4 = {
	.af = AF_INET, .hdr = 20, .alen = 4, .src_off = 12, .dst_off = 16,
	.local = { 10, 200, 0, 1 }, .peer = { 10, 200, 0, 2 },
};

static const struct family ipv6 = {
	.af = AF_INET6, .hdr = 40, .alen = 16, .src_off = 8, .dst_off = 24,
	.local = { 0xfd, 0, 2, 0, [15] = 1 }, .peer = { 0xfd, 0, 2, 0, [15] = 2 },
};

/*
 * UDP checksum over the pseudo header and the datagram.  The IPv4 and IPv6 pseudo
 * headers differ only in zero padding, so they sum the same.
 */
static uint16_t udp_checksum(const struct family *fam, const uint8_t *src, const uint8_t *dst,
			     const uint8_t *udp, uint32_t len)
{
	uint32_t sum = IPPROTO_UDP + len;

	sum = sum16(sum, src, fam->alen);
	sum = sum16(sum, dst, fam->alen);
	return fold(sum16(sum, udp, len));
}

static void ip_header(const struct family *fam, uint8_t *p, uint32_t len, uint32_t id)
{
	memset(p, 0, fam->hdr);
	if (fam->af == AF_INET) {
		p[0] = 0x45;
		put16(p + 2, (uint16_t)len);
		put16(p + 4, (uint16_t)id);
		p[8] = 64;
		p[9] = IPPROTO_UDP;
	} else {
		p[0] = 0x60;
		put16(p + 4, (uint16_t)(len - fam->hdr));
		p[6] = IPPROTO_UDP;
		p[7] = 64;
	}
	memcpy(p + fam->src_off, fam->peer, fam->alen);
	memcpy(p + fam->dst_off, fam->local, fam->alen);
	if (fam->af == AF_INET)
		put16(p + 10, fold(sum16(0, p, 20)));
}

/* Builds IP/UDP peer:RX_SPORT -> local:RX_DPORT with payload i into p. */
static uint32_t build_udp(const struct family *fam, uint8_t *p, uint32_t i)
{
	uint32_t udp_len = 8 + payload_len(i), len = fam->hdr + udp_len;
	uint8_t *udp = p + fam->hdr;

	ip_header(fam, p, len, i);
	put16(udp, RX_SPORT);
	put16(udp + 2, RX_DPORT);
	put16(udp + 4, (uint16_t)udp_len);
	put16(udp + 6, 0);
	fill_payload(udp + 8, i);
	put16(udp + 6, udp_checksum(fam, fam->peer, fam->local, udp, udp_len));
	return len;
}

/*
 * Checks a packet read from the tun.  Returns the test payload's index when it is one of
 * ours (asserting it is intact), -1 for other traffic (IPv6 MLD and the like).
 */
static int check_tx_packet(const struct family *fam, const uint8_t *p, uint32_t len)
{
	const uint8_t *udp = p + fam->hdr;
	uint32_t udp_len = len - fam->hdr;
	int i;

	if (len < fam->hdr + 8 || p[0] >> 4 != (fam->af == AF_INET ? 4 : 6) ||
	    p[fam->af == AF_INET ? 9 : 6] != IPPROTO_UDP ||
	    memcmp(p + fam->dst_off, fam->peer, fam->alen) || get16(udp + 2) != TX_PORT)
		return -1;
	if (fam->af == AF_INET) {
		ck_assert_uint_eq(p[0], 0x45);		/* no options */
		ck_assert_uint_eq(get16(p + 2), len);
		ck_assert_uint_eq(fold(sum16(0, p, 20)), 0);
	} else {
		ck_assert_uint_eq(get16(p + 4), udp_len);
	}
	ck_assert(!memcmp(p + fam->src_off, fam->local, fam->alen));
	ck_assert_uint_eq(get16(udp + 4), udp_len);
	/* Zero would mean "none" in IPv4; the kernel always fills it in for us. */
	ck_assert_uint_ne(get16(udp + 6), 0);
	ck_assert_uint_eq(udp_checksum(fam, fam->local, fam->peer, udp, udp_len), 0);
	i = check_payload(udp + 8, udp_len - 8);
	ck_assert_msg(i >= 0, "a test datagram came out of the tun mangled");
	return i;
}

/* ---- namespace plumbing --------------------------------------------------------------- */

static int udp_socket(const struct family *fam)
{
	int s = socket(fam->af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(s >= 0, "socket: %s", strerror(errno));
	return s;
}

static socklen_t make_sockaddr(const struct family *fam, const uint8_t *addr, uint16_t port,
			       struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (fam->af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, addr, 16);
	return sizeof(*sin6);
}

/* The kernel's struct in6_ifreq, which libc headers do not offer. */
struct in6_ifreq_compat {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/*
 * `ip addr add 10.200.0.1/24 dev name` (or fd00:200::1/64), through the old ioctls so no
 * tool is needed.
 */
static void add_address(const struct family *fam, const char *name)
{
	int s = udp_socket(fam);

	if (fam->af == AF_INET) {
		struct ifreq ifr;
		struct sockaddr_in sin = { .sin_family = AF_INET };

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		memcpy(&sin.sin_addr, fam->local, 4);
		memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
		ck_assert_msg(ioctl(s, SIOCSIFADDR, &ifr) == 0, "SIOCSIFADDR: %s",
			      strerror(errno));
		sin.sin_addr.s_addr = htonl(0xffffff00u);
		memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
		ck_assert_msg(ioctl(s, SIOCSIFNETMASK, &ifr) == 0, "SIOCSIFNETMASK: %s",
			      strerror(errno));
	} else {
		struct in6_ifreq_compat req = { .prefixlen = 64,
						.ifindex = (int)if_nametoindex(name) };

		memcpy(&req.addr, fam->local, 16);
		ck_assert_msg(ioctl(s, SIOCSIFADDR, &req) == 0, "SIOCSIFADDR (IPv6): %s",
			      strerror(errno));
	}
	close(s);
}

/*
 * A socket bound to our address: as receiver on RX_DPORT, as sender (port 0) so the
 * source is ours and not whatever else the device has.
 */
static int bound_socket(const struct family *fam, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(fam, fam->local, port, &ss);
	int s = udp_socket(fam), size = 1 << 20;
	uint64_t deadline = now_ms() + WAIT_MS;
	int ret;

	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
	/* A fresh IPv6 address stays tentative until the DAD work item runs, even on tun. */
	while ((ret = bind(s, (struct sockaddr *)&ss, sl)) < 0 && errno == EADDRNOTAVAIL &&
	       now_ms() < deadline)
		sleep_ms(5);
	ck_assert_msg(ret == 0, "bind: %s", strerror(errno));
	return s;
}

struct fixture {
	struct ring *tx, *rx;
	struct tun *tun;
	char name[IFNAMSIZ];
};

static void fixture_up(struct fixture *f, const struct ring_params *txp,
		       const struct family *fam)
{
	struct tun_linux_config cfg = { .name = f->name, .mtu = MTU };
	static unsigned int serial;
	int ret;

	/* Each test runs in its own child; pid and serial keep names apart anyway. */
	snprintf(f->name, sizeof(f->name), "zcvpn%d.%u", (int)getpid() % 100000, serial++);
	ck_assert_int_eq(ring_new(&f->tx, txp), 0);
	ck_assert_int_eq(ring_new(&f->rx, &rx_params), 0);
	ret = tun_linux_new(&f->tun, &cfg, f->tx, f->rx);
	ck_assert_msg(ret == 0, "tun_linux_new: %s", strerror(-ret));
	ck_assert_str_eq(tun_name(f->tun), f->name);
	add_address(&ipv4, f->name);
	if (fam != &ipv4)
		add_address(fam, f->name);
	ck_assert_int_eq(tun_start(f->tun), 0);
}

static void fixture_down(struct fixture *f)
{
	struct tun_stats st;

	tun_get_stats(f->tun, &st);
	ck_assert_int_eq(st.error, 0);
	tun_free(f->tun);
	ring_free(f->tx);
	ring_free(f->rx);
}

static void send_test_datagrams(const struct family *fam, uint32_t first, uint32_t n)
{
	struct sockaddr_storage to;
	socklen_t tolen = make_sockaddr(fam, fam->peer, TX_PORT, &to);
	uint8_t buf[1400];
	int s = bound_socket(fam, 0);

	for (uint32_t i = first; i < first + n; i++) {
		fill_payload(buf, i);
		ck_assert_msg(sendto(s, buf, payload_len(i), 0, (struct sockaddr *)&to, tolen) ==
			      (ssize_t)payload_len(i), "sendto: %s", strerror(errno));
	}
	close(s);
}

/* Takes records off the tx ring until every index in [first, first + n) was seen. */
static void collect_tx(const struct family *fam, struct ring *tx, uint32_t first, uint32_t n)
{
	uint64_t deadline = now_ms() + WAIT_MS;
	bool seen[NPKT] = { false };
	uint32_t got = 0;
	struct ring_rec rec;

	while (got < n) {
		int ret = ring_peek(tx, &rec), i;

		if (ret == -EAGAIN) {
			ck_assert_msg(now_ms() < deadline, "%u of %u datagrams came out", got, n);
			ret = ring_wait(tx, 100);
			ck_assert(ret == 0 || ret == -ETIMEDOUT || ret == -EAGAIN);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		i = check_tx_packet(fam, rec.payload, rec.size);
		if (i >= 0) {
			ck_assert_msg(i >= (int)first && i < (int)(first + n), "stray index %d", i);
			ck_assert_msg(!seen[i], "datagram %d came out twice", i);
			seen[i] = true;
			got++;
		}
		ck_assert_int_eq(ring_release(tx, &rec), 0);
	}
	ck_assert_int_eq(ring_consumer_flush(tx), 0);
}

/* Builds the packets where they will lie, as a decrypting engine would. */
static void commit_rx(const struct family *fam, struct ring *rx, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct ring_rec rec;

		ck_assert_int_eq(ring_reserve(rx, fam->hdr + 8 + payload_len(i), &rec), 0);
		ck_assert_uint_eq(build_udp(fam, rec.payload, i), rec.size);
		ck_assert_int_eq(ring_commit(rx, &rec), 0);
		if (i % 16 == 15)
			ck_assert_int_ge(ring_publish(rx), 0);
	}
	ck_assert_int_ge(ring_publish(rx), 0);
}

/* Receives n test datagrams on s, each from peer:RX_SPORT and intact. */
static void receive_rx(const struct family *fam, int s, uint32_t n)
{
	uint64_t deadline = now_ms() + WAIT_MS;
	bool seen[NPKT] = { false };
	struct sockaddr_storage expect;
	socklen_t expect_len = make_sockaddr(fam, fam->peer, RX_SPORT, &expect);
	uint8_t buf[2048];

	for (uint32_t got = 0; got < n; got++) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t len;
		int i;

		ck_assert_msg(now_ms() < deadline && poll(&pfd, 1, WAIT_MS) == 1,
			      "%u of %u packets reached the socket", got, n);
		memset(&from, 0, sizeof(from));
		len = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		ck_assert_int_gt(len, 0);
		ck_assert_uint_eq(fromlen, expect_len);
		if (fam->af == AF_INET6)	/* the kernel fills in the scope and flow info */
			((struct sockaddr_in6 *)&from)->sin6_scope_id = 0;
		ck_assert_msg(!memcmp(&from, &expect, expect_len), "from the wrong address");
		i = check_payload(buf, (uint32_t)len);
		ck_assert_msg(i >= 0, "a packet reached the socket mangled");
		ck_assert_msg(!seen[i], "packet %d arrived twice", i);
		seen[i] = true;
	}
}

/* ---- device tests --------------------------------------------------------------------- */

START_TEST(test_link_setup)
{
	struct fixture f;
	struct ifreq ifr;
	int s;

	fixture_up(&f, &tx_params, &ipv4);
	s = udp_socket(&ipv4);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", f.name);
	ck_assert_int_eq(ioctl(s, SIOCGIFMTU, &ifr), 0);
	ck_assert_int_eq(ifr.ifr_mtu, MTU);
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ck_assert(ifr.ifr_flags & IFF_UP);
	ck_assert(ifr.ifr_flags & IFF_POINTOPOINT);	/* IFF_TUN: layer 3 */
	close(s);
	fixture_down(&f);
}
END_TEST

static const struct family *const families[] = { &ipv4, &ipv6 };

/* IPv6 can be disabled on the kernel command line; the IPv6 rows then pass vacuously. */
static bool family_missing(const struct family *fam)
{
	int s = socket(fam->af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		printf("note: no IPv6 here (%s); IPv6 rows not run\n", strerror(errno));
		return true;
	}
	close(s);
	return false;
}

START_TEST(test_device_to_tx_ring)
{
	const struct family *fam = families[_i];
	struct fixture f;
	struct tun_stats st;
	uint64_t bytes = 0;

	if (family_missing(fam))
		return;
	fixture_up(&f, &tx_params, fam);
	send_test_datagrams(fam, 0, NPKT);
	collect_tx(fam, f.tx, 0, NPKT);
	for (uint32_t i = 0; i < NPKT; i++)
		bytes += fam->hdr + 8 + payload_len(i);
	tun_get_stats(f.tun, &st);
	ck_assert_uint_ge(st.tx_packets, NPKT);
	ck_assert_uint_ge(st.tx_bytes, bytes);
	ck_assert_uint_eq(st.tx_ring_full, 0);
	ck_assert_uint_eq(st.tx_errors, 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_rx_ring_to_device)
{
	const struct family *fam = families[_i];
	struct fixture f;
	struct tun_stats st;
	int s;

	if (family_missing(fam))
		return;
	fixture_up(&f, &tx_params, fam);
	s = bound_socket(fam, RX_DPORT);
	commit_rx(fam, f.rx, NPKT);
	receive_rx(fam, s, NPKT);
	tun_get_stats(f.tun, &st);
	ck_assert_uint_eq(st.rx_packets, NPKT);
	ck_assert_uint_eq(st.rx_errors, 0);
	close(s);
	fixture_down(&f);
}
END_TEST

/* Both directions at once, several rounds, so reads and writes interleave on one thread. */
START_TEST(test_both_directions)
{
	const struct family *fam = families[_i];
	struct fixture f;
	int s;

	if (family_missing(fam))
		return;
	fixture_up(&f, &tx_params, fam);
	s = bound_socket(fam, RX_DPORT);
	for (int round = 0; round < 4; round++) {
		send_test_datagrams(fam, 0, NPKT);
		commit_rx(fam, f.rx, NPKT);
		collect_tx(fam, f.tx, 0, NPKT);
		receive_rx(fam, s, NPKT);
	}
	close(s);
	fixture_down(&f);
}
END_TEST

/* tun_stop() writes what is already published before it returns. */
START_TEST(test_stop_writes_published)
{
	struct fixture f;
	struct tun_stats st;
	int s;

	fixture_up(&f, &tx_params, &ipv4);
	s = bound_socket(&ipv4, RX_DPORT);
	commit_rx(&ipv4, f.rx, NPKT);
	tun_stop(f.tun);
	tun_get_stats(f.tun, &st);
	ck_assert_uint_eq(st.rx_packets, NPKT);
	receive_rx(&ipv4, s, NPKT);
	close(s);
	fixture_down(&f);
}
END_TEST

/* Nobody drains the tx ring: packets are dropped and counted, and the thread lives on. */
START_TEST(test_tx_ring_full_drops)
{
	struct ring_params small = tx_params;
	uint64_t deadline;
	struct fixture f;
	struct tun_stats st;

	small.capacity = 1u << 12;
	fixture_up(&f, &small, &ipv4);
	send_test_datagrams(&ipv4, 0, NPKT);
	deadline = now_ms() + WAIT_MS;
	do {
		ck_assert_msg(now_ms() < deadline, "the tun thread did not take the packets");
		sleep_ms(5);
		tun_get_stats(f.tun, &st);
	} while (st.tx_packets + st.tx_ring_full < NPKT);
	ck_assert_uint_gt(st.tx_ring_full, 0);
	ck_assert_uint_gt(st.tx_packets, 0);
	/* Once the engine catches up, packets flow again. */
	ring_consumer_flush(f.tx);
	for (struct ring_rec rec; ring_peek(f.tx, &rec) == 0;)
		ck_assert_int_eq(ring_release(f.tx, &rec), 0);
	ck_assert_int_eq(ring_consumer_flush(f.tx), 0);
	send_test_datagrams(&ipv4, 0, 4);
	collect_tx(&ipv4, f.tx, 0, 4);
	fixture_down(&f);
}
END_TEST

START_TEST(test_names)
{
	struct tun_linux_config cfg = { .mtu = MTU };
	struct ring *tx = NULL, *rx = NULL;
	struct tun *a = NULL, *b = NULL;
	int ret;

	ck_assert_int_eq(ring_new(&tx, &tx_params), 0);
	ck_assert_int_eq(ring_new(&rx, &rx_params), 0);
	/* No name: the kernel picks tunN. */
	ck_assert_int_eq(tun_linux_new(&a, &cfg, tx, rx), 0);
	ck_assert_msg(!strncmp(tun_name(a), "tun", 3), "kernel picked \"%s\"", tun_name(a));
	/* The same name again: the device is busy, and the failure leaks nothing. */
	cfg.name = tun_name(a);
	ret = tun_linux_new(&b, &cfg, tx, rx);
	ck_assert_msg(ret == -EBUSY, "second open: %d", ret);
	tun_free(a);
	ring_free(tx);
	ring_free(rx);
}
END_TEST

/* A scribbled tail in the rx ring: the sleeping thread wakes, stops and says why. */
START_TEST(test_corrupt_rx_ring_stops_thread)
{
	uint64_t deadline, one = 1;
	struct fixture f;
	struct tun_stats st;

	fixture_up(&f, &tx_params, &ipv4);
	sleep_ms(20);
	atomic_store(&ring_shared(f.rx)->tail, 3);
	ck_assert_int_eq(write(ring_event_fd(f.rx), &one, sizeof(one)), (ssize_t)sizeof(one));
	deadline = now_ms() + WAIT_MS;
	do {
		ck_assert_msg(now_ms() < deadline, "the thread did not notice");
		sleep_ms(1);
		tun_get_stats(f.tun, &st);
	} while (!st.error);
	ck_assert_int_eq(st.error, -EBADMSG);
	tun_free(f.tun);
	ring_free(f.tx);
	ring_free(f.rx);
}
END_TEST

/* The interface is deleted under the thread: it must stop with -EIO, not spin. */
START_TEST(test_device_removed)
{
	const char *ip = access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" :
			 access("/sbin/ip", X_OK) == 0 ? "/sbin/ip" : NULL;
	char cmd[128];
	uint64_t deadline;
	struct fixture f;
	struct tun_stats st;

	if (!ip) {
		printf("note: no ip(8) here; device removal not tested\n");
		return;
	}
	fixture_up(&f, &tx_params, &ipv4);
	snprintf(cmd, sizeof(cmd), "%s link del dev %s", ip, f.name);
	ck_assert_int_eq(system(cmd), 0);
	deadline = now_ms() + WAIT_MS;
	do {
		ck_assert_msg(now_ms() < deadline, "the thread did not notice");
		sleep_ms(1);
		tun_get_stats(f.tun, &st);
	} while (!st.error);
	ck_assert_int_eq(st.error, -EIO);
	tun_free(f.tun);
	ring_free(f.tx);
	ring_free(f.rx);
}
END_TEST

/* ---- configuration (no privileges needed: checked before the device is opened) -------- */

static const struct {
	const char *name;
	uint32_t mtu;
} bad_config_table[] = {
	{ NULL, 67 },
	{ NULL, 0 },
	{ NULL, 65536 },
	{ NULL, 1501 },				/* above the tx ring's max_payload */
	{ "zcvpn-0123456789", 1400 },		/* 16 characters: no room for the NUL */
	{ "a/b", 1400 },
	{ "..", 1400 },
};

START_TEST(test_bad_config)
{
	struct tun_linux_config cfg = { bad_config_table[_i].name, bad_config_table[_i].mtu };
	struct ring *tx = NULL, *rx = NULL;
	struct tun *tun = NULL;

	ck_assert_int_eq(ring_new(&tx, &tx_params), 0);
	ck_assert_int_eq(ring_new(&rx, &rx_params), 0);
	ck_assert_int_eq(tun_linux_new(&tun, &cfg, tx, rx), -EINVAL);
	ck_assert_ptr_null(tun);
	ck_assert_int_eq(tun_linux_new(&tun, NULL, tx, rx), -EINVAL);
	ring_free(tx);
	ring_free(rx);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("tun_linux_config");
	TCase *tc = tcase_create("config");

	tcase_add_loop_test(tc, test_bad_config, 0,
			    sizeof(bad_config_table) / sizeof(bad_config_table[0]));
	suite_add_tcase(s, tc);
	return s;
}

static Suite *device_suite(void)
{
	Suite *s = suite_create("tun_linux");
	TCase *tc = tcase_create("device");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_link_setup);
	tcase_add_loop_test(tc, test_device_to_tx_ring, 0, 2);
	tcase_add_loop_test(tc, test_rx_ring_to_device, 0, 2);
	tcase_add_loop_test(tc, test_both_directions, 0, 2);
	tcase_add_test(tc, test_stop_writes_published);
	tcase_add_test(tc, test_tx_ring_full_drops);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_corrupt_rx_ring_stops_thread);
	tcase_add_test(tc, test_device_removed);
	suite_add_tcase(s, tc);
	return s;
}

static bool has_net_admin(void)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long caps;

		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			ok = caps >> CAP_NET_ADMIN_BIT & 1;
	}
	fclose(f);
	return ok;
}

/* Some sandboxes offer /dev/net/tun but no working devices: try one before testing. */
static const char *probe_tun(char *why, size_t len)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(why, len, "cannot create a tun device: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return why;
	}
	close(fd);
	return NULL;
}

/* Returns NULL when the device tests can run (now inside a private namespace), else why not. */
static const char *enter_private_netns(void)
{
	static char why[160];
	int fd;

	if (!has_net_admin())
		return "needs CAP_NET_ADMIN (run as root)";
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open /dev/net/tun: %s", strerror(errno));
		return why;
	}
	close(fd);
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "cannot create a network namespace: %s",
			 strerror(errno));
		return why;
	}
	return probe_tun(why, sizeof(why));
}

static int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

int main(void)
{
	const char *why;

	if (run_suite(config_suite()))
		return EXIT_FAILURE;
	why = enter_private_netns();
	if (why) {
		printf("SKIP: tun device tests: %s\n", why);
		return EXIT_SKIP;
	}
	/* The last resort against a hang the per-test timeouts miss (CK_FORK=no). */
	alarm(OVERALL_DEADLINE_S);
	return run_suite(device_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
