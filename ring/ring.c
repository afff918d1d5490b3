/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record ring: reservation, shrink, out-of-order commit with in-order publication,
 * out-of-order release with in-order head movement, validation of everything read back
 * from the shared area, and the alertable/eventfd wakeup handshake.
 */
#include "config.h"

#include "ring/ring.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ring {
	struct ring_shared *shared;
	struct ring_params params;
	uint32_t mask;			/* capacity - 1 */
	uint32_t max_footprint;		/* of a record with max_payload */
	uint32_t max_filler;		/* largest filler: a record's or a run's footprint */
	bool owns_shared;
	bool owns_fd;
	int event_fd;

	/* Producer-private cursors (WintunAllocateSendPacket's Receive.Tail/TailRelease). */
	uint32_t prod_tail;		/* end of the last reservation */
	uint32_t prod_published;	/* shared tail as last stored */
	uint32_t prod_head_cache;	/* last validated shared head */

	/* Consumer-private cursors (WintunReceivePacket's Send.Head/HeadRelease). */
	uint32_t cons_read;		/* next record to peek */
	uint32_t cons_released;		/* end of the released prefix */
	uint32_t cons_head_stored;	/* shared head as last stored */
	uint32_t cons_tail_cache;	/* last validated shared tail */
	bool cons_signal_in_flight;	/* a producer claimed a wakeup we have not read */

	/*
	 * Each counter has one writer (its side's thread) and may be read from any thread:
	 * relaxed atomics, bumped with a plain load and store.  poisoned is written by
	 * either side.
	 */
	struct {
		_Atomic uint64_t reserved, full, published;		/* producer */
		_Atomic uint64_t consumed, skipped_non_ip, fillers;	/* consumer */
		_Atomic uint64_t runs, carved;				/* producer */
	} count;
	_Atomic bool poisoned;
};

