/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Linux tun backend: /dev/net/tun with IFF_TUN | IFF_NO_PI, driven by a thread that
 * plays Wintun's kernel role.  read() lands each packet straight in a tx record reserved
 * at the ring's max_payload and shrunk to what arrived; rx records are written to the
 * device from where they lie and released.  The kernel's copies at the device boundary
 * are the only ones, except on overload: with the tx ring full a packet is read into a
 * scratch buffer and dropped, as a full device queue would drop it (and so is a TSO
 * packet with more segments than the ring had free records for).
 *
 * With coalescing on (the default) the device also has IFF_VNET_HDR: runs of TCP
 * segments of one flow go in as one GSO packet per writev (tun-gro.c), so the kernel's
 * TCP receive path runs once per run rather than once per packet.  Every read and write
 * then carries a virtio_net_hdr, kept out of the records by readv/writev.  The device
 * also claims TSO, and the TCP packets of up to 64 KiB it then hands us are read
 * straight into one record per segment and cut up there (tun-tso.c).
 */
#include "config.h"

#include "src/tun/tun-internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ring/ring.h"
#include "src/tun/inet-csum.h"
#include "src/tun/tun-gro.h"
#include "src/tun/tun-tso.h"

enum linux_limits {
	READ_BATCH = 64,		/* reads per wakeup before publishing */
	NETLINK_WAIT_MS = 1000,
	WRITE_BATCH = 64,		/* writes per turn before reading again */
	MTU_MIN = 68,			/* RFC 791's minimum */
	MTU_MAX = 65535,
};

struct tun_linux {
	struct tun tun;
	int fd;
	bool own_fd;			/* opened here (else the host's: never closed) */
	uint32_t mtu;
	bool vnet_hdr;			/* IFF_VNET_HDR: every read and write has one */
	bool coalesce;			/* cleared if the kernel ever refuses a GSO write */
	bool tso;			/* TUNSETOFFLOAD took TSO: reads may be 64 KiB */
	struct tun_tso_plan plan;	/* how those records are laid out */
	uint8_t *scratch;		/* for dropping on overload */
	uint8_t *spill;			/* TUN_TSO_SPILL: what the records could not take */
	uint8_t *relay;			/* TUN_TSO_SPILL: a packet being re-laid (copied) */
	struct tun_gro_write gro;	/* the write being planned */
};

enum {
	VNET_HDR_LEN = sizeof(struct virtio_net_hdr),
	SCRATCH_LEN = RING_MAX_PAYLOAD + 1 + VNET_HDR_LEN,
};

/* ---- device setup --------------------------------------------------------------------- */

