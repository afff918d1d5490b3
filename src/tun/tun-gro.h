/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Receive coalescing for the Linux tun device (what GRO does on a NIC), so the kernel
 * runs its TCP receive path once per run of segments instead of once per segment.
 *
 * The tun is opened with IFF_VNET_HDR.  A run of consecutive rx packets that are
 * in-order TCP segments of one flow goes to the device as one GSO packet in a single
 * writev(): a virtio_net_hdr, the first packet whole, then only the payload of every
 * later one, each straight from its ring record.  Nothing is copied in user space; the
 * first packet's headers are rewritten in place to describe the whole run.
 *
 * A packet joins a run only under the kernel's own GRO rules (same addresses, ports, ACK,
 * window, TTL/hop limit, TOS/traffic class and TCP options; the next sequence number;
 * ACK with at most PSH, PSH ending the run; equal segment sizes but a shorter last one)
 * and with a TCP checksum that verifies, because the kernel trusts a GSO packet's
 * checksum (CHECKSUM_PARTIAL) and would otherwise accept a corrupt segment.  Everything
 * else is written alone, unchanged, for the kernel to judge.
 *
 * Only adjacent packets coalesce: several interleaved flows coalesce less, but nothing
 * is ever reordered.
 */
#ifndef ZCVPN_SRC_TUN_GRO_H
#define ZCVPN_SRC_TUN_GRO_H

#include <linux/virtio_net.h>
#include <stdint.h>
#include <sys/uio.h>

enum tun_gro_limits {
	TUN_GRO_MAX_SEGMENTS = 64,	/* packets in one write */
	TUN_GRO_MAX_BYTES = 65535,	/* one write's IP packet (IPv4 total length) */
};

/* One rx packet: an IP packet in a ring record the caller owns until the write is done. */
struct tun_gro_pkt {
	uint8_t *data;
	uint32_t len;
};

/* One device write, as planned by tun_gro_plan(). */
struct tun_gro_write {
	struct virtio_net_hdr vnet;	/* iov[0] points here */
	struct iovec iov[1 + TUN_GRO_MAX_SEGMENTS];
	unsigned int iovcnt;
	unsigned int packets;		/* taken from the input: 1..TUN_GRO_MAX_SEGMENTS */
	uint32_t bytes;			/* the inner bytes those packets had */
	/* What the rewrite of a run changed in the first packet, for tun_gro_undo(). */
	uint8_t *first;
	uint8_t saved_ip_len[2], saved_ip_csum[2], saved_tcp_flags, saved_tcp_csum[2];
};

/*
 * Plans the device write for pkts[0] and as many of pkts[1..n) as coalesce with it
 * (n >= 1).  For a run of two or more the first packet's IP length and checksum, TCP PSH
 * flag and checksum field are rewritten in place (the caller owns the records), the
 * later packets are not touched.  w's iovecs point into w and the packets.  Returns
 * w->packets.
 */
unsigned int tun_gro_plan(struct tun_gro_write *w, const struct tun_gro_pkt *pkts,
			  unsigned int n);

/*
 * Puts back the first packet's headers as they were before tun_gro_plan() rewrote them
 * for a run (nothing to do for a lone packet), so its packets can be written one by one.
 */
void tun_gro_undo(struct tun_gro_write *w);

#endif /* ZCVPN_SRC_TUN_GRO_H */