static inline void bump(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline bool dead(const struct ring *ring)
{
	return atomic_load_explicit(&ring->poisoned, memory_order_relaxed);
}

static inline uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static inline uint32_t footprint(const struct ring *ring, uint32_t size)
{
	return align_up(RING_HDR_SIZE + ring->params.lead + size + ring->params.trail,
			ring->params.align);
}

static inline bool is_carved(uint32_t w)
{
	return (w & (RING_SIZE_CARVED | RING_SIZE_FILLER)) == RING_SIZE_CARVED;
}

static inline uint32_t carved_gap(uint32_t w)
{
	return (w >> RING_CARVED_GAP_SHIFT) & RING_CARVED_GAP_MASK;
}

/* Payload bytes of a record's size word (not a filler's). */
static inline uint32_t word_size(uint32_t w)
{
	return is_carved(w) ? w & RING_CARVED_SIZE_MASK : w & RING_SIZE_MASK;
}

/* Bytes from a record's size word to its payload. */
static inline uint32_t payload_offset(const struct ring *ring, uint32_t w)
{
	return RING_HDR_SIZE + (is_carved(w) ? carved_gap(w) : (uint32_t)ring->params.lead);
}

static inline uint32_t distance(const struct ring *ring, uint32_t from, uint32_t to)
{
	return (to - from) & ring->mask;
}

static inline _Atomic uint32_t *size_word(struct ring *ring, uint32_t offset)
{
	/* Offsets are validated (< capacity, aligned >= 4) before they get here. */
	return (_Atomic uint32_t *)(void *)(ring->shared->data + offset);
}

static inline uint32_t load_word(struct ring *ring, uint32_t offset)
{
	return atomic_load_explicit(size_word(ring, offset), memory_order_relaxed);
}

static inline void store_word(struct ring *ring, uint32_t offset, uint32_t v)
{
	atomic_store_explicit(size_word(ring, offset), v, memory_order_relaxed);
}

static inline bool offset_ok(const struct ring *ring, uint32_t off)
{
	return off <= ring->mask && !(off & (ring->params.align - 1));
}

static void fill_rec(struct ring *ring, uint32_t offset, uint32_t size, struct ring_rec *rec)
{
	rec->offset = offset;
	rec->size = size;
	rec->payload = ring->shared->data + offset + RING_HDR_SIZE + ring->params.lead;
}

/* The record (or filler) whose word w sits at offset, as the consumer sees it. */
static void fill_rec_word(struct ring *ring, uint32_t offset, uint32_t w, struct ring_rec *rec)
{
	rec->offset = offset;
	rec->size = (w & RING_SIZE_FILLER) ? w & RING_SIZE_MASK : word_size(w);
	rec->payload = ring->shared->data + offset +
		       ((w & RING_SIZE_FILLER) ? RING_HDR_SIZE + (uint32_t)ring->params.lead :
						 payload_offset(ring, w));
}

/* A run's own size word takes one alignment unit before the bytes it hands out. */
static uint32_t run_footprint(const struct ring_params *p, uint32_t len)
{
	return align_up(p->align + len, p->align);
}

int ring_params_check(const struct ring_params *p, const char **errmsg)
{
	const char *msg = NULL;

	if (!is_pow2(p->capacity) || p->capacity < RING_MIN_CAPACITY ||
	    p->capacity > RING_MAX_CAPACITY)
		msg = "ring capacity must be a power of two from 4 KiB to 1 GiB";
	else if (!is_pow2(p->align) || p->align < 4 || p->align > RING_MAX_ALIGN)
		msg = "ring alignment must be a power of two from 4 to 64";
	else if (p->lead > RING_MAX_LEAD || p->trail > RING_MAX_TRAIL)
		msg = "ring lead room is limited to 256 bytes, trail room to 16384";
	else if (p->max_payload == 0 || p->max_payload > RING_MAX_PAYLOAD)
		msg = "ring max_payload must be 1..65535 bytes";
	else if (align_up(RING_HDR_SIZE + p->lead + p->max_payload + p->trail, p->align) +
		 p->align > p->capacity)
		msg = "ring capacity is too small for one maximum-size record";
	else if (p->max_run > RING_MAX_RUN)
		msg = "ring max_run is limited to 128 KiB";
	else if (p->max_run && 2 * run_footprint(p, p->max_run) + p->align > p->capacity)
		msg = "ring capacity is too small for two maximum-size runs";
	if (errmsg)
		*errmsg = msg;
	return msg ? -EINVAL : 0;
}

size_t ring_shared_size(const struct ring_params *p)
{
	uint32_t max_fp = align_up(RING_HDR_SIZE + p->lead + p->max_payload + p->trail,
				   p->align);

	/* Wintun: RingSize = sizeof(TUN_RING) + Capacity + (TUN_MAX_PACKET_SIZE - ALIGNMENT). */
	return sizeof(struct ring_shared) + (size_t)p->capacity + max_fp - p->align;
}

static int ring_init(struct ring *ring, const struct ring_params *p)
{
	ring->params = *p;
	ring->mask = p->capacity - 1;
	ring->max_footprint = footprint(ring, p->max_payload);
	ring->max_filler = ring->max_footprint;
	/* A run's unused end, or the end of the area a run skipped. */
	if (p->max_run && run_footprint(p, p->max_run) > ring->max_filler)
		ring->max_filler = run_footprint(p, p->max_run);
	ring->prod_tail = ring->prod_published = atomic_load(&ring->shared->tail);
	ring->prod_head_cache = atomic_load(&ring->shared->head);
	ring->cons_read = ring->cons_released = ring->cons_head_stored =
		ring->prod_head_cache;
	ring->cons_tail_cache = ring->cons_read;
	if (!offset_ok(ring, ring->prod_tail) || !offset_ok(ring, ring->cons_read))
		ring_poison(ring);
	return 0;
}

int ring_attach(struct ring **out, const struct ring_params *p, struct ring_shared *shared,
		int event_fd)
{
	struct ring *ring;
	int ret = ring_params_check(p, NULL);

	if (ret)
		return ret;
	if (!shared || ((uintptr_t)shared & 3))
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring->shared = shared;
	ring->event_fd = event_fd;
	ring_init(ring, p);
	*out = ring;
	return 0;
}

int ring_new(struct ring **out, const struct ring_params *p)
{
	struct ring_shared *shared;
	struct ring *ring = NULL;
	int fd, ret = ring_params_check(p, NULL);

	if (ret)
		return ret;
	/*
	 * calloc, not malloc + memset: a large ring comes back as fresh zero pages, so
	 * creating a 1 GiB ring does not touch a gigabyte.  Its 16-byte alignment is more
	 * than the 4 the size words need.
	 */
	shared = calloc(1, ring_shared_size(p));
	if (!shared)
		return -ENOMEM;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		goto err_free_shared;
	}
	ret = ring_attach(&ring, p, shared, fd);
	if (ret)
		goto err_close_fd;
	ring->owns_shared = true;
	ring->owns_fd = true;
	*out = ring;
	return 0;

err_close_fd:
	close(fd);
err_free_shared:
	free(shared);
	return ret;
}