static int open_device(const char *name, bool vnet_hdr, bool multi_queue,
		       char out_name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
			(multi_queue ? IFF_MULTI_QUEUE : 0);
	if (name)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(out_name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/* Sets the MTU and brings the link up; interface ioctls go through any inet socket. */
static int configure_link(const char *name, uint32_t mtu)
{
	struct ifreq ifr;
	int ret = 0, s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

/*
 * `ip link set NAME gso_max_segs SEGS` over rtnetlink: the kernel's TCP then never
 * builds a TSO packet of more segments, so however small a peer's MSS, one packet fits
 * the records one read can take.  Returns 0 or -errno.
 */
static int limit_gso_segments(const char *name, uint32_t segs)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		uint32_t segs;
	} req;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct pollfd pfd = { .events = POLLIN };
	int ret = -EIO, index = (int)if_nametoindex(name);

	if (!index)
		return -errno;
	pfd.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (pfd.fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh = (struct nlmsghdr){ .nlmsg_len = sizeof(req), .nlmsg_type = RTM_NEWLINK,
				    .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 };
	req.ifi = (struct ifinfomsg){ .ifi_family = AF_UNSPEC, .ifi_index = index };
	req.rta = (struct rtattr){ .rta_len = RTA_LENGTH(sizeof(segs)),
				   .rta_type = IFLA_GSO_MAX_SEGS };
	req.segs = segs;
	/* The kernel answers at once; a bound anyway, as for every wait. */
	if (sendto(pfd.fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) == (ssize_t)sizeof(req) &&
	    poll(&pfd, 1, NETLINK_WAIT_MS) == 1 &&
	    recv(pfd.fd, &ack, sizeof(ack), 0) >= (ssize_t)sizeof(ack) &&
	    ack.nh.nlmsg_type == NLMSG_ERROR)
		ret = ack.err.error;
	close(pfd.fd);
	return ret;
}

/*
 * Claims checksum offload and TSO, so the kernel hands us TCP packets of up to 64 KiB
 * and partial checksums.  A kernel that refuses either keeps working without TSO.
 * Returns 0 or -ENOMEM.
 */
static int enable_tso(struct tun_linux *t)
{
	unsigned int offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;

	if (limit_gso_segments(t->tun.name, TUN_TSO_MAX_SEGMENTS) ||
	    ioctl(t->fd, TUNSETOFFLOAD, offloads) < 0)
		return 0;
	t->spill = malloc(TUN_TSO_SPILL);
	t->relay = malloc(TUN_TSO_SPILL);
	if (!t->spill || !t->relay)
		return -ENOMEM;
	tun_tso_plan_init(&t->plan, t->mtu);
	t->tso = true;
	return 0;
}

/* ---- tx: device -> ring --------------------------------------------------------------- */

/* The tx ring is full: take the packet off the device anyway, into scratch, and drop it. */
static int drop_one(struct tun_linux *t)
{
	if (read(t->fd, t->scratch, SCRATCH_LEN) < 0)
		return 0;
	tun_count(&t->tun.c.tx_ring_full, 1);
	return 1;
}

/*
 * The kernel only hands us a GSO packet or a partial checksum when the device claims
 * those offloads (TUNSETOFFLOAD), which it never does; finish a checksum anyway, refuse
 * a GSO packet.  Returns 0 or -EINVAL.
 */
static int accept_vnet_hdr(const struct virtio_net_hdr *h, uint8_t *pkt, uint32_t len)
{
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EINVAL;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return inet_csum_finish(pkt, len, h->csum_start, h->csum_offset);
	return 0;
}

/*
 * read(), or readv() with the virtio header kept out of the record.  Returns the packet's
 * length (more than max: it did not fit) or -1 with errno set.
 */
static ssize_t read_packet(struct tun_linux *t, uint8_t *payload, uint32_t max)
{
	struct virtio_net_hdr h;
	struct iovec iov[2] = { { &h, VNET_HDR_LEN }, { payload, max } };
	ssize_t got;

	if (!t->vnet_hdr)
		return read(t->fd, payload, max);
	got = readv(t->fd, iov, 2);
	if (got < 0)
		return -1;
	if (got < VNET_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	got -= VNET_HDR_LEN;
	if ((size_t)got <= max && accept_vnet_hdr(&h, payload, (uint32_t)got)) {
		errno = EINVAL;
		return -1;
	}
	return got;
}

/*
 * Reads one packet into a fresh tx record and commits it.  Returns 1 (a packet was
 * taken, kept or dropped), 0 (nothing to read) or -EBADMSG.
 */
static int read_one(struct tun_linux *t)
{
	struct tun *tun = &t->tun;
	uint32_t max = ring_params(tun->tx)->max_payload;
	struct ring_rec rec;
	ssize_t got;
	int ret;

	ret = ring_reserve(tun->tx, max, &rec);
	if (ret == -ENOBUFS)
		return drop_one(t);
	if (ret)
		return -EBADMSG;
	got = read_packet(t, rec.payload, max);
	/* tun reports a packet's full length even when it did not fit (MTU raised by hand). */
	if (got <= 0 || (size_t)got > max) {
		int err = got < 0 ? errno : 0;

		if (ring_cancel(tun->tx, &rec))
			return -EBADMSG;
		if (got == 0 || err == EAGAIN || err == EINTR)
			return 0;
		tun_count(&tun->c.tx_errors, 1);
		return got > 0 ? 1 : 0;
	}
	if (ring_shrink(tun->tx, &rec, (uint32_t)got) || ring_commit(tun->tx, &rec))
		return -EBADMSG;
	tun_count(&tun->c.tx_packets, 1);
	tun_count(&tun->c.tx_bytes, (uint64_t)got);
	return 1;
}

/* ---- tx with TSO: one read, one record per segment ------------------------------------- */

struct tso_read {
	struct ring_rec recs[TUN_TSO_MAX_SEGMENTS];
	uint8_t *bufs[TUN_TSO_MAX_SEGMENTS];
	uint32_t lens[TUN_TSO_MAX_SEGMENTS];
	unsigned int n;			/* records reserved */
	struct virtio_net_hdr vh;
	struct iovec iov[2 + TUN_TSO_MAX_SEGMENTS];
	unsigned int iovcnt;
};

/* Reserves records up to want in all.  Returns 0, -ENOBUFS (none at all) or -EBADMSG. */
static int tso_reserve(struct tun_linux *t, struct tso_read *r, unsigned int want)
{
	uint32_t max = ring_params(t->tun.tx)->max_payload;

	while (r->n < want) {
		int ret = ring_reserve(t->tun.tx, max, &r->recs[r->n]);

		if (ret == -ENOBUFS)
			break;
		if (ret)
			return -EBADMSG;
		r->bufs[r->n] = r->recs[r->n].payload;
		r->n++;
	}
	return r->n ? 0 : -ENOBUFS;
}

/* Gives back records [keep, n), last first so each one's space returns to the ring. */
static int tso_cancel_from(struct tun_linux *t, struct tso_read *r, unsigned int keep)
{
	while (r->n > keep)
		if (ring_cancel(t->tun.tx, &r->recs[--r->n]))
			return -EBADMSG;
	return 0;
}

/* Commits the first n records at r->lens.  Returns 0 or -EBADMSG. */
static int tso_commit(struct tun_linux *t, struct tso_read *r, unsigned int n)
{
	struct tun *tun = &t->tun;

	if (tso_cancel_from(t, r, n))
		return -EBADMSG;
	for (unsigned int k = n; k-- > 0;)
		if (ring_shrink(tun->tx, &r->recs[k], r->lens[k]))
			return -EBADMSG;
	for (unsigned int k = 0; k < n; k++) {
		if (ring_commit(tun->tx, &r->recs[k]))
			return -EBADMSG;
		tun_count(&tun->c.tx_bytes, r->lens[k]);
	}
	tun_count(&tun->c.tx_packets, n);
	return 0;
}

/* An ordinary packet: whole in the first record, unless it spilled (then moved, counted). */
static int tso_take_single(struct tun_linux *t, struct tso_read *r, uint32_t len)
{
	uint32_t first = (uint32_t)r->iov[1].iov_len;

	if (len > ring_params(t->tun.tx)->max_payload ||
	    (len > first && tun_tso_gather(r->iov + 2, r->iovcnt - 2, len - first,
					   r->bufs[0] + first) != len - first) ||
	    accept_vnet_hdr(&r->vh, r->bufs[0], len)) {
		tun_count(&t->tun.c.tx_errors, 1);
		return tso_cancel_from(t, r, 0);
	}
	if (len > first)
		tun_count(&t->tun.c.tx_copied_bytes, len - first);
	r->lens[0] = len;
	return tso_commit(t, r, 1);
}

/*
 * A TSO packet that does not fit the plan: copy it out, lay it out again as its own
 * header length and segment size say (with more records if it needs them), and learn
 * that plan for the next ones.  Returns 0, -EINVAL (drop it), -ENOBUFS (the ring has no
 * room for it: drop it) or -EBADMSG.
 */
static int tso_relayout(struct tun_linux *t, struct tso_read *r, uint32_t len)
{
	uint32_t max = ring_params(t->tun.tx)->max_payload;
	struct tun_tso_plan actual;
	unsigned int need;
	int ret;

	if (len > TUN_TSO_SPILL)
		return -EINVAL;
	tun_tso_gather(r->iov + 1, r->iovcnt - 1, len, t->relay);
	if (tun_tso_packet_plan(&r->vh, t->relay, len, &actual))
		return -EINVAL;
	need = tun_tso_records_for(&actual, len);
	if (actual.hdr + actual.mss > max || need > TUN_TSO_MAX_SEGMENTS)
		return -EINVAL;
	ret = tso_reserve(t, r, need);
	if (ret == -EBADMSG)
		return ret;
	if (r->n < need)
		return -ENOBUFS;	/* the ring is full: dropped like any packet then */
	tun_tso_scatter(&actual, t->relay, len, r->bufs);
	tun_count(&t->tun.c.tx_copied_bytes, len);
	t->plan = actual;
	return 0;
}

static int tso_take_segments(struct tun_linux *t, struct tso_read *r, uint32_t len)
{
	int segs, ret;

	segs = tun_tso_split(&t->plan, &r->vh, r->bufs, r->n, len, r->lens);
	if (segs == -EAGAIN) {
		ret = tso_relayout(t, r, len);
		if (ret == -EBADMSG)
			return ret;
		segs = ret ? ret : tun_tso_split(&t->plan, &r->vh, r->bufs, r->n, len, r->lens);
	}
	/*
	 * -ENOSPC: the packet fits the plan, but the ring had fewer free records than it has
	 * segments when it came, and the rest went to the spill buffer.  It is dropped as a
	 * full ring drops any packet, not rescued with a copy should room have appeared
	 * since: the fast path stays copy-free, and TCP hears of the overload.
	 */
	if (segs == -ENOSPC || segs == -ENOBUFS) {
		tun_count(&t->tun.c.tx_ring_full, 1);
		return tso_cancel_from(t, r, 0);
	}
	if (segs < 0) {
		tun_count(&t->tun.c.tx_errors, 1);
		return tso_cancel_from(t, r, 0);
	}
	tun_count(&t->tun.c.tx_segmented, (uint64_t)segs);
	return tso_commit(t, r, (unsigned int)segs);
}

/*
 * read_one() for a TSO device.  Every read reserves the records a whole TSO packet needs
 * under the plan, since any read may bring one (the first write of a connection does);
 * an ordinary packet keeps the first and gives the rest back, which costs a few ring
 * operations and no syscall.  Returns 1, 0 or -EBADMSG as read_one().
 */
static int read_one_tso(struct tun_linux *t)
{
	struct tso_read r = { .n = 0 };
	unsigned int want = tun_tso_records_for(&t->plan, TUN_TSO_SPILL - 1);
	ssize_t got;
	int ret;

	if (want > TUN_TSO_MAX_SEGMENTS)
		want = TUN_TSO_MAX_SEGMENTS;
	ret = tso_reserve(t, &r, want);
	if (ret == -ENOBUFS)
		return drop_one(t);
	if (ret)
		return ret;
	r.iovcnt = tun_tso_layout(&t->plan, &r.vh, r.bufs, r.n, t->spill, r.iov);
	got = readv(t->fd, r.iov, (int)r.iovcnt);
	if (got < (ssize_t)VNET_HDR_LEN) {
		int err = got < 0 ? errno : 0;

		if (tso_cancel_from(t, &r, 0))
			return -EBADMSG;
		if (got == 0 || err == EAGAIN || err == EINTR)
			return 0;
		tun_count(&t->tun.c.tx_errors, 1);
		return got > 0 ? 1 : 0;
	}
	got -= VNET_HDR_LEN;
	if (r.vh.gso_type == VIRTIO_NET_HDR_GSO_NONE)
		ret = tso_take_single(t, &r, (uint32_t)got);
	else
		ret = tso_take_segments(t, &r, (uint32_t)got);
	return ret ? ret : 1;
}

/* Reads up to a batch and publishes it.  Returns packets taken, or -EBADMSG. */
static int read_batch(struct tun_linux *t)
{
	int n, ret = 0;

	for (n = 0; n < READ_BATCH; n++) {
		ret = t->tso ? read_one_tso(t) : read_one(t);
		if (ret <= 0)
			break;
	}
	if (ret < 0 || ring_publish(t->tun.tx) < 0)
		return -EBADMSG;
	return n;
}

/* ---- rx: ring -> device --------------------------------------------------------------- */

static void linux_deliver(struct tun *tun, const uint8_t *pkt, uint32_t len)
{
	struct tun_linux *t = (struct tun_linux *)tun;

	/* tun writes never block: the kernel queues the packet or drops and counts it. */
	if (write(t->fd, pkt, len) == (ssize_t)len) {
		tun_count(&tun->c.rx_packets, 1);
		tun_count(&tun->c.rx_bytes, len);
	} else {
		tun_count(&tun->c.rx_errors, 1);
	}
	tun_count(&tun->c.rx_writes, 1);
}

/* One writev of what tun_gro_plan() put together.  Returns 0 or -errno. */
static int write_planned(struct tun_linux *t)
{
	struct tun_gro_write *w = &t->gro;
	struct tun *tun = &t->tun;
	size_t want = 0;
	ssize_t put;

	for (unsigned int i = 0; i < w->iovcnt; i++)
		want += w->iov[i].iov_len;
	put = writev(t->fd, w->iov, (int)w->iovcnt);
	tun_count(&tun->c.rx_writes, 1);
	if (put != (ssize_t)want)
		return put < 0 ? -errno : -EIO;
	tun_count(&tun->c.rx_packets, w->packets);
	tun_count(&tun->c.rx_bytes, w->bytes);
	if (w->packets > 1)
		tun_count(&tun->c.rx_coalesced, w->packets);
	return 0;
}

static void linux_deliver_batch(struct tun *tun, const struct ring_rec *recs, unsigned int n)
{
	struct tun_linux *t = (struct tun_linux *)tun;
	struct tun_gro_pkt pkts[TUN_DRAIN_CHUNK];
	unsigned int i;

	for (i = 0; i < n; i++)
		pkts[i] = (struct tun_gro_pkt){ recs[i].payload, recs[i].size };
	for (i = 0; i < n; i += t->gro.packets) {
		int ret;

		/* Without coalescing a packet still needs its (empty) virtio header. */
		tun_gro_plan(&t->gro, pkts + i, t->coalesce ? n - i : 1);
		ret = write_planned(t);
		if (ret == -EINVAL && t->gro.packets > 1) {
			/* A kernel that refuses GSO writes gets single packets from now on. */
			tun_gro_undo(&t->gro);
			t->coalesce = false;
			t->gro.packets = 0;	/* the same packets again, one by one */
			tun_warn(tun, "the kernel refused a coalesced write; writing packets "
				      "one by one");
		} else if (ret) {
			tun_count(&tun->c.rx_errors, t->gro.packets);
		}
	}
}

/* ---- thread --------------------------------------------------------------------------- */

static int linux_run(struct tun *tun)
{
	struct tun_linux *t = (struct tun_linux *)tun;
	bool may_read = true;

	while (!tun_stopping(tun)) {
		/* Woken for rx records only: a read would just say EAGAIN. */
		int got = may_read ? read_batch(t) : 0;
		int put, woke;

		if (got < 0)
			return tun_fail(tun, "tx ring is corrupt; stopped", got);
		put = tun_drain_rx(tun, WRITE_BATCH);
		if (put < 0)
			return tun_fail(tun, "rx ring is corrupt; stopped", put);
		/* A full batch either way means more is probably waiting. */
		if (got == READ_BATCH || put == WRITE_BATCH) {
			may_read = true;
			continue;
		}
		woke = tun_wait(tun, t->fd, NULL);
		if (woke < 0)
			return tun_fail(tun, "device error or hangup; stopped", -EIO);
		may_read = woke == TUN_WAIT_FD_MAYBE;
	}
	return 0;
}

static void linux_destroy(struct tun *tun)
{
	struct tun_linux *t = (struct tun_linux *)tun;

	if (t->own_fd && t->fd >= 0)
		close(t->fd);
	free(t->scratch);
	free(t->spill);
	free(t->relay);
	free(t);
}

static const struct tun_ops linux_ops = {
	.kind = "linux",
	.run = linux_run,
	.deliver = linux_deliver,
	.destroy = linux_destroy,
};

/* The same with IFF_VNET_HDR: rx records go out through tun_gro_plan(). */
static const struct tun_ops linux_vnet_ops = {
	.kind = "linux",
	.run = linux_run,
	.deliver = linux_deliver,
	.deliver_batch = linux_deliver_batch,
	.destroy = linux_destroy,
};

/* The kernel's dev_valid_name() rules, checked early for a clear message. */
static bool name_ok(const char *name)
{
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (; *name; name++)
		if (*name == '/' || *name == ':' || isspace((unsigned char)*name))
			return false;
	return true;
}

static int check_config(const struct tun_linux_config *c, const struct ring *tx,
			char *errbuf, size_t errlen)
{
	uint32_t max_payload = ring_params(tx)->max_payload;

	if (c->mtu < MTU_MIN || c->mtu > MTU_MAX)
		return errbuf_fail(errbuf, errlen, -EINVAL, "tun: mtu %u is outside %u..%u",
				   c->mtu, MTU_MIN, MTU_MAX);
	if (c->mtu > max_payload)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "tun: mtu %u is above the tx ring's max_payload %u",
				   c->mtu, max_payload);
	if (!c->has_fd && c->name && strlen(c->name) >= IFNAMSIZ)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "tun: name \"%s\" is longer than %u characters", c->name,
				   IFNAMSIZ - 1);
	if (!c->has_fd && c->name && !name_ok(c->name))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "tun: name \"%s\" is not a valid interface name", c->name);
	return 0;
}

