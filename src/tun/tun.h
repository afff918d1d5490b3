/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tun backends.  A backend plays Wintun's kernel role on a tunnel's two rings: it is the
 * producer of the tx ring (packets from the OS, bound for the network) and the consumer
 * of the rx ring (packets from the network, bound for the OS).  It runs its own thread
 * between tun_start() and tun_stop().
 *
 * Two backends:
 *  - linux: /dev/net/tun with IFF_TUN | IFF_NO_PI.  Reads land straight in reserved tx
 *    records (reserved at the ring's max_payload, shrunk to what read() returned); rx
 *    records are written to the device from the ring and released.
 *  - mem: a traffic generator and sink for tests, demos and benchmarks without root.
 *    Generated packets are valid IPv4/IPv6 headers followed by a body carrying a flow id,
 *    a sequence number, the length and a checksum; the sink verifies every packet and
 *    counts good, corrupt, lost, reordered and duplicate packets.
 */
#ifndef ZCVPN_SRC_TUN_H
#define ZCVPN_SRC_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring;
struct tun;

struct tun_stats {
	uint64_t tx_packets;	/* put into the tx ring (read from the device / generated) */
	uint64_t tx_bytes;
	uint64_t tx_ring_full;	/* dropped: no room in the tx ring */
	uint64_t tx_errors;	/* device read errors */
	uint64_t tx_segmented;	/* packets cut out of the device's TSO packets (linux) */
	uint64_t tx_copied_bytes;	/* TSO packets re-laid with a copy (linux) */
	uint64_t rx_packets;	/* taken from the rx ring (written to the device / sunk) */
	uint64_t rx_bytes;
	uint64_t rx_errors;	/* device write errors */
	uint64_t rx_writes;	/* device writes (linux; several packets with coalescing) */
	uint64_t rx_coalesced;	/* packets that went in a write of several */
	uint64_t wakeups;	/* times the thread slept and woke */
	/* mem backend sink only */
	uint64_t sink_good;
	uint64_t sink_corrupt;	/* bad checksum, length, magic or IP header */
	uint64_t sink_lost;	/* gaps in the sequence seen so far */
	uint64_t sink_reordered;
	uint64_t sink_duplicate;
	bool generator_done;	/* mem backend: all `count` packets are in the tx ring */
	int error;		/* 0, or the -errno the backend thread stopped on (-EBADMSG:
				 * a ring is poisoned; -EIO: the device went away) */
};

struct tun_linux_config {
	const char *name;	/* interface name, "" or NULL: let the kernel pick (tunN) */
	uint32_t mtu;		/* 68..65535; the tx ring's max_payload must be >= mtu */
	bool no_coalesce;	/* no IFF_VNET_HDR: one packet per read and write, no GRO
				 * writes (tun-gro.h) nor TSO reads (tun-tso.h) */
	bool multi_queue;	/* IFF_MULTI_QUEUE: this backend is one queue of the device
				 * called name (created by the first to open it) */
	/*
	 * has_fd: fd is a device the host opened and configured (borrowed, never closed;
	 * made non-blocking).  Its own flags decide: with IFF_VNET_HDR the offloads are used
	 * (unless no_coalesce), without it (or for any other packet fd, such as a
	 * socketpair) one packet per read and write.  name and mtu are then not applied.
	 * Otherwise the backend creates the device.
	 */
	bool has_fd;
	int fd;
};

struct tun_mem_config {
	uint64_t count;		/* packets to generate; 0: sink only */
	uint32_t min_size;	/* IP packet sizes, uniformly random in [min, max]; >= 40 */
	uint32_t max_size;	/* <= the tx ring's max_payload */
	unsigned ipv6_percent;	/* 0..100; needs max_size >= 60 (IPv6 header + test body);
				 * an IPv6 draw below 60 bytes is sent as IPv4 */
	uint64_t rate_pps;	/* generator pacing; 0: as fast as the ring takes them */
	uint32_t flow_id;	/* stamped into generated packets */
	uint32_t expect_flow_id; /* the sink checks packets carry this flow id */
	uint32_t seed;		/* for sizes and payload bytes; same seed, same packets */
};

/*
 * Create a backend over the tunnel's rings.  The rings are borrowed and must outlive the
 * backend.  Returns 0, -EINVAL (bad config), -ENOMEM, or -errno from opening the device
 * (linux: -EPERM without CAP_NET_ADMIN, -ENOENT without /dev/net/tun); on error a
 * message naming the problem goes into errbuf (if given).
 */
int tun_linux_new(struct tun **out, const struct tun_linux_config *config,
		  struct ring *tx, struct ring *rx, char *errbuf, size_t errlen);
int tun_mem_new(struct tun **out, const struct tun_mem_config *config,
		struct ring *tx, struct ring *rx, char *errbuf, size_t errlen);

/*
 * Where the backend's thread reports what goes wrong at run time (err: the -errno it
 * stopped on, or 0 for a warning).  Set before tun_start; none: nothing is reported.
 */
typedef void (*tun_report_fn)(void *ctx, int err, const char *msg);
void tun_set_report(struct tun *tun, tun_report_fn fn, void *ctx);

/* linux only: the interface name the kernel gave (valid until tun_free). */
const char *tun_name(const struct tun *tun);

/* Starts the backend thread.  Returns 0 or -errno. */
int tun_start(struct tun *tun);

/*
 * Stops the thread.  Records already committed and published to the rx ring are
 * written/sunk before it returns (no committed record is lost); a bounded wait.
 */
void tun_stop(struct tun *tun);

/* Snapshot of the counters; callable from any thread while running. */
void tun_get_stats(const struct tun *tun, struct tun_stats *stats);

/* Stops (if running) and frees.  Accepts NULL. */
void tun_free(struct tun *tun);

#endif /* ZCVPN_SRC_TUN_H */