void ring_free(struct ring *ring)
{
	if (!ring)
		return;
	if (ring->owns_fd)
		close(ring->event_fd);
	if (ring->owns_shared)
		free(ring->shared);
	free(ring);
}

struct ring_shared *ring_shared(struct ring *ring)
{
	return ring->shared;
}

const struct ring_params *ring_params(const struct ring *ring)
{
	return &ring->params;
}

void ring_get_stats(const struct ring *ring, struct ring_stats *stats)
{
	stats->reserved = atomic_load_explicit(&ring->count.reserved, memory_order_relaxed);
	stats->full = atomic_load_explicit(&ring->count.full, memory_order_relaxed);
	stats->published = atomic_load_explicit(&ring->count.published, memory_order_relaxed);
	stats->consumed = atomic_load_explicit(&ring->count.consumed, memory_order_relaxed);
	stats->skipped_non_ip = atomic_load_explicit(&ring->count.skipped_non_ip,
						     memory_order_relaxed);
	stats->fillers = atomic_load_explicit(&ring->count.fillers, memory_order_relaxed);
	stats->runs = atomic_load_explicit(&ring->count.runs, memory_order_relaxed);
	stats->carved = atomic_load_explicit(&ring->count.carved, memory_order_relaxed);
	stats->poisoned = dead(ring);
}

int ring_event_fd(const struct ring *ring)
{
	return ring->event_fd;
}

/*
 * ring_poison() marks both shared offsets: the head alone is not enough, as the consumer
 * owns it and a head store of its own can land just after a producer's RING_POISON and
 * bury it.  Nobody overwrites a producer's poisoned tail (the producer is dead), nor a
 * consumer's poisoned head; so either side finds at least the mark the other one left
 * in its own offset.
 */
static bool shared_poisoned(const struct ring *ring)
{
	return atomic_load_explicit(&ring->shared->head, memory_order_relaxed) == RING_POISON ||
	       atomic_load_explicit(&ring->shared->tail, memory_order_relaxed) == RING_POISON;
}

bool ring_is_poisoned(const struct ring *ring)
{
	return shared_poisoned(ring) || dead(ring);
}

uint32_t ring_used(const struct ring *ring)
{
	uint32_t head = atomic_load_explicit(&ring->shared->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&ring->shared->tail, memory_order_relaxed);

	if (head == RING_POISON || tail == RING_POISON)
		return 0;
	return distance(ring, head, tail);
}

