/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Single-producer single-consumer record ring with per-record head and tail room.
 *
 * The shared area is one contiguous allocation with no pointers in it, laid out as
 * Wintun's TUN_RING: { u32 head; u32 tail; s32 alertable; u8 data[capacity + slack] }.
 * Each record is { u32 size; u8 lead[lead]; u8 payload[size]; u8 trail[trail] } padded
 * to the ring's alignment.  With lead = trail = 0 and alignment 4 the bytes are exactly
 * Wintun's TUN_PACKET records.  Only offsets wrap: a record that starts near the end of
 * the data area runs on into the slack, so every record is one contiguous span.
 *
 * Two bits of the size word carry private state, as Wintun's DLL does with its top bit:
 * RING_SIZE_BUSY marks a record the producer has reserved but not committed (and, on the
 * consumer side, one the consumer has released), RING_SIZE_FILLER marks dead space left
 * by shrinking or cancelling a record that was not the last one reserved.  A published
 * record never has BUSY set; fillers are skipped by the consumer.
 *
 * A ring created with max_run > 0 also takes carved runs (UDP GRO): one reservation
 * receives a run of datagrams back to back, and each inner packet becomes a record where
 * it lies, with no copy.  Such a record, marked RING_SIZE_CARVED, is
 * { u32 size | CARVED | gap << 16; u8 gap[gap]; u8 payload[size] } padded to the
 * alignment: no lead or trail room is promised (datagram i's trailer and datagram i+1's
 * header are what lies around it), and fillers cover what is left between records.
 * Without max_run a CARVED word is corruption, so the layout stays exactly Wintun's.
 *
 * Everything read back from the shared area (head, tail, size words) is validated before
 * use.  A violation poisons the ring: head and tail both become RING_POISON (each side
 * owns one of them, so a store of the other side's cannot bury the mark).  The consumer
 * then gets -EBADMSG from every call; the producer from its next publish (or reserve
 * that needs the head) on.  No call ever reads or writes outside the allocation.
 *
 * Threading: one producer thread and one consumer thread per ring.  Producer verbs
 * (reserve, shrink, cancel, commit, publish) and consumer verbs (peek, release, flush,
 * wait) may run concurrently with each other, but each group from one thread only.
 */
#ifndef ZCVPN_RING_RING_H
#define ZCVPN_RING_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ring_limits {
	RING_MIN_CAPACITY = 1u << 12,
	RING_MAX_CAPACITY = 1u << 30,
	RING_MAX_PAYLOAD = 0xffff,	/* an IP packet; Wintun's TUN_MAX_IP_PACKET_SIZE */
	RING_MAX_LEAD = 256,		/* headroom bytes per record */
	/*
	 * Tailroom bytes per record: a trailer and tag need few, but a framing that grows a
	 * packet on the wire and shrinks it again on receive (HDLC byte stuffing: up to the
	 * payload's size again) receives the grown datagram into the tail room.
	 */
	RING_MAX_TRAIL = 16384,
	RING_MAX_ALIGN = 64,
	RING_HDR_SIZE = 4,		/* the u32 size word */
	RING_MAX_RUN = 1u << 17,	/* bytes of one carved run (a GRO run is < 64 KiB) */
};

#define RING_POISON		0xffffffffu
#define RING_SIZE_BUSY		0x80000000u
#define RING_SIZE_FILLER	0x40000000u
#define RING_SIZE_MASK		0x3fffffffu
#define RING_SIZE_CARVED	0x20000000u
#define RING_CARVED_GAP_SHIFT	16
#define RING_CARVED_GAP_MASK	0x3fu		/* gap < align <= RING_MAX_ALIGN */
#define RING_CARVED_SIZE_MASK	0xffffu

/* The shared part.  Field order and widths are Wintun's TUN_RING. */
struct ring_shared {
	_Atomic uint32_t head;		/* written by the consumer */
	_Atomic uint32_t tail;		/* written by the producer */
	_Atomic int32_t alertable;	/* nonzero while the consumer sleeps */
	uint8_t data[];
};

struct ring_params {
	uint32_t capacity;	/* data bytes, power of two, RING_MIN..RING_MAX_CAPACITY */
	uint32_t max_payload;	/* largest payload a record may hold, <= RING_MAX_PAYLOAD */
	uint16_t lead;		/* headroom bytes before each payload */
	uint16_t trail;		/* tailroom bytes after each payload */
	uint16_t align;		/* record alignment, power of two, 4..RING_MAX_ALIGN */
	bool ip_only;		/* consumer skips (and counts) records that are not IPv4/IPv6 */
	uint32_t max_run;	/* largest carved run, 0..RING_MAX_RUN bytes; 0: no runs */
};