/* Our own device: created with the offloads we want, MTU set, link up. */
static int open_own(struct tun_linux *t, const struct tun_linux_config *config, char *errbuf,
		    size_t errlen)
{
	int ret;

	t->vnet_hdr = !config->no_coalesce;
	t->fd = open_device(config->name, t->vnet_hdr, config->multi_queue, t->tun.name);
	if (t->fd < 0)
		return errbuf_fail(errbuf, errlen, t->fd, "tun device%s%s: %s%s",
				   config->name ? " " : "", config->name ? config->name : "",
				   strerror(-t->fd),
				   t->fd == -EPERM ? " (needs root or CAP_NET_ADMIN)" :
				   t->fd == -EINVAL && config->multi_queue ?
				   " (a device of that name exists with other flags: a multi-queue"
				   " queue joins only a multi-queue tun with the same offloads)" : "");
	t->own_fd = true;
	ret = configure_link(t->tun.name, t->mtu);
	if (ret)
		return errbuf_fail(errbuf, errlen, ret, "tun %s: setting MTU and link up: %s",
				   t->tun.name, strerror(-ret));
	return 0;
}

/*
 * The host's device: whatever it opened it with (TUNGETIFF tells; a fd that is no tun at
 * all, such as a socketpair, carries plain packets).  Its name, MTU and addresses are
 * the host's business.
 */