static void signal_consumer(struct ring *ring)
{
	uint64_t one = 1;

	if (ring->event_fd >= 0 && write(ring->event_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so the consumer is being woken anyway. */
	}
}

void ring_poison(struct ring *ring)
{
	atomic_store_explicit(&ring->poisoned, true, memory_order_relaxed);
	atomic_store_explicit(&ring->shared->head, RING_POISON, memory_order_seq_cst);
	atomic_store_explicit(&ring->shared->tail, RING_POISON, memory_order_seq_cst);
	/* A sleeping consumer must learn about it now, not at its next timeout. */
	atomic_store_explicit(&ring->shared->alertable, 0, memory_order_relaxed);
	signal_consumer(ring);
}

bool ring_payload_is_ip(const uint8_t *payload, uint32_t size)
{
	if (size < 1)
		return false;
	switch (payload[0] >> 4) {
	case 4:
		return size >= 20;
	case 6:
		return size >= 40;
	default:
		return false;
	}
}

/* ---- producer ---------------------------------------------------------------------- */

/*
 * Reads the consumer's head and checks it only moved forward within what was published.
 * Returns false (after poisoning) when it did not.
 */
static bool refresh_head(struct ring *ring)
{
	uint32_t head = atomic_load_explicit(&ring->shared->head, memory_order_acquire);

	if (head == ring->prod_head_cache)
		return true;
	if (!offset_ok(ring, head) ||
	    distance(ring, ring->prod_head_cache, head) >
		    distance(ring, ring->prod_head_cache, ring->prod_published)) {
		ring_poison(ring);
		return false;
	}
	ring->prod_head_cache = head;
	return true;
}

static uint32_t free_space(const struct ring *ring)
{
	/* One alignment unit stays free so that head == tail means empty (as in Wintun). */
	return (ring->prod_head_cache - ring->prod_tail - ring->params.align) & ring->mask;
}

int ring_reserve(struct ring *ring, uint32_t max_len, struct ring_rec *rec)
{
	uint32_t fp;

	if (dead(ring))
		return -EBADMSG;
	if (max_len > ring->params.max_payload)
		return -EMSGSIZE;
	fp = footprint(ring, max_len);
	if (fp > free_space(ring)) {
		if (!refresh_head(ring))
			return -EBADMSG;
		if (fp > free_space(ring)) {
			bump(&ring->count.full, 1);
			return -ENOBUFS;
		}
	}
	store_word(ring, ring->prod_tail, RING_SIZE_BUSY | max_len);
	fill_rec(ring, ring->prod_tail, max_len, rec);
	ring->prod_tail = (ring->prod_tail + fp) & ring->mask;
	bump(&ring->count.reserved, 1);
	return 0;
}

static bool is_reserved(struct ring *ring, const struct ring_rec *rec)
{
	return offset_ok(ring, rec->offset) &&
	       load_word(ring, rec->offset) == (RING_SIZE_BUSY | rec->size);
}

/*
 * A reserved record that ends at the private tail is the last one reserved.  So after a
 * cancel, the one before becomes last: unused records of a batch can be given back in
 * reverse order without leaving fillers behind.
 */
static bool is_last(const struct ring *ring, const struct ring_rec *rec)
{
	return ((rec->offset + footprint(ring, rec->size)) & ring->mask) == ring->prod_tail;
}

/* Turns [offset, offset + len) of a reserved record into a committed filler. */
static void write_filler(struct ring *ring, uint32_t offset, uint32_t len)
{
	store_word(ring, offset & ring->mask, RING_SIZE_FILLER | len);
}

int ring_shrink(struct ring *ring, struct ring_rec *rec, uint32_t len)
{
	uint32_t old_fp, new_fp;

	if (dead(ring))
		return -EBADMSG;
	if (len > rec->size || !is_reserved(ring, rec))
		return -EINVAL;
	old_fp = footprint(ring, rec->size);
	new_fp = footprint(ring, len);
	if (new_fp < old_fp) {
		if (is_last(ring, rec))
			ring->prod_tail = (rec->offset + new_fp) & ring->mask;
		else
			write_filler(ring, rec->offset + new_fp, old_fp - new_fp);
	}
	store_word(ring, rec->offset, RING_SIZE_BUSY | len);
	rec->size = len;
	return 0;
}

int ring_cancel(struct ring *ring, struct ring_rec *rec)
{
	if (dead(ring))
		return -EBADMSG;
	if (!is_reserved(ring, rec))
		return -EINVAL;
	if (is_last(ring, rec)) {
		ring->prod_tail = rec->offset;
	} else {
		write_filler(ring, rec->offset, footprint(ring, rec->size));
	}
	rec->payload = NULL;
	return 0;
}

int ring_commit(struct ring *ring, const struct ring_rec *rec)
{
	if (dead(ring))
		return -EBADMSG;
	if (!is_reserved(ring, rec))
		return -EINVAL;
	store_word(ring, rec->offset, rec->size);
	return 0;
}

/* ---- carved runs ---------------------------------------------------------------- */

/*
 * The run's own word (BUSY | CARVED) holds back publication of everything from it on
 * until ring_run_end() replaces it: records carved meanwhile are committed but unseen.
 */
#define RUN_WORD (RING_SIZE_BUSY | RING_SIZE_CARVED)

static bool run_is_open(struct ring *ring, const struct ring_run *run)
{
	return offset_ok(ring, run->offset) && run->footprint &&
	       load_word(ring, run->offset) == RUN_WORD;
}

int ring_reserve_run(struct ring *ring, uint32_t len, struct ring_run *run)
{
	uint32_t fp, skip, start;

	if (dead(ring))
		return -EBADMSG;
	if (!ring->params.max_run)
		return -EINVAL;
	if (!len || len > ring->params.max_run)
		return -EMSGSIZE;
	fp = run_footprint(&ring->params, len);
	/* Records never start in the slack, so a run must end within the area. */
	skip = ring->prod_tail + fp > ring->params.capacity ?
		       ring->params.capacity - ring->prod_tail : 0;
	if (skip + fp > free_space(ring)) {
		if (!refresh_head(ring))
			return -EBADMSG;
		if (skip + fp > free_space(ring)) {
			bump(&ring->count.full, 1);
			return -ENOBUFS;
		}
	}
	run->wrap_from = ring->prod_tail;
	if (skip)
		write_filler(ring, ring->prod_tail, skip);
	start = (ring->prod_tail + skip) & ring->mask;
	store_word(ring, start, RUN_WORD);
	run->offset = start;
	run->footprint = fp;
	run->data = ring->shared->data + start + ring->params.align;
	run->len = fp - ring->params.align;
	run->carved_end = start + ring->params.align;
	run->records = 0;
	if (!skip)
		run->wrap_from = start;
	ring->prod_tail = (start + fp) & ring->mask;
	return 0;
}

/* Offset of the size word for a payload at p: aligned down, 4 bytes before it. */
static uint32_t carve_word_offset(const struct ring *ring, const uint8_t *p)
{
	uint32_t at = (uint32_t)(p - ring->shared->data) - RING_HDR_SIZE;

	return at & ~(ring->params.align - 1);
}

uint32_t ring_carve_shortfall(const struct ring *ring, const struct ring_run *run,
			      const uint8_t *payload)
{
	const uint8_t *first = ring->shared->data + run->carved_end + RING_HDR_SIZE;

	return payload >= first ? 0 : (uint32_t)(first - payload);
}

int ring_carve(struct ring *ring, struct ring_run *run, uint8_t *payload, uint32_t len,
	       struct ring_rec *rec)
{
	uint32_t at, gap;

	if (dead(ring))
		return -EBADMSG;
	if (!run_is_open(ring, run))
		return -EINVAL;
	if (len > ring->params.max_payload)
		return -EMSGSIZE;
	if (payload < run->data || payload > run->data + run->len ||
	    len > (uint32_t)(run->data + run->len - payload))
		return -EINVAL;
	if (ring_carve_shortfall(ring, run, payload))
		return -ENOSPC;
	at = carve_word_offset(ring, payload);
	gap = (uint32_t)(payload - ring->shared->data) - at - RING_HDR_SIZE;
	if (at > run->carved_end)
		write_filler(ring, run->carved_end, at - run->carved_end);
	store_word(ring, at, RING_SIZE_CARVED | gap << RING_CARVED_GAP_SHIFT | len);
	rec->offset = at;
	rec->size = len;
	rec->payload = payload;
	run->carved_end = at + align_up(RING_HDR_SIZE + gap + len, ring->params.align);
	run->records++;
	bump(&ring->count.carved, 1);
	return 0;
}

int ring_run_end(struct ring *ring, struct ring_run *run)
{
	uint32_t end;
	int records;

	if (dead(ring))
		return -EBADMSG;
	if (!run_is_open(ring, run))
		return -EINVAL;
	end = run->offset + run->footprint;
	records = (int)run->records;
	if (!records) {
		/* Nothing carved: as a cancel, back to where the run began (its skip too). */
		if ((end & ring->mask) == ring->prod_tail)
			ring->prod_tail = run->wrap_from;
		else
			write_filler(ring, run->offset, run->footprint);
		goto done;
	}
	if ((end & ring->mask) == ring->prod_tail)
		ring->prod_tail = run->carved_end & ring->mask;
	else if (run->carved_end < end)
		write_filler(ring, run->carved_end, end - run->carved_end);
	/*
	 * Last, the word that held publication back becomes a filler of its own unit (a
	 * filler from ring_carve() covers any space up to record 0).
	 */
	write_filler(ring, run->offset, ring->params.align);
	bump(&ring->count.runs, 1);
done:
	run->footprint = 0;
	return records;
}

/*
 * Footprint of the record or filler whose size word is w, or 0 when w cannot be one
 * (caller poisons).  limit is how many bytes may hold it.
 */
static uint32_t word_footprint(const struct ring *ring, uint32_t w, uint32_t limit)
{
	uint32_t fp;

	if (w & RING_SIZE_FILLER) {
		fp = w & RING_SIZE_MASK;
		if (fp < ring->params.align || (fp & (ring->params.align - 1)) ||
		    fp > ring->max_filler)
			return 0;
	} else if (w & RING_SIZE_CARVED) {
		/* Only a ring that takes runs has carved records; bits 22..28 stay clear. */
		if (!ring->params.max_run || (w & 0x1fc00000u) ||
		    carved_gap(w) >= ring->params.align ||
		    word_size(w) > ring->params.max_payload)
			return 0;
		fp = align_up(RING_HDR_SIZE + carved_gap(w) + word_size(w), ring->params.align);
	} else {
		if ((w & RING_SIZE_MASK) > ring->params.max_payload)
			return 0;
		fp = footprint(ring, w & RING_SIZE_MASK);
	}
	return fp <= limit ? fp : 0;
}

int ring_publish(struct ring *ring)
{
	uint32_t cur = ring->prod_published;
	int count = 0;

	if (dead(ring))
		return -EBADMSG;
	/* Once a batch, look for a consumer that declared the ring dead. */
	if (shared_poisoned(ring)) {
		atomic_store_explicit(&ring->poisoned, true, memory_order_relaxed);
		return -EBADMSG;
	}
	while (cur != ring->prod_tail) {
		uint32_t w = load_word(ring, cur);
		uint32_t fp;

		if (w & RING_SIZE_BUSY)
			break;
		fp = word_footprint(ring, w, distance(ring, cur, ring->prod_tail));
		if (!fp) {
			ring_poison(ring);
			return -EBADMSG;
		}
		if (!(w & RING_SIZE_FILLER))
			count++;
		cur = (cur + fp) & ring->mask;
	}
	if (cur == ring->prod_published)
		return 0;
	ring->prod_published = cur;
	bump(&ring->count.published, (uint64_t)count);
	atomic_store_explicit(&ring->shared->tail, cur, memory_order_release);
	/*
	 * Store tail, then load alertable: a store-load pair that only a full fence orders
	 * (the bug Wintun fixed in 2026).  The consumer fences between its own pair.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * Whoever clears alertable signals: one eventfd write per sleep, however many
	 * publishes it spans, and the consumer knows whether there is a count to read.
	 */
	if (atomic_load_explicit(&ring->shared->alertable, memory_order_relaxed) &&
	    atomic_exchange_explicit(&ring->shared->alertable, 0, memory_order_relaxed))
		signal_consumer(ring);
	return count;
}

/* ---- consumer ---------------------------------------------------------------------- */

/*
 * Loads and checks the producer's tail: measured from the head we last stored (all the
 * producer knows of), it may only move forward, and never past capacity - align (the
 * unit the producer keeps free).  Returns false (after poisoning) on a bad one.
 */
static bool refresh_tail(struct ring *ring)
{
	uint32_t tail = atomic_load_explicit(&ring->shared->tail, memory_order_acquire);
	uint32_t head = ring->cons_head_stored;

	if (tail == ring->cons_tail_cache)
		return true;
	if (!offset_ok(ring, tail) ||
	    distance(ring, head, tail) < distance(ring, head, ring->cons_tail_cache) ||
	    distance(ring, head, tail) > ring->params.capacity - ring->params.align) {
		ring_poison(ring);
		return false;
	}
	ring->cons_tail_cache = tail;
	return true;
}

static void store_head(struct ring *ring)
{
	if (ring->cons_released == ring->cons_head_stored)
		return;
	ring->cons_head_stored = ring->cons_released;
	atomic_store_explicit(&ring->shared->head, ring->cons_released, memory_order_release);
}

static bool consumer_dead(struct ring *ring)
{
	if (dead(ring))
		return true;
	if (shared_poisoned(ring)) {
		atomic_store_explicit(&ring->poisoned, true, memory_order_relaxed);
		return true;
	}
	return false;
}

/* Walks the released prefix forward: released records and fillers, up to cons_read. */
static int advance_released(struct ring *ring)
{
	uint32_t cur = ring->cons_released;

	while (cur != ring->cons_read) {
		uint32_t w = load_word(ring, cur);
		uint32_t fp;

		if (!(w & (RING_SIZE_BUSY | RING_SIZE_FILLER)))
			break;
		fp = word_footprint(ring, w & ~RING_SIZE_BUSY, distance(ring, cur, ring->cons_read));
		if (!fp) {
			ring_poison(ring);
			return -EBADMSG;
		}
		cur = (cur + fp) & ring->mask;
	}
	ring->cons_released = cur;
	/* Batch the head store: a quarter ring of released bytes, or nothing left to read. */
	if (distance(ring, ring->cons_head_stored, cur) >= (ring->params.capacity >> 2) ||
	    cur == ring->cons_read)
		store_head(ring);
	return 0;
}

int ring_peek(struct ring *ring, struct ring_rec *rec)
{
	for (;;) {
		uint32_t avail, w, fp;

		if (consumer_dead(ring))
			return -EBADMSG;
		if (ring->cons_read == ring->cons_tail_cache) {
			if (!refresh_tail(ring))
				return -EBADMSG;
			if (ring->cons_read == ring->cons_tail_cache) {
				store_head(ring);
				return -EAGAIN;
			}
		}
		avail = distance(ring, ring->cons_read, ring->cons_tail_cache);
		w = load_word(ring, ring->cons_read);
		fp = (w & RING_SIZE_BUSY) ? 0 : word_footprint(ring, w, avail);
		if (!fp) {
			ring_poison(ring);
			return -EBADMSG;
		}
		fill_rec_word(ring, ring->cons_read, w, rec);
		ring->cons_read = (ring->cons_read + fp) & ring->mask;
		if (w & RING_SIZE_FILLER) {
			bump(&ring->count.fillers, 1);
		} else if (ring->params.ip_only && !ring_payload_is_ip(rec->payload, rec->size)) {
			bump(&ring->count.skipped_non_ip, 1);
			store_word(ring, rec->offset, w | RING_SIZE_BUSY);
		} else {
			bump(&ring->count.consumed, 1);
			return 0;
		}
		if (advance_released(ring))
			return -EBADMSG;
	}
}

int ring_release(struct ring *ring, const struct ring_rec *rec)
{
	uint32_t w;

	if (consumer_dead(ring))
		return -EBADMSG;
	/* Only records between the released prefix and the read cursor can be released. */
	if (!offset_ok(ring, rec->offset) ||
	    distance(ring, ring->cons_released, rec->offset) >=
		    distance(ring, ring->cons_released, ring->cons_read))
		return -EINVAL;
	w = load_word(ring, rec->offset);
	if ((w & (RING_SIZE_BUSY | RING_SIZE_FILLER)) || word_size(w) != rec->size ||
	    rec->payload != ring->shared->data + rec->offset + payload_offset(ring, w))
		return -EINVAL;
	store_word(ring, rec->offset, w | RING_SIZE_BUSY);
	if (rec->offset == ring->cons_released)
		return advance_released(ring);
	return 0;
}

int ring_consumer_flush(struct ring *ring)
{
	if (consumer_dead(ring))
		return -EBADMSG;
	store_head(ring);
	return 0;
}

bool ring_wait_prepare(struct ring *ring)
{
	atomic_store_explicit(&ring->shared->alertable, 1, memory_order_relaxed);
	/* Store alertable, then load tail: the consumer half of the Dekker pair. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ring->shared->tail, memory_order_relaxed) != ring->cons_read ||
	    consumer_dead(ring)) {
		atomic_store_explicit(&ring->shared->alertable, 0, memory_order_relaxed);
		return true;
	}
	return false;
}

/*
 * Still alertable means no producer signalled: no count to read, no syscall.  Cleared
 * means one did (or ring_wait_prepare found records, or the ring was poisoned) and the
 * count is read; if its write has not landed yet, the next call reads it, so the fd
 * never stays readable behind a consumer that thinks it is idle.
 */
void ring_wait_finish(struct ring *ring)
{
	bool claimed = !atomic_exchange_explicit(&ring->shared->alertable, 0,
						 memory_order_relaxed);
	uint64_t count;

	if (ring->event_fd < 0 || (!claimed && !ring->cons_signal_in_flight))
		return;
	ring->cons_signal_in_flight =
		read(ring->event_fd, &count, sizeof(count)) < 0 && claimed;
}

int ring_wait(struct ring *ring, int timeout_ms)
{
	struct pollfd pfd = { .fd = ring->event_fd, .events = POLLIN };
	int ret;

	if (ring_wait_prepare(ring))
		return consumer_dead(ring) ? -EBADMSG : 0;
	/* Before sleeping, hand the producer the space released so far. */
	store_head(ring);
	ret = poll(&pfd, 1, timeout_ms);
	ring_wait_finish(ring);
	if (ret < 0)
		return -errno;
	if (consumer_dead(ring))
		return -EBADMSG;
	if (atomic_load_explicit(&ring->shared->tail, memory_order_acquire) != ring->cons_read)
		return 0;
	return ret == 0 ? -ETIMEDOUT : -EAGAIN;
}