/* A record handed out by reserve or peek.  Valid until it is released/published. */
struct ring_rec {
	uint32_t offset;	/* of the size word, from the start of data[] */
	uint32_t size;		/* payload bytes */
	uint8_t *payload;	/* lead bytes of headroom precede it, trail bytes follow size */
};

/*
 * A carved run being filled: [data, data + len) is the caller's until ring_run_end().
 * The other fields are the ring's bookkeeping.
 */
struct ring_run {
	uint8_t *data;
	uint32_t len;
	uint32_t offset;	/* of the run's own size word */
	uint32_t footprint;	/* bytes reserved from offset */
	uint32_t wrap_from;	/* the tail before a filler to the end of the area, or offset */
	uint32_t carved_end;	/* offset past the last carved record (offset + align: none) */
	uint32_t records;	/* carved so far */
};

struct ring_stats {
	uint64_t reserved;	/* producer: records handed out */
	uint64_t full;		/* producer: reserve refused for lack of space */
	uint64_t published;	/* producer: records made visible (fillers excluded) */
	uint64_t consumed;	/* consumer: records returned by peek */
	uint64_t skipped_non_ip; /* consumer: well-formed records that were not IP packets */
	uint64_t fillers;	/* consumer: filler records stepped over */
	uint64_t poisoned;	/* 1 once a violation was seen */
	uint64_t runs;		/* producer: carved runs that gave at least one record */
	uint64_t carved;	/* producer: records carved out of runs */
};

struct ring;

/* Size of the shared allocation for these parameters (header, data and slack). */
size_t ring_shared_size(const struct ring_params *params);

/*
 * Checks parameters; returns 0 or -EINVAL.  When errmsg is not NULL it receives a
 * static message saying what is wrong.
 */
int ring_params_check(const struct ring_params *params, const char **errmsg);

/*
 * Creates a ring that owns a fresh zeroed shared area and an eventfd for wakeups.
 * Returns 0, -EINVAL (bad params; see ring_params_check), -ENOMEM or -errno of eventfd.
 */
int ring_new(struct ring **out, const struct ring_params *params);

/*
 * Creates one side's handle over an existing shared area (for instance memory shared
 * with another process).  The area is borrowed: it must be ring_shared_size() bytes and
 * outlive the handle.  event_fd is borrowed too (-1: no wakeups from this handle).
 */
int ring_attach(struct ring **out, const struct ring_params *params,
		struct ring_shared *shared, int event_fd);

/* Frees the handle (and what ring_new allocated).  Accepts NULL. */
void ring_free(struct ring *ring);

struct ring_shared *ring_shared(struct ring *ring);
const struct ring_params *ring_params(const struct ring *ring);
/* Counters; callable from any thread (each counter is read atomically). */
void ring_get_stats(const struct ring *ring, struct ring_stats *stats);
bool ring_is_poisoned(const struct ring *ring);
/*
 * Bytes between the shared head and tail: what is published and not yet released.
 * Callable from any thread; a sample, as both sides move (0 once poisoned).
 */
uint32_t ring_used(const struct ring *ring);
/* Marks the ring dead (head and tail); used on shutdown and by validation. */
void ring_poison(struct ring *ring);

/* ---- producer ---------------------------------------------------------------------- */

/*
 * Reserves a record able to hold max_len payload bytes plus the ring's lead and trail.
 * The record's bytes belong to the caller until commit/cancel.  Returns 0, -EMSGSIZE
 * (max_len > max_payload), -ENOBUFS (ring full: back-pressure, counted), -EBADMSG
 * (poisoned).
 */
int ring_reserve(struct ring *ring, uint32_t max_len, struct ring_rec *rec);

/*
 * Shrinks a reserved, uncommitted record to len payload bytes (len <= rec->size).
 * For the last record reserved the space goes back to the ring; otherwise the slack
 * stays in the ring as a filler the consumer steps over.  The trail moves with the
 * payload end.  Returns 0, -EINVAL (grow, or not a reserved record) or -EBADMSG.
 */
int ring_shrink(struct ring *ring, struct ring_rec *rec, uint32_t len);

/*
 * Gives back a reserved, uncommitted record.  The last reserved record returns its
 * space; an earlier one becomes a filler.  Returns 0, -EINVAL or -EBADMSG.
 */
