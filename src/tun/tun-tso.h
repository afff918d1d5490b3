/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Segmentation of the tun's TSO packets in the ring, without a copy (what the kernel's
 * GSO does for a NIC without TSO).
 *
 * With TSO on (TUNSETOFFLOAD), the kernel hands the tun reader a TCP packet of up to
 * 64 KiB: one IP and TCP header, then many segments' worth of payload, and a
 * virtio_net_hdr giving the segment size.  One read then replaces dozens, and the
 * kernel never segments in software.  To keep zero copy, the read is scattered (readv)
 * straight into one tx record per segment: the first record takes the headers and the
 * first segment, every later one its segment's payload behind `hdr` bytes of room that
 * the split then fills with that segment's own headers.  That only works when the
 * layout was planned with the packet's real header length and segment size.  The plan
 * is learnt from the last TSO packet (one bulk flow at a time keeps it right); a packet
 * that does not fit it, or that spills past the records into the spill buffer, is
 * re-laid with a copy that the caller counts.
 */
#ifndef ZCVPN_SRC_TUN_TSO_H
#define ZCVPN_SRC_TUN_TSO_H

#include <linux/virtio_net.h>
#include <stdint.h>
#include <sys/uio.h>

enum tun_tso_limits {
	TUN_TSO_MAX_SEGMENTS = 64,	/* records one packet may fill (the device's
					 * gso_max_segs is set to it) */
	TUN_TSO_SPILL = 65536,		/* spill buffer: what a GSO packet can carry */
};

/* How the records of one read are laid out. */
struct tun_tso_plan {
	uint32_t hdr;			/* IP + TCP header bytes, in front of every segment */
	uint32_t mss;			/* payload bytes per segment */
};

/*
 * The plan before any TSO packet was seen: IPv4 with TCP timestamps (52 header bytes),
 * segments that fill the MTU, so hdr + mss == mtu.
 */
void tun_tso_plan_init(struct tun_tso_plan *plan, uint32_t mtu);

/* Records a packet of len bytes needs under plan (at least 1). */
unsigned int tun_tso_records_for(const struct tun_tso_plan *plan, uint32_t len);

/*
 * Fills iov for one readv and returns the count (2 + nrecs): iov[0] the virtio header,
 * iov[1] the first record (hdr + mss bytes, so an ordinary packet up to that size lands
 * there whole), iov[1 + k] record k from offset hdr for mss bytes, and last the spill
 * buffer (TUN_TSO_SPILL bytes) for whatever the records cannot hold.
 */
unsigned int tun_tso_layout(const struct tun_tso_plan *plan, struct virtio_net_hdr *vh,
			    uint8_t *const *recs, unsigned int nrecs, uint8_t *spill,
			    struct iovec *iov);

/*
 * Cuts the TSO packet that a readv laid out by plan delivered (len bytes after the
 * virtio header) into segments in place, one per record, each a complete IPv4 or IPv6
 * TCP packet with its own length, ID, sequence number, flags and checksums; their
 * lengths go to lens.  Returns the number of segments.  -EAGAIN: the packet does not
 * fit the plan (its header length or segment size differ, or its headers run past the
 * first record); nothing was changed: gather it and ask tun_tso_packet_plan() for its
 * own plan.  -ENOSPC: it fits the plan but has more segments than the nrecs records
 * (the ring had no room for the rest when it came).  -EINVAL: not a sane TCP GSO
 * packet, drop it.
 */
int tun_tso_split(const struct tun_tso_plan *plan, const struct virtio_net_hdr *vh,
		  uint8_t *const *recs, unsigned int nrecs, uint32_t len, uint32_t *lens);

/*
 * The plan a whole TSO packet (len bytes at pkt) fits: its header length and segment
 * size.  Returns 0, or -EINVAL when it is not a sane TCP GSO packet.
 */
int tun_tso_packet_plan(const struct virtio_net_hdr *vh, const uint8_t *pkt, uint32_t len,
			struct tun_tso_plan *out);

/* Copies the len bytes that iov[0..n) hold, in order, to buf.  Returns len. */
uint32_t tun_tso_gather(const struct iovec *iov, unsigned int n, uint32_t len, uint8_t *buf);

/*
 * Lays the len bytes at buf out over the records as plan says (they must be
 * tun_tso_records_for(plan, len) or more).  The caller counts len as copied.
 */
void tun_tso_scatter(const struct tun_tso_plan *plan, const uint8_t *buf, uint32_t len,
		     uint8_t *const *recs);

#endif /* ZCVPN_SRC_TUN_TSO_H */