static int adopt(struct tun_linux *t, int fd, char *errbuf, size_t errlen)
{
	struct ifreq ifr;
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errbuf_fail(errbuf, errlen, -errno, "host tun fd %d: %s", fd,
				   strerror(errno));
	t->fd = fd;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == 0) {
		snprintf(t->tun.name, sizeof(t->tun.name), "%s", ifr.ifr_name);
		t->vnet_hdr = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
		if ((ifr.ifr_flags & (IFF_TUN | IFF_NO_PI)) != (IFF_TUN | IFF_NO_PI))
			return errbuf_fail(errbuf, errlen, -EINVAL,
					   "host tun %s: want IFF_TUN | IFF_NO_PI",
					   t->tun.name);
	}
	return 0;
}

int tun_linux_new(struct tun **out, const struct tun_linux_config *config, struct ring *tx,
		  struct ring *rx, char *errbuf, size_t errlen)
{
	struct tun_linux *t;
	int ret;

	if (!out || !config || !tx || !rx)
		return -EINVAL;
	ret = check_config(config, tx, errbuf, errlen);
	if (ret)
		return ret;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1;
	t->mtu = config->mtu;
	ret = tun_init(&t->tun, &linux_ops, tx, rx);
	if (!ret)
		ret = config->has_fd ? adopt(t, config->fd, errbuf, errlen) :
					open_own(t, config, errbuf, errlen);
	if (ret)
		goto err;
	if (t->vnet_hdr)
		t->tun.ops = &linux_vnet_ops;
	/* With a vnet header every write has one; coalescing is what no_coalesce turns off. */
	t->coalesce = t->vnet_hdr && !config->no_coalesce;
	t->scratch = malloc(SCRATCH_LEN);
	if (!t->scratch) {
		ret = -ENOMEM;
		goto err;
	}
	if (t->coalesce)
		ret = enable_tso(t);
	if (ret)
		goto err;
	*out = &t->tun;
	return 0;

err:
	tun_free(&t->tun);
	return ret;
}