int ring_cancel(struct ring *ring, struct ring_rec *rec);

/*
 * Marks a reserved record complete.  Records may be committed in any order; they become
 * visible to the consumer in reservation order at the next ring_publish().
 */
int ring_commit(struct ring *ring, const struct ring_rec *rec);

/*
 * Publishes the committed prefix: stores the shared tail (release), issues a seq_cst
 * fence and, when the consumer is asleep, clears alertable and signals the eventfd (so
 * a sleep costs one signal however many publishes it spans).  Returns the number of
 * records made visible, or -EBADMSG.
 */
int ring_publish(struct ring *ring);

/*
 * Reserves a run of len contiguous bytes (len <= params.max_run) at run->data, for a
 * receive of several datagrams at once.  The bytes are the caller's until
 * ring_run_end(); nothing after the run is published before that.  A run never wraps:
 * when it does not fit before the end of the data area, the rest of the area becomes a
 * filler and the run starts at offset 0.  Several runs may be open at once; end them
 * last-first to give unused ends back.  Returns 0, -EINVAL (ring without runs), -EMSGSIZE (len > max_run), -ENOBUFS (full: counted), -EBADMSG.
 */
int ring_reserve_run(struct ring *ring, uint32_t len, struct ring_run *run);

/*
 * Makes the len bytes at payload, inside the run and past every record carved from it
 * before, a committed record in place.  Its size word goes in the bytes before payload
 * (aligned down), which must no longer be needed: datagram i's header, once it has been
 * authenticated.  Records are carved in address order.  Returns 0 and the record in rec,
 * -ENOSPC when the size word would overlap the previous record (the caller may move the
 * payload up by ring_carve_shortfall() bytes or drop it), -EMSGSIZE (len > max_payload),
 * -EINVAL (outside the run) or -EBADMSG.
 */
int ring_carve(struct ring *ring, struct ring_run *run, uint8_t *payload, uint32_t len,
	       struct ring_rec *rec);

/* How far payload must move up for ring_carve() to take it (0: it can as it is). */
uint32_t ring_carve_shortfall(const struct ring *ring, const struct ring_run *run,
			      const uint8_t *payload);

/*
 * Closes the run: the space before the first record and after the last becomes fillers
 * (the end goes back to the ring when the run was the last reservation), and the carved
 * records are published at the next ring_publish().  A run with no record is cancelled.
 * Returns the number of records, -EINVAL (no open run) or -EBADMSG.
 */
int ring_run_end(struct ring *ring, struct ring_run *run);

/* ---- consumer ---------------------------------------------------------------------- */

/*
 * Returns the next published record in order.  The record stays in the ring, owned by
 * the caller, until ring_release.  Fillers and (with ip_only) non-IP records are stepped
 * over and counted.  Returns 0, -EAGAIN (empty) or -EBADMSG (poisoned/corrupt).
 */
int ring_peek(struct ring *ring, struct ring_rec *rec);

/*
 * Hands a peeked record back.  Any order is allowed; the shared head advances over the
 * released prefix when enough has accumulated or on ring_consumer_flush().
 */
int ring_release(struct ring *ring, const struct ring_rec *rec);

/* Stores the shared head over everything released so far.  Returns 0 or -EBADMSG. */
int ring_consumer_flush(struct ring *ring);

/*
 * Sleep protocol, split so a host event loop can wait on ring_event_fd() itself:
 * ring_wait_prepare() sets alertable, fences (seq_cst) and re-checks the tail; it returns
 * true when records are already there (alertable cleared: do not sleep).  After the fd
 * fires or the wait times out, call ring_wait_finish() (clears alertable, and drains the
 * eventfd only if a producer signalled: an idle wakeup costs no read).
 */
int ring_event_fd(const struct ring *ring);
bool ring_wait_prepare(struct ring *ring);
void ring_wait_finish(struct ring *ring);

/*
 * Blocks until a record is published, the ring is poisoned, or timeout_ms passes
 * (-1: no limit).  Returns 0 (records available), -ETIMEDOUT, -EBADMSG, -EINTR, or
 * -EAGAIN for a wakeup left over from an earlier publish that found nothing new (call
 * again).
 */
int ring_wait(struct ring *ring, int timeout_ms);

/* True when the payload starts like an IPv4 (>= 20 bytes) or IPv6 (>= 40 bytes) packet. */
bool ring_payload_is_ip(const uint8_t *payload, uint32_t size);

#endif /* ZCVPN_RING_RING_H */
