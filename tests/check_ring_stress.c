/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ring under abuse and under load.  corruption: a million random writes to the shared
 * head, tail, alertable flag, size words and data bytes of rings holding live records,
 * each followed by a random run of producer and consumer calls, on one handle, on a
 * ring_new handle with an attached consumer, and on two handles attached to an area of
 * exactly ring_shared_size() bytes; every call must return a documented code, every
 * record it hands out must lie inside the area (ASan judges the ring's own accesses), and
 * once the ring is poisoned every call must fail with -EBADMSG.  two_threads: ten million
 * records of skewed random sizes from a producer thread to a consumer thread, with
 * shrinks, cancels, shuffled commits, partial publishes, shuffled releases and flushes;
 * each carries its sequence number, length and an FNV-1a checksum, with lead and trail
 * marked, so a lost, reordered, overwritten or torn record fails.  missed_wakeup: a
 * hundred thousand lockstep cycles of a consumer sleeping in ring_wait and a producer
 * publishing before, while or after it gets there; a sleep that runs into its timeout
 * with the record published is a lost wakeup.  poison_race: a producer that declares the
 * ring dead while the consumer moves the head must reach the consumer.  Seeds are fixed
 * and printed; RING_STRESS_SEED runs another.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A passing ck_assert reports its location to Check's parent process, one syscall each
 * (about a microsecond); the hot loops below make tens of millions of checks, so they
 * only call into Check when something is wrong.
 */
#define must(fz, cond, fmt, ...)                                                          \
	do {                                                                              \
		if (!(cond))                                                              \
			ck_abort_msg("seed %#" PRIx64 ", corruption %lu: " fmt, (fz)->seed, \
				     (fz)->corruptions, ##__VA_ARGS__);                   \
	} while (0)

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A hash of v: what splitmix64 returns for a state of v - increment. */
static uint64_t mix64(uint64_t v)
{
	uint64_t s = v;

	return splitmix64(&s);
}

/* Uniform in [0, n) for n >= 1, by multiply-shift (bias below 2^-32). */
static uint32_t below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)(((splitmix64(rng) >> 32) * n) >> 32);
}

static uint64_t test_seed(const char *tcase, uint64_t fallback)
{
	const char *env = getenv("RING_STRESS_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : fallback;

	fprintf(stderr, "ring_stress %s: seed %#" PRIx64 " (RING_STRESS_SEED replays another)\n",
		tcase, seed);
	return seed;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void shuffle(unsigned *order, unsigned n, uint64_t *rng)
{
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = below(rng, i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* The first failure any thread ran into; the test reads it after joining them. */
struct verdict {
	_Atomic bool failed;
	char why[256];
};

static void flunk(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void flunk(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (atomic_exchange(&v->failed, true))
		return;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static bool flunked(struct verdict *v)
{
	return atomic_load_explicit(&v->failed, memory_order_relaxed);
}

/* ---- corruption ------------------------------------------------------------------------- */

enum {
	FUZZ_CORRUPTIONS = 1000000,
	MAX_RESV = 6,		/* reservations the fuzzer keeps open */
	MAX_HELD = 6,		/* peeked records it keeps */
	HISTORY = 16,		/* offsets of recent records: where live size words are */
	STALE = 8,		/* records already committed, cancelled or released */
	SCRATCH = RING_MAX_LEAD + RING_MAX_TRAIL + RING_MAX_PAYLOAD,
};

enum layout {
	ONE_HANDLE,	/* ring_new; producer and consumer calls on the same handle */
	NEW_ATTACH,	/* ring_new producer, consumer attached to its area and eventfd */
	TWO_ATTACH,	/* both attached to an exact-size calloc area: ASan sees byte one past */
};

/* Small capacities, so records wrap into the slack all the time. */
static const struct fuzz_kind {
	const char *name;
	struct ring_params p;
	enum layout layout;
} fuzz_kinds[] = {
	{ "lead 32 trail 48, attached consumer", { 4096, 1500, 32, 48, 16, false, 0 }, NEW_ATTACH },
	{ "Wintun layout, two attached", { 4096, 1000, 0, 0, 4, false, 0 }, TWO_ATTACH },
	{ "one handle", { 4096, 600, 16, 32, 16, false, 0 }, ONE_HANDLE },
	{ "align 64, ip_only, two attached", { 4096, 900, 20, 12, 64, true, 0 }, TWO_ATTACH },
	{ "align 8, attached consumer", { 4096, 1200, 8, 24, 8, false, 0 }, NEW_ATTACH },
};

enum side { PROD, CONS };

struct slot {
	const struct fuzz_kind *kind;
	struct ring *prod, *cons;	/* the same handle for ONE_HANDLE */
	struct ring_shared *shared;
	size_t size;			/* ring_shared_size(): no record may touch past it */
	int fd;				/* TWO_ATTACH: our eventfd */
	struct ring_rec resv[MAX_RESV];	/* reserved, neither committed nor cancelled */
	struct ring_rec held[MAX_HELD];	/* peeked, not released */
	struct ring_rec stale[STALE];	/* handed back already: for misuse */
	uint32_t history[HISTORY];
	unsigned n_resv, n_held, n_stale, n_history;
	bool damaged;			/* written behind the ring's back: -EBADMSG is fair */
	unsigned idle;			/* probes without a successful reservation */
	int last_target;		/* of the last corruption, for the detection tally */
};

enum target { T_HEAD, T_TAIL, T_ALERTABLE, T_WORD, T_BYTE, T_COUNT };

static const char *const target_names[T_COUNT] = {
	[T_HEAD] = "head", [T_TAIL] = "tail", [T_ALERTABLE] = "alertable",
	[T_WORD] = "size word", [T_BYTE] = "data byte",
};

struct fuzz {
	uint64_t seed, rng;
	unsigned long corruptions, calls, records, recreated, detected;
	unsigned long applied[T_COUNT], poisoned[T_COUNT];
	struct slot slots[ARRAY_SIZE(fuzz_kinds)];
	uint8_t scratch[SCRATCH];
};

enum verb { V_RESERVE, V_SHRINK, V_CANCEL, V_COMMIT, V_PUBLISH, V_PEEK, V_RELEASE, V_FLUSH, V_WAIT,
	    V_COUNT };

/*
 * What ring.h documents for each call.  sees_poison: the call looks at the shared head
 * and fails as soon as the other side has poisoned the ring.  The producer's reserve,
 * shrink, cancel and commit do not (they would bounce the consumer's cache line on every
 * record); the producer learns at its next publish, as ring_publish says.
 */
static const struct verb_rule {
	const char *name;
	enum side side;
	bool sees_poison;
	int errors[5];		/* the documented failures; 0 ends the list, success is 0 */
} rules[V_COUNT] = {
	[V_RESERVE] = { "reserve", PROD, false, { -EMSGSIZE, -ENOBUFS, -EBADMSG } },
	[V_SHRINK] = { "shrink", PROD, false, { -EINVAL, -EBADMSG } },
	[V_CANCEL] = { "cancel", PROD, false, { -EINVAL, -EBADMSG } },
	[V_COMMIT] = { "commit", PROD, false, { -EINVAL, -EBADMSG } },
	[V_PUBLISH] = { "publish", PROD, true, { -EBADMSG } },	/* success is a count */
	[V_PEEK] = { "peek", CONS, true, { -EAGAIN, -EBADMSG } },
	[V_RELEASE] = { "release", CONS, true, { -EINVAL, -EBADMSG } },
	[V_FLUSH] = { "flush", CONS, true, { -EBADMSG } },
	[V_WAIT] = { "wait", CONS, true, { -EAGAIN, -ETIMEDOUT, -EBADMSG, -EINTR } },
};

static struct ring *side_handle(const struct slot *s, enum side side)
{
	return side == PROD ? s->prod : s->cons;
}

static bool handle_dead(const struct ring *ring)
{
	struct ring_stats st;

	ring_get_stats(ring, &st);
	return st.poisoned;
}

/* The state a call's result is judged against, taken just before the call. */
struct before {
	bool dead;		/* the handle is poisoned */
	bool poisoned;		/* or the shared head says the ring is */
};

static struct before before(const struct slot *s, enum verb v)
{
	struct ring *h = side_handle(s, rules[v].side);

	return (struct before){ handle_dead(h), ring_is_poisoned(h) };
}

static bool documented(const struct verb_rule *r, int ret)
{
	if (ret >= 0)
		return ret == 0 || r == &rules[V_PUBLISH];
	for (const int *e = r->errors; *e; e++)
		if (ret == *e)
			return true;
	return false;
}

static void judge(struct fuzz *fz, const struct slot *s, enum verb v, struct before b, int ret)
{
	const struct verb_rule *r = &rules[v];
	struct ring *h = side_handle(s, r->side);
	const struct ring_params *p = &s->kind->p;

	fz->calls++;
	must(fz, documented(r, ret), "%s (%s) returned %d", r->name, s->kind->name, ret);
	if (b.dead || (b.poisoned && r->sees_poison))
		must(fz, ret == -EBADMSG, "%s on a poisoned ring (%s) returned %d", r->name,
		     s->kind->name, ret);
	if (ret == -EBADMSG) {
		must(fz, handle_dead(h) && ring_is_poisoned(h),
		     "%s failed with -EBADMSG on a handle that is not poisoned", r->name);
		must(fz, s->damaged, "%s poisoned a ring (%s) nobody corrupted", r->name,
		     s->kind->name);
	}
	/* At most one record per unit of the smallest footprint. */
	if (v == V_PUBLISH)
		must(fz, ret <= (int)(p->capacity / p->align), "publish counted %d records", ret);
}

static unsigned history_len(const struct slot *s)
{
	return s->n_history < HISTORY ? s->n_history : HISTORY;
}

static void remember(struct slot *s, uint32_t offset)
{
	s->history[s->n_history++ % HISTORY] = offset;
}

static void retire(struct slot *s, const struct ring_rec *rec)
{
	s->stale[s->n_stale++ % STALE] = *rec;
}

static void drop(struct ring_rec *recs, unsigned *n, unsigned i)
{
	recs[i] = recs[--*n];
}

/*
 * A record must sit at an aligned offset below capacity, with its lead, payload and
 * trail inside the area; then every byte of it is written (reserve) or read (peek)
 * through memset/memcpy, which ASan checks as one range.
 */
static void check_record(struct fuzz *fz, const struct slot *s, const struct ring_rec *rec,
			 bool write, uint8_t fill)
{
	const struct ring_params *p = &s->kind->p;
	uintptr_t lo = (uintptr_t)s->shared->data, hi = (uintptr_t)s->shared + s->size;
	uintptr_t at = (uintptr_t)rec->payload;
	size_t span = (size_t)p->lead + rec->size + p->trail;

	must(fz, rec->offset < p->capacity && !(rec->offset & (p->align - 1u)),
	     "record at offset %u", rec->offset);
	must(fz, rec->size <= p->max_payload, "record of %u bytes", rec->size);
	must(fz, at == lo + rec->offset + RING_HDR_SIZE + p->lead,
	     "payload pointer does not match offset %u", rec->offset);
	must(fz, at - p->lead >= lo && at - p->lead + span <= hi,
	     "record [%#zx, +%zu) outside the area [0, %zu)", (size_t)(at - p->lead - lo), span,
	     (size_t)(hi - lo));
	if (write)
		memset(rec->payload - p->lead, fill, span);
	else
		memcpy(fz->scratch, rec->payload - p->lead, span);
}

/* Sizes from 0 to max_payload, skewed to the edges. */
static uint32_t fuzz_len(const struct ring_params *p, uint64_t *rng)
{
	switch (below(rng, 8)) {
	case 0: return 0;
	case 1: return p->max_payload;
	case 2: return below(rng, 41);
	default: return below(rng, p->max_payload + 1);
	}
}

static uint8_t fuzz_fill(const struct slot *s, uint64_t *rng)
{
	static const uint8_t ip_first[] = { 0x45, 0x60, 0x4f, 0x00 };

	if (s->kind->p.ip_only && below(rng, 2))
		return ip_first[below(rng, ARRAY_SIZE(ip_first))];
	return (uint8_t)splitmix64(rng);
}

static void step_commit(struct fuzz *fz, struct slot *s);
static void step_release(struct fuzz *fz, struct slot *s);

static void step_reserve(struct fuzz *fz, struct slot *s)
{
	const struct ring_params *p = &s->kind->p;
	uint32_t len = fuzz_len(p, &fz->rng);
	struct ring_rec rec;
	struct before b;
	int ret;

	if (s->n_resv == MAX_RESV) {
		step_commit(fz, s);
		return;
	}
	b = before(s, V_RESERVE);
	ret = ring_reserve(s->prod, len, &rec);
	judge(fz, s, V_RESERVE, b, ret);
	must(fz, ret != -EMSGSIZE, "reserve of %u bytes (max %u) refused as too big", len,
	     p->max_payload);
	if (ret)
		return;
	must(fz, rec.size == len, "reserved %u bytes, asked for %u", rec.size, len);
	check_record(fz, s, &rec, true, fuzz_fill(s, &fz->rng));
	s->resv[s->n_resv++] = rec;
	remember(s, rec.offset);
	s->idle = 0;
	fz->records++;
}

static void step_reserve_too_big(struct fuzz *fz, struct slot *s)
{
	uint32_t len = s->kind->p.max_payload + 1 + below(&fz->rng, 3 * RING_MAX_PAYLOAD);
	struct before b = before(s, V_RESERVE);
	struct ring_rec rec;
	int ret = ring_reserve(s->prod, len, &rec);

	judge(fz, s, V_RESERVE, b, ret);
	must(fz, ret == -EMSGSIZE || ret == -EBADMSG, "reserve of %u bytes returned %d", len, ret);
}

/* The last reservation half of the time: shrinking that one returns space to the ring. */
static unsigned pick_resv(struct fuzz *fz, const struct slot *s)
{
	return below(&fz->rng, 2) ? s->n_resv - 1 : below(&fz->rng, s->n_resv);
}

static void step_shrink(struct fuzz *fz, struct slot *s)
{
	unsigned i;
	uint32_t len;
	struct before b;
	int ret;

	if (!s->n_resv)
		return;
	i = pick_resv(fz, s);
	len = below(&fz->rng, s->resv[i].size + 1);
	b = before(s, V_SHRINK);
	ret = ring_shrink(s->prod, &s->resv[i], len);
	judge(fz, s, V_SHRINK, b, ret);
	must(fz, ret != -EINVAL || s->damaged, "shrink of a good reservation refused");
	if (ret == 0)
		must(fz, s->resv[i].size == len, "shrunk to %u, not %u", s->resv[i].size, len);
	else if (ret == -EINVAL)
		drop(s->resv, &s->n_resv, i);	/* its size word is gone: it is lost */
}

static void step_cancel(struct fuzz *fz, struct slot *s)
{
	unsigned i;
	struct before b;
	int ret;

	if (!s->n_resv)
		return;
	i = pick_resv(fz, s);
	b = before(s, V_CANCEL);
	ret = ring_cancel(s->prod, &s->resv[i]);
	judge(fz, s, V_CANCEL, b, ret);
	must(fz, ret != -EINVAL || s->damaged, "cancel of a good reservation refused");
	if (ret != -EBADMSG) {
		retire(s, &s->resv[i]);
		drop(s->resv, &s->n_resv, i);
	}
}

static void step_commit(struct fuzz *fz, struct slot *s)
{
	unsigned i;
	struct before b;
	int ret;

	if (!s->n_resv)
		return;
	i = below(&fz->rng, s->n_resv);
	b = before(s, V_COMMIT);
	ret = ring_commit(s->prod, &s->resv[i]);
	judge(fz, s, V_COMMIT, b, ret);
	must(fz, ret != -EINVAL || s->damaged, "commit of a good reservation refused");
	if (ret != -EBADMSG) {
		retire(s, &s->resv[i]);
		drop(s->resv, &s->n_resv, i);
	}
}

static void step_publish(struct fuzz *fz, struct slot *s)
{
	struct before b = before(s, V_PUBLISH);

	judge(fz, s, V_PUBLISH, b, ring_publish(s->prod));
}

static void step_peek(struct fuzz *fz, struct slot *s)
{
	struct ring_rec rec;
	struct before b;
	int ret;

	if (s->n_held == MAX_HELD) {
		step_release(fz, s);
		return;
	}
	b = before(s, V_PEEK);
	ret = ring_peek(s->cons, &rec);
	judge(fz, s, V_PEEK, b, ret);
	if (ret)
		return;
	check_record(fz, s, &rec, false, 0);
	s->held[s->n_held++] = rec;
	remember(s, rec.offset);
}

static void step_release(struct fuzz *fz, struct slot *s)
{
	unsigned i;
	struct before b;
	int ret;

	if (!s->n_held)
		return;
	i = below(&fz->rng, s->n_held);
	b = before(s, V_RELEASE);
	ret = ring_release(s->cons, &s->held[i]);
	judge(fz, s, V_RELEASE, b, ret);
	must(fz, ret != -EINVAL || s->damaged, "release of a good record refused");
	if (ret != -EBADMSG) {
		retire(s, &s->held[i]);
		drop(s->held, &s->n_held, i);
	}
}

static void step_flush(struct fuzz *fz, struct slot *s)
{
	struct before b = before(s, V_FLUSH);

	judge(fz, s, V_FLUSH, b, ring_consumer_flush(s->cons));
}

static void step_wait(struct fuzz *fz, struct slot *s)
{
	struct before b = before(s, V_WAIT);

	judge(fz, s, V_WAIT, b, ring_wait(s->cons, 0));
}

/* A record the caller should not hold: one handed back already, or made up. */
static struct ring_rec forged_rec(struct fuzz *fz, const struct slot *s)
{
	const struct ring_params *p = &s->kind->p;
	struct ring_rec rec = { 0 };
	uint32_t w;

	switch (below(&fz->rng, 4)) {
	case 0:
		if (s->n_stale)
			return s->stale[below(&fz->rng, s->n_stale < STALE ? s->n_stale : STALE)];
		/* fall through */
	case 1:
		rec.offset = (uint32_t)splitmix64(&fz->rng);
		rec.size = (uint32_t)splitmix64(&fz->rng);
		break;
	default:
		/* A real record start with whatever its size word says, flags stripped or not. */
		rec.offset = s->n_history ? s->history[below(&fz->rng, history_len(s))]
					  : below(&fz->rng, p->capacity) & ~(p->align - 1u);
		memcpy(&w, s->shared->data + rec.offset, sizeof(w));
		rec.size = below(&fz->rng, 2) ? w & RING_SIZE_MASK : w & ~RING_SIZE_BUSY;
		break;
	}
	rec.payload = s->shared->data;	/* never dereferenced by the ring for these calls */
	return rec;
}

static void step_misuse(struct fuzz *fz, struct slot *s)
{
	struct ring_rec rec = forged_rec(fz, s);
	enum verb v;
	struct before b;
	int ret;

	s->damaged = true;	/* a forged record may well be accepted, and then anything goes */
	switch (below(&fz->rng, 5)) {
	case 0:
		v = V_COMMIT;
		b = before(s, v);
		ret = ring_commit(s->prod, &rec);
		break;
	case 1:
		v = V_CANCEL;
		b = before(s, v);
		ret = ring_cancel(s->prod, &rec);
		break;
	case 2:
		v = V_SHRINK;
		b = before(s, v);
		ret = ring_shrink(s->prod, &rec, below(&fz->rng, rec.size | 1));
		break;
	case 3:
		/* Growing a good reservation is refused. */
		if (s->n_resv) {
			rec = s->resv[below(&fz->rng, s->n_resv)];
			v = V_SHRINK;
			b = before(s, v);
			ret = ring_shrink(s->prod, &rec, rec.size + 1 + below(&fz->rng, 64));
			must(fz, ret == -EINVAL || ret == -EBADMSG, "shrink grew a record (%d)",
			     ret);
			break;
		}
		/* fall through */
	default:
		v = V_RELEASE;
		b = before(s, v);
		ret = ring_release(s->cons, &rec);
		break;
	}
	judge(fz, s, v, b, ret);
}

static void slot_attach(struct slot *s, enum side side)
{
	struct ring **h = side == PROD ? &s->prod : &s->cons;
	int fd = s->kind->layout == TWO_ATTACH ? s->fd : ring_event_fd(s->prod);

	ck_assert_int_eq(ring_attach(h, &s->kind->p, s->shared, fd), 0);
}

/* A side restarts over the damaged area: ring_attach must validate what it finds there. */
static void step_reattach(struct fuzz *fz, struct slot *s)
{
	enum side side;

	if (s->kind->layout == ONE_HANDLE)
		return;
	side = s->kind->layout == NEW_ATTACH || below(&fz->rng, 2) ? CONS : PROD;
	s->damaged = true;
	ring_free(side_handle(s, side));
	slot_attach(s, side);
	if (side == PROD)
		s->n_resv = 0;
	else
		s->n_held = 0;
}

/* Legitimate traffic and the probes after a corruption draw from the same verbs. */
static const struct step {
	void (*run)(struct fuzz *fz, struct slot *s);
	unsigned traffic, probe;	/* weights */
} steps[] = {
	{ step_reserve, 6, 5 },
	{ step_reserve_too_big, 0, 1 },
	{ step_shrink, 2, 2 },
	{ step_cancel, 1, 2 },
	{ step_commit, 5, 4 },
	{ step_publish, 3, 3 },
	{ step_peek, 5, 5 },
	{ step_release, 4, 3 },
	{ step_flush, 1, 1 },
	{ step_wait, 1, 1 },
	{ step_misuse, 0, 2 },
	{ step_reattach, 0, 1 },
};

static void run_steps(struct fuzz *fz, struct slot *s, unsigned n, bool probe)
{
	unsigned total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		total += probe ? steps[i].probe : steps[i].traffic;
	while (n--) {
		unsigned r = below(&fz->rng, total);
		size_t i = 0;

		for (;; i++) {
			unsigned w = probe ? steps[i].probe : steps[i].traffic;

			if (r < w)
				break;
			r -= w;
		}
		steps[i].run(fz, s);
	}
}

static void slot_open(struct fuzz *fz, struct slot *s)
{
	const struct ring_params *p = &s->kind->p;

	s->n_resv = s->n_held = s->n_stale = s->n_history = 0;
	s->damaged = false;
	s->idle = 0;
	s->size = ring_shared_size(p);
	if (s->kind->layout == TWO_ATTACH) {
		s->shared = calloc(1, s->size);
		ck_assert_ptr_nonnull(s->shared);
		slot_attach(s, PROD);
	} else {
		ck_assert_int_eq(ring_new(&s->prod, p), 0);
		s->shared = ring_shared(s->prod);
	}
	if (s->kind->layout == ONE_HANDLE)
		s->cons = s->prod;
	else
		slot_attach(s, CONS);
	/* Live records in every state before the first corruption; nothing may fail here. */
	run_steps(fz, s, 8 + below(&fz->rng, 16), false);
}

static void slot_close(struct slot *s)
{
	if (s->cons != s->prod)
		ring_free(s->cons);
	ring_free(s->prod);
	if (s->kind->layout == TWO_ATTACH)
		free(s->shared);
	s->prod = s->cons = NULL;
}

/* ---- the corruptions: where, and what is written there ---------------------------------- */

static uint32_t load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void store32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Where a live size word is: an open or held record, a recent one, or any record slot. */
static uint32_t word_offset(struct fuzz *fz, const struct slot *s)
{
	const struct ring_params *p = &s->kind->p;
	unsigned r = below(&fz->rng, 8);

	if (r < 2 && s->n_resv)
		return s->resv[below(&fz->rng, s->n_resv)].offset;
	if (r < 4 && s->n_held)
		return s->held[below(&fz->rng, s->n_held)].offset;
	if (r < 7 && s->n_history)
		return s->history[below(&fz->rng, history_len(s))];
	return below(&fz->rng, p->capacity) & ~(p->align - 1u);
}

#define ENDS	((1u << T_HEAD) | (1u << T_TAIL))
#define WORD	(1u << T_WORD)
#define ALERT	(1u << T_ALERTABLE)

struct site {
	enum target target;
	void *at;		/* the u32 to overwrite */
	uint32_t cur;		/* what it holds now */
};

typedef uint32_t value_fn(struct fuzz *fz, const struct slot *s, const struct site *site);

static uint32_t v_random(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	return (uint32_t)splitmix64(&fz->rng);
}

static uint32_t v_bit_flip(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	return site->cur ^ (1u << below(&fz->rng, 32));
}

static uint32_t v_past_capacity(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	uint32_t cap = s->kind->p.capacity;

	return below(&fz->rng, 2) ? cap + below(&fz->rng, 2 * RING_MAX_ALIGN)
				  : cap * (2 + below(&fz->rng, 4)) + site->cur;
}

static uint32_t v_misaligned(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	uint32_t align = s->kind->p.align;

	return site->cur + 1 + below(&fz->rng, align - 1);
}

/* Another aligned offset below capacity: only the range checks can tell. */
static uint32_t v_other_offset(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	const struct ring_params *p = &s->kind->p;

	return (site->cur + p->align * (1 + below(&fz->rng, p->capacity / p->align - 1))) &
	       (p->capacity - 1);
}

static uint32_t v_one_unit(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	uint32_t d = below(&fz->rng, 2) ? s->kind->p.align : 4;

	return below(&fz->rng, 2) ? site->cur + d : site->cur - d;
}

/* The head or the tail set from the other one: the ring empty, full, or nearly full. */
static uint32_t v_other_end(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	const struct ring_params *p = &s->kind->p;
	uint32_t head = atomic_load(&s->shared->head), tail = atomic_load(&s->shared->tail);
	uint32_t gap = p->align * below(&fz->rng, 3);

	return (site->target == T_HEAD ? tail + gap : head - gap) & (p->capacity - 1);
}

static uint32_t v_poison(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	return RING_POISON;
}

static uint32_t v_busy(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	return RING_SIZE_BUSY | (below(&fz->rng, 2) ? site->cur : fuzz_len(&s->kind->p, &fz->rng));
}

static uint32_t v_filler(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	const struct ring_params *p = &s->kind->p;

	switch (below(&fz->rng, 4)) {
	case 0: return RING_SIZE_FILLER | (p->align * below(&fz->rng, 2 * p->capacity / p->align));
	case 1: return RING_SIZE_FILLER | below(&fz->rng, 2 * p->capacity);
	case 2: return RING_SIZE_FILLER | (site->cur & RING_SIZE_MASK);
	default: return RING_SIZE_FILLER | RING_SIZE_BUSY | below(&fz->rng, p->capacity);
	}
}

/* A size whose record would run past the tail, or past max_payload. */
static uint32_t v_past_tail(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	const struct ring_params *p = &s->kind->p;

	switch (below(&fz->rng, 3)) {
	case 0: return (site->cur & RING_SIZE_MASK) + p->align * (1 + below(&fz->rng, 64));
	case 1: return p->max_payload - below(&fz->rng, 2);
	default: return p->max_payload + 1 + below(&fz->rng, 64);
	}
}

static uint32_t v_huge(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	static const uint32_t huge[] = { RING_SIZE_MASK, 0x7fffffff, 0xfffffffe, 0x10000,
					 0x3ffffff0, RING_MAX_PAYLOAD };

	return huge[below(&fz->rng, ARRAY_SIZE(huge))];
}

static uint32_t v_zero(struct fuzz *fz, const struct slot *s, const struct site *site)
{
	return 0;
}

static const struct corruption {
	value_fn *value;
	unsigned targets;
} corruptions[] = {
	{ v_random, ENDS | WORD | ALERT },
	{ v_bit_flip, ENDS | WORD | ALERT },
	{ v_past_capacity, ENDS | WORD },
	{ v_misaligned, ENDS | WORD },
	{ v_other_offset, ENDS },
	{ v_one_unit, ENDS | WORD },
	{ v_other_end, ENDS },
	{ v_poison, ENDS | WORD },
	{ v_busy, WORD },
	{ v_filler, WORD },
	{ v_past_tail, WORD },
	{ v_huge, WORD },
	{ v_zero, ENDS | WORD | ALERT },
};

static struct site pick_site(struct fuzz *fz, struct slot *s)
{
	static const enum target weighted[] = { T_HEAD, T_HEAD, T_TAIL, T_TAIL, T_ALERTABLE,
						T_WORD, T_WORD, T_WORD, T_WORD, T_WORD, T_BYTE };
	struct site site = { .target = weighted[below(&fz->rng, ARRAY_SIZE(weighted))] };

	switch (site.target) {
	case T_HEAD: site.at = &s->shared->head; break;
	case T_TAIL: site.at = &s->shared->tail; break;
	case T_ALERTABLE: site.at = &s->shared->alertable; break;
	case T_WORD: site.at = s->shared->data + word_offset(fz, s); break;
	default: site.at = s->shared->data + below(&fz->rng, (uint32_t)(s->size - 3 -
									      sizeof(*s->shared)));
	}
	site.cur = load32(site.at);
	return site;
}

/* One write behind the ring's back that actually changes something. */
static void corrupt(struct fuzz *fz, struct slot *s)
{
	struct site site = pick_site(fz, s);
	uint32_t v;

	if (site.target == T_BYTE) {
		uint8_t *b = site.at;

		*b ^= (uint8_t)(1 + below(&fz->rng, 255));
	} else {
		const struct corruption *c;

		do
			c = &corruptions[below(&fz->rng, ARRAY_SIZE(corruptions))];
		while (!(c->targets & (1u << site.target)));
		v = c->value(fz, s, &site);
		if (v == site.cur)
			v = ~v;
		store32(site.at, v);
	}
	s->damaged = true;
	s->last_target = site.target;
	fz->applied[site.target]++;
	fz->corruptions++;
}

/*
 * Once either side saw a violation, the shared area must say so (RING_POISON in the head
 * or the tail), and both sides must fail every call with -EBADMSG; the producer's reserve
 * and friends from its next publish on (see rules[]).
 */
static void expect_all_dead(struct fuzz *fz, struct slot *s)
{
	static const enum verb order[] = { V_PEEK, V_FLUSH, V_WAIT, V_RELEASE, V_PUBLISH,
					   V_RESERVE, V_SHRINK, V_CANCEL, V_COMMIT };
	uint32_t head = atomic_load(&s->shared->head), tail = atomic_load(&s->shared->tail);
	struct ring_rec spare = { 0 };

	must(fz, head == RING_POISON || tail == RING_POISON,
	     "a poisoned ring (%s) has head %#x and tail %#x", s->kind->name, head, tail);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum verb v = order[i];
		struct ring *h = side_handle(s, rules[v].side);
		struct ring_rec *rec = s->n_resv ? &s->resv[0] : &spare;
		struct before b = before(s, v);
		int ret;

		switch (v) {
		case V_PEEK: ret = ring_peek(h, &spare); break;
		case V_FLUSH: ret = ring_consumer_flush(h); break;
		case V_WAIT: ret = ring_wait(h, 0); break;
		case V_RELEASE: ret = ring_release(h, s->n_held ? &s->held[0] : &spare); break;
		case V_PUBLISH: ret = ring_publish(h); break;
		case V_RESERVE: ret = ring_reserve(h, 0, &spare); break;
		case V_SHRINK: ret = ring_shrink(h, rec, 0); break;
		case V_CANCEL: ret = ring_cancel(h, rec); break;
		default: ret = ring_commit(h, rec); break;
		}
		judge(fz, s, v, b, ret);
		must(fz, ret == -EBADMSG, "%s on a poisoned ring (%s) returned %d", rules[v].name,
		     s->kind->name, ret);
	}
}

/* After the probes: a poisoned ring is checked and replaced; a wedged one replaced. */
static void settle(struct fuzz *fz, struct slot *s)
{
	if (ring_is_poisoned(s->prod) || ring_is_poisoned(s->cons)) {
		fz->detected++;
		fz->poisoned[s->last_target]++;
		expect_all_dead(fz, s);
	} else if (s->idle++ < 64 && below(&fz->rng, 1024)) {
		return;
	}
	slot_close(s);
	slot_open(fz, s);
	fz->recreated++;
}

static void fuzz_report(const struct fuzz *fz, double seconds)
{
	fprintf(stderr, "ring_stress corruption: %lu corruptions, %lu calls, %lu records, "
		"%lu rings poisoned, %lu replaced, %.1f s\n", fz->corruptions, fz->calls,
		fz->records, fz->detected, fz->recreated, seconds);
	for (int t = 0; t < T_COUNT; t++)
		fprintf(stderr, "  %-10s %8lu written, %8lu then poisoned\n", target_names[t],
			fz->applied[t], fz->poisoned[t]);
}

START_TEST(test_corruption)
{
	struct fuzz *fz = calloc(1, sizeof(*fz));
	double start = now_s();

	ck_assert_ptr_nonnull(fz);
	fz->seed = fz->rng = test_seed("corruption", 0x7a63767052494e47ull);
	for (size_t i = 0; i < ARRAY_SIZE(fuzz_kinds); i++) {
		struct slot *s = &fz->slots[i];

		s->kind = &fuzz_kinds[i];
		s->fd = -1;
		if (s->kind->layout == TWO_ATTACH) {
			s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			ck_assert_int_ge(s->fd, 0);
		}
		slot_open(fz, s);
	}
	for (unsigned long round = 0; fz->corruptions < FUZZ_CORRUPTIONS; round++) {
		struct slot *s = &fz->slots[round % ARRAY_SIZE(fuzz_kinds)];

		run_steps(fz, s, 1 + below(&fz->rng, 4), false);
		/* Traffic may trip over the last round's damage; then there is nothing to add. */
		if (!ring_is_poisoned(s->prod) && !ring_is_poisoned(s->cons)) {
			corrupt(fz, s);
			run_steps(fz, s, 4 + below(&fz->rng, 13), true);
		}
		settle(fz, s);
	}
	fuzz_report(fz, now_s() - start);
	for (int t = 0; t < T_COUNT; t++)
		ck_assert_uint_gt(fz->applied[t], 0);
	/* Much damage to live state is caught; the rest lands in free space or payload. */
	ck_assert_uint_gt(fz->poisoned[T_HEAD], fz->applied[T_HEAD] / 4);
	ck_assert_uint_gt(fz->poisoned[T_TAIL], fz->applied[T_TAIL] / 4);
	ck_assert_uint_gt(fz->poisoned[T_WORD], fz->applied[T_WORD] / 10);
	for (size_t i = 0; i < ARRAY_SIZE(fuzz_kinds); i++) {
		slot_close(&fz->slots[i]);
		if (fz->slots[i].fd >= 0)
			close(fz->slots[i].fd);
	}
	free(fz);
}
END_TEST

/* ---- two threads ------------------------------------------------------------------------- */

enum {
	STRESS_RECORDS = 10000000,
	STRESS_BATCH = 16,	/* reservations per producer batch, at most */
	STRESS_HELD = 64,	/* records the consumer holds, at most */
	STALL_SECONDS = 10,	/* no progress for this long fails the test */
};

static const struct ring_params stress_params = {
	.capacity = 1u << 16, .max_payload = 1500, .lead = 32, .trail = 48, .align = 16,
};

struct stress {
	struct ring *prod, *cons;
	uint64_t seed, records;
	struct verdict verdict;
	/* producer */
	uint64_t cancels, shrinks_last, shrinks, nobufs, partial_publishes;
	/* consumer */
	uint64_t delivered, bytes, waits, flushes;
};

/* Fails the test once progress stalled for STALL_SECONDS; since == 0 means "progressing". */
static bool stalled(struct stress *st, double *since, const char *who)
{
	double now = now_s();

	if (*since == 0)
		*since = now;
	else if (now - *since > STALL_SECONDS)
		flunk(&st->verdict, "%s: no progress for %d s", who, STALL_SECONDS);
	return flunked(&st->verdict);
}

/* The length of record seq, a function of (seed, seq) alone, so the consumer can check it. */
static uint32_t stress_len(const struct stress *st, uint64_t seq)
{
	uint64_t h = mix64(st->seed ^ (seq * 0xd6e8feb86659fd93ull));
	uint32_t r = (uint32_t)(h >> 32), max = stress_params.max_payload;

	switch (h & 7) {
	case 0: return r % 16;			/* tiny, shorter than the stamp */
	case 1: return max;			/* the maximum */
	case 2: return max - r % 64;		/* near it */
	case 3:
	case 4: return 16 + r % 113;		/* small packets */
	default: return r % (max + 1);
	}
}

/* Records of 16 bytes and more start with this; the rest is a pattern it checksums. */
struct stamp {
	uint64_t seq;
	uint32_t len;
	uint32_t sum;	/* FNV-1a over the bytes after the stamp, 64-bit words at a time */
};

#define FNV64_BASIS	0xcbf29ce484222325ull
#define FNV64_PRIME	0x100000001b3ull

static uint32_t fnv_fold(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

/* Word at a time so ten million records cost seconds, not minutes; the tail zero-padded. */
static uint32_t fnv_words(const uint8_t *p, uint32_t n)
{
	uint64_t h = FNV64_BASIS, w;
	uint32_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * FNV64_PRIME;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, p + i, n - i);
		h = (h ^ w) * FNV64_PRIME;
	}
	return fnv_fold(h);
}

/* The bytes of a record too short for a stamp: the first len bytes of two hashes of seq. */
static void tiny_bytes(const struct stress *st, uint64_t seq, uint8_t out[16])
{
	uint64_t w[2] = { mix64(st->seed + seq), mix64(~st->seed - seq) };

	memcpy(out, w, 16);
}

/* Fills record seq: lead and trail marked, payload stamped and patterned. */
static void stress_write(const struct stress *st, uint8_t *payload, uint32_t len, uint64_t seq)
{
	const struct ring_params *p = &stress_params;
	struct stamp stamp = { .seq = seq, .len = len };
	uint64_t state = st->seed ^ seq, w;
	uint8_t *body = payload + sizeof(stamp);
	uint32_t i, n;

	memset(payload - p->lead, (uint8_t)seq, p->lead);
	memset(payload + len, (uint8_t)~seq, p->trail);
	if (len < sizeof(stamp)) {
		uint8_t tiny[16];

		tiny_bytes(st, seq, tiny);
		memcpy(payload, tiny, len);
		return;
	}
	n = len - (uint32_t)sizeof(stamp);
	for (i = 0; i + 8 <= n; i += 8) {
		w = splitmix64(&state);
		memcpy(body + i, &w, 8);
	}
	w = splitmix64(&state);
	memcpy(body + i, &w, n - i);
	stamp.sum = fnv_words(body, n);
	memcpy(payload, &stamp, sizeof(stamp));
}

static bool all_bytes(const uint8_t *p, uint32_t n, uint8_t v)
{
	uint64_t pattern = 0x0101010101010101ull * v, w;
	uint32_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != pattern)
			return false;
	}
	for (; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* At peek: the record the consumer expects next, by length and stamp. */
static bool stress_in_order(struct stress *st, const struct ring_rec *rec, uint64_t seq)
{
	uint32_t len = stress_len(st, seq);
	struct stamp stamp;

	if (rec->size != len) {
		flunk(&st->verdict, "record %" PRIu64 ": %u bytes, expected %u (lost or reordered)",
		      seq, rec->size, len);
		return false;
	}
	if (len < sizeof(stamp))
		return true;
	memcpy(&stamp, rec->payload, sizeof(stamp));
	if (stamp.seq != seq || stamp.len != len) {
		flunk(&st->verdict, "record %" PRIu64 " carries sequence %" PRIu64 " length %u",
		      seq, stamp.seq, stamp.len);
		return false;
	}
	return true;
}

/* At release, after the record sat in the ring a while: every byte as written. */
static bool stress_intact(struct stress *st, const struct ring_rec *rec, uint64_t seq)
{
	const struct ring_params *p = &stress_params;
	uint32_t len = rec->size;
	struct stamp stamp;
	uint8_t tiny[16];
	bool ok;

	ok = all_bytes(rec->payload - p->lead, p->lead, (uint8_t)seq) &&
	     all_bytes(rec->payload + len, p->trail, (uint8_t)~seq);
	if (ok && len < sizeof(stamp)) {
		tiny_bytes(st, seq, tiny);
		ok = !memcmp(rec->payload, tiny, len);
	} else if (ok) {
		memcpy(&stamp, rec->payload, sizeof(stamp));
		ok = stamp.seq == seq && stamp.len == len &&
		     stamp.sum == fnv_words(rec->payload + sizeof(stamp), len - sizeof(stamp));
	}
	if (!ok)
		flunk(&st->verdict, "record %" PRIu64 " (%u bytes) corrupted while held", seq, len);
	return ok;
}

/* One reservation of a producer batch. */
struct entry {
	struct ring_rec rec;
	uint64_t seq;
	uint32_t len;		/* final payload length */
	bool cancel;		/* reserved to be given back, like an unused recvmmsg slot */
	bool written;
};

/* What to reserve for a record of len bytes: exactly that, the worst case, or between. */
static uint32_t reserve_len(const struct stress *st, uint32_t len, uint64_t *rng)
{
	switch (below(rng, 4)) {
	case 0: return len;
	case 1: return stress_params.max_payload;
	default: return len + below(rng, stress_params.max_payload - len + 1);
	}
}

static bool stress_shrink(struct stress *st, struct entry *e, uint32_t len)
{
	int ret = ring_shrink(st->prod, &e->rec, len);

	if (ret || e->rec.size != len) {
		flunk(&st->verdict, "shrink of record %" PRIu64 " to %u: %d", e->seq, len, ret);
		return false;
	}
	st->shrinks++;
	return true;
}

/*
 * Reserves up to a random number of records, stopping early when the ring is full.
 * Records to keep get the next sequence numbers in reservation order, which is the order
 * the consumer sees them in.  Some are written and shrunk at once (the last reservation
 * gives its space back), some cancelled at once; the rest wait for finish_batch().
 */
static bool reserve_batch(struct stress *st, struct entry *b, unsigned *n, unsigned *kept,
			  uint64_t next, uint64_t *rng)
{
	unsigned want = 1 + below(rng, STRESS_BATCH);

	*n = *kept = 0;
	while (*n < want && next + *kept < st->records) {
		struct entry *e = &b[*n];
		uint32_t size;
		int ret;

		e->cancel = below(rng, 12) == 0;
		e->written = false;
		e->seq = next + *kept;
		e->len = e->cancel ? 0 : stress_len(st, e->seq);
		size = e->cancel ? below(rng, stress_params.max_payload + 1)
				 : reserve_len(st, e->len, rng);
		ret = ring_reserve(st->prod, size, &e->rec);
		if (ret == -ENOBUFS) {
			st->nobufs++;
			break;
		}
		if (ret || e->rec.size != size) {
			flunk(&st->verdict, "reserve of %u bytes: %d", size, ret);
			return false;
		}
		if (e->cancel && below(rng, 4) == 0) {
			if (ring_cancel(st->prod, &e->rec)) {
				flunk(&st->verdict, "cancel of the last reservation failed");
				return false;
			}
			st->cancels++;
			continue;
		}
		++*n;
		if (e->cancel)
			continue;
		++*kept;
		if (below(rng, 2)) {
			stress_write(st, e->rec.payload, e->len, e->seq);
			e->written = true;
		}
		if (e->rec.size > e->len && below(rng, 3) == 0) {
			if (!stress_shrink(st, e, e->len))
				return false;
			st->shrinks_last++;
		}
	}
	return true;
}

/*
 * Cancels, shrinks (now an earlier record as often as the last), writes and commits the
 * batch in shuffled order, publishing now and then on the way; all kept records must have
 * been published at the end.
 */
static bool finish_batch(struct stress *st, struct entry *b, unsigned n, unsigned kept,
			 uint64_t *rng)
{
	unsigned order[STRESS_BATCH];
	int published = 0, ret;

	shuffle(order, n, rng);
	for (unsigned i = 0; i < n; i++) {
		struct entry *e = &b[order[i]];

		if (e->cancel) {
			if (ring_cancel(st->prod, &e->rec)) {
				flunk(&st->verdict, "cancel failed");
				return false;
			}
			st->cancels++;
			continue;
		}
		/* Sometimes in two steps, as a decryption that strips a header, then padding. */
		if (e->rec.size > e->len + 1 && below(rng, 8) == 0 &&
		    !stress_shrink(st, e, e->len + 1 + below(rng, e->rec.size - e->len - 1)))
			return false;
		if (e->rec.size > e->len && !stress_shrink(st, e, e->len))
			return false;
		if (!e->written)
			stress_write(st, e->rec.payload, e->len, e->seq);
		ret = ring_commit(st->prod, &e->rec);
		if (!ret && below(rng, 8) == 0) {
			ret = ring_publish(st->prod);
			published += ret;
			st->partial_publishes++;
		}
		if (ret < 0) {
			flunk(&st->verdict, "commit or publish of record %" PRIu64 ": %d", e->seq,
			      ret);
			return false;
		}
	}
	ret = ring_publish(st->prod);
	if (ret < 0 || published + ret != (int)kept) {
		flunk(&st->verdict, "published %d + %d records of a batch of %u", published, ret,
		      kept);
		return false;
	}
	return true;
}

static void *stress_producer(void *arg)
{
	struct stress *st = arg;
	struct entry batch[STRESS_BATCH];
	uint64_t rng = st->seed ^ 0x70726f6475636572ull, next = 0;
	double since = 0;

	while (next < st->records && !flunked(&st->verdict)) {
		unsigned n, kept;

		if (!reserve_batch(st, batch, &n, &kept, next, &rng))
			break;
		if (!n) {
			/* Full: back-pressure.  Wait for the consumer; never drop. */
			if (stalled(st, &since, "producer"))
				break;
			sched_yield();
			continue;
		}
		since = 0;
		if (!finish_batch(st, batch, n, kept, &rng))
			break;
		next += kept;
	}
	return NULL;
}

struct held {
	struct ring_rec rec;
	uint64_t seq;
};

/* Releases keep..n of the held records, in shuffled order, checking each first. */
static bool release_held(struct stress *st, struct held *held, unsigned *n, unsigned keep,
			 uint64_t *rng)
{
	unsigned order[STRESS_HELD], k = 0;
	struct held left[STRESS_HELD];

	shuffle(order, *n, rng);
	for (unsigned i = 0; i < *n; i++) {
		struct held *h = &held[order[i]];
		int ret;

		if (i < keep) {
			left[k++] = *h;
			continue;
		}
		if (!stress_intact(st, &h->rec, h->seq))
			return false;
		ret = ring_release(st->cons, &h->rec);
		if (ret) {
			flunk(&st->verdict, "release of record %" PRIu64 ": %d", h->seq, ret);
			return false;
		}
	}
	memcpy(held, left, k * sizeof(*left));
	*n = k;
	return true;
}

static bool stress_flush(struct stress *st)
{
	int ret = ring_consumer_flush(st->cons);

	st->flushes++;
	if (ret)
		flunk(&st->verdict, "flush: %d", ret);
	return !ret;
}

static bool stress_sleep(struct stress *st, double *since)
{
	int ret = ring_wait(st->cons, 100);

	st->waits++;
	if (ret && ret != -ETIMEDOUT && ret != -EAGAIN && ret != -EINTR) {
		flunk(&st->verdict, "wait: %d", ret);
		return false;
	}
	return !stalled(st, since, "consumer");
}

static void *stress_consumer(void *arg)
{
	struct stress *st = arg;
	struct held held[STRESS_HELD];
	uint64_t rng = st->seed ^ 0x636f6e73756d6572ull, next = 0;
	unsigned n = 0;
	double since = 0;

	while (next < st->records && !flunked(&st->verdict)) {
		unsigned want = 1 + below(&rng, 32), got = 0, keep = 0;
		int ret = 0;

		while (got < want && n < STRESS_HELD &&
		       (ret = ring_peek(st->cons, &held[n].rec)) == 0) {
			if (!stress_in_order(st, &held[n].rec, next))
				return NULL;
			st->bytes += held[n].rec.size;
			held[n++].seq = next++;
			got++;
		}
		if (ret && ret != -EAGAIN) {
			flunk(&st->verdict, "peek: %d", ret);
			break;
		}
		/* Sometimes hold on to some across rounds; never while about to sleep. */
		if (got && below(&rng, 4) == 0)
			keep = below(&rng, n + 1);
		if (!release_held(st, held, &n, keep, &rng))
			break;
		if (below(&rng, 8) == 0 && !stress_flush(st))
			break;
		if (got)
			since = 0;
		else if (ret == -EAGAIN && next < st->records && !stress_sleep(st, &since))
			break;
	}
	release_held(st, held, &n, 0, &rng);
	st->delivered = next;
	return NULL;
}

START_TEST(test_two_threads)
{
	struct stress *st = calloc(1, sizeof(*st));
	struct ring_stats ps, cs;
	pthread_t prod, cons;
	struct ring_rec rec;
	double start;

	ck_assert_ptr_nonnull(st);
	st->seed = test_seed("two_threads", 0x74776f2d74687264ull);
	st->records = STRESS_RECORDS;
	ck_assert_int_eq(ring_new(&st->prod, &stress_params), 0);
	ck_assert_int_eq(ring_attach(&st->cons, &stress_params, ring_shared(st->prod),
				     ring_event_fd(st->prod)), 0);
	start = now_s();
	ck_assert_int_eq(pthread_create(&cons, NULL, stress_consumer, st), 0);
	ck_assert_int_eq(pthread_create(&prod, NULL, stress_producer, st), 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	ring_get_stats(st->prod, &ps);
	ring_get_stats(st->cons, &cs);
	fprintf(stderr, "ring_stress two_threads: %" PRIu64 " records, %.0f MB, %.1f s\n",
		st->delivered, st->bytes / 1e6, now_s() - start);
	fprintf(stderr, "  %" PRIu64 " cancels, %" PRIu64 " shrinks (%" PRIu64 " right after "
		"reserving), %" PRIu64 " fillers stepped over\n", st->cancels, st->shrinks,
		st->shrinks_last, cs.fillers);
	fprintf(stderr, "  %" PRIu64 " partial publishes, %" PRIu64 " times full, %" PRIu64
		" waits, %" PRIu64 " flushes\n", st->partial_publishes, ps.full, st->waits,
		st->flushes);
	ck_assert_msg(!flunked(&st->verdict), "seed %#" PRIx64 ": %s", st->seed, st->verdict.why);
	/* Nothing lost, nothing extra, nothing left behind. */
	ck_assert_uint_eq(st->delivered, STRESS_RECORDS);
	ck_assert_uint_eq(ps.published, STRESS_RECORDS);
	ck_assert_uint_eq(cs.consumed, STRESS_RECORDS);
	ck_assert_uint_eq(ps.reserved, STRESS_RECORDS + st->cancels);
	ck_assert_uint_eq(ps.poisoned + cs.poisoned, 0);
	ck_assert_int_eq(ring_peek(st->cons, &rec), -EAGAIN);
	ck_assert_int_eq(ring_consumer_flush(st->cons), 0);
	ck_assert_uint_eq(atomic_load(&ring_shared(st->prod)->head),
			  atomic_load(&ring_shared(st->prod)->tail));
	/* Both branches of shrink and cancel ran: fillers came from the earlier records. */
	ck_assert_uint_gt(cs.fillers, 0);
	ck_assert_uint_gt(st->shrinks_last, 0);
	ring_free(st->cons);
	ring_free(st->prod);
	free(st);
}
END_TEST

/* ---- missed wakeups ---------------------------------------------------------------------- */

enum {
	WAKE_CYCLES = 100000,
	WAKE_TIMEOUT_MS = 2000,
};

/*
 * How a cycle's publish meets the consumer's way into its sleep.  Both threads derive it
 * from the seed and the cycle number, so each side knows what the other one does.
 */
enum pace {
	LATE_SLEEPER,	/* published before the consumer even calls ring_wait: no signal
			 * comes, only the wait's re-check of the tail sees the record */
	RACE,		/* published at once, racing the consumer's alertable store */
	RACE_SPIN,	/* the consumer dawdles a random while first */
	ALERTABLE,	/* published once the consumer announced it sleeps */
	ALERTABLE_YIELD,
	ALERTABLE_SLEEP,	/* and a little later, so that it is surely inside poll() */
	PACES
};

struct wake {
	struct ring *prod, *cons;
	uint64_t seed;
	_Atomic uint32_t consumed;	/* lockstep: cycles the consumer has finished */
	_Atomic int64_t published_ns;	/* when this cycle's record was published, or 0 */
	struct verdict verdict;
	unsigned misses, rewaits;	/* the consumer's; read after the join */
};

static enum pace wake_pace(const struct wake *w, uint32_t cycle)
{
	return (enum pace)(mix64(w->seed ^ cycle) % PACES);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins, yielding now and then (there may be fewer cores than threads), until ready(). */
static bool wake_spin(struct wake *w, bool (*ready)(struct wake *w))
{
	double deadline = now_s() + STALL_SECONDS;

	for (unsigned n = 1; !ready(w); n++) {
		if (n % 64)
			continue;
		if (flunked(&w->verdict) || now_s() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static bool wake_published(struct wake *w)
{
	return atomic_load(&w->published_ns) != 0;
}

static bool wake_asleep(struct wake *w)
{
	return atomic_load(&ring_shared(w->prod)->alertable) != 0;
}

static uint32_t wake_cycle;	/* the producer's current cycle, for wake_consumed() */

static bool wake_consumed(struct wake *w)
{
	return atomic_load_explicit(&w->consumed, memory_order_acquire) == wake_cycle;
}

static void dawdle(uint64_t *rng, unsigned max)
{
	volatile unsigned spin = 0;

	for (unsigned n = below(rng, max); n; n--)
		spin++;
}

/*
 * Sleeps until record i arrives.  A wait that slept its whole timeout although the record
 * was published in its first half lost a wakeup (ring_wait's own look at the tail after
 * the timeout then still returns 0, so the time is what tells).
 */
static bool wake_receive(struct wake *w, uint32_t i, struct ring_rec *rec)
{
	const int64_t timeout = (int64_t)WAKE_TIMEOUT_MS * 1000000;
	int64_t start = now_ns();

	while (!flunked(&w->verdict)) {
		int64_t t0 = now_ns(), t1, published;
		int ret = ring_wait(w->cons, WAKE_TIMEOUT_MS);

		t1 = now_ns();
		if (ret && ret != -ETIMEDOUT && ret != -EAGAIN && ret != -EINTR) {
			flunk(&w->verdict, "cycle %u: wait returned %d", i, ret);
			return false;
		}
		published = atomic_load(&w->published_ns);
		if (t1 - t0 >= timeout && published && published < t0 + timeout / 2) {
			w->misses++;
			flunk(&w->verdict, "cycle %u (pace %d): slept %d ms, the record published",
			      i, wake_pace(w, i), WAKE_TIMEOUT_MS);
			return false;
		}
		ret = ring_peek(w->cons, rec);
		if (ret == 0)
			return true;
		if (ret != -EAGAIN) {
			flunk(&w->verdict, "cycle %u: peek returned %d", i, ret);
			return false;
		}
		w->rewaits++;
		if (t1 - start > (int64_t)STALL_SECONDS * 1000000000) {
			flunk(&w->verdict, "cycle %u: no record for %d s", i, STALL_SECONDS);
			return false;
		}
	}
	return false;
}

static void *wake_consumer(void *arg)
{
	struct wake *w = arg;
	uint64_t rng = w->seed ^ 0x636f6e73756d6572ull;
	struct ring_rec rec;
	uint32_t got;

	for (uint32_t i = 0; i < WAKE_CYCLES; i++) {
		if (wake_pace(w, i) == LATE_SLEEPER && !wake_spin(w, wake_published)) {
			flunk(&w->verdict, "cycle %u: nothing published", i);
			return NULL;
		}
		if (wake_pace(w, i) == RACE_SPIN)
			dawdle(&rng, 4000);
		if (!wake_receive(w, i, &rec))
			return NULL;
		memcpy(&got, rec.payload, sizeof(got));
		if (rec.size != sizeof(got) || got != i) {
			flunk(&w->verdict, "cycle %u: got record %u of %u bytes", i, got, rec.size);
			return NULL;
		}
		if (ring_release(w->cons, &rec) || ring_consumer_flush(w->cons)) {
			flunk(&w->verdict, "cycle %u: release failed", i);
			return NULL;
		}
		atomic_store(&w->published_ns, 0);
		atomic_store_explicit(&w->consumed, i + 1, memory_order_release);
	}
	return NULL;
}

/* The producer's half of a cycle's pace: when to publish. */
static bool wake_wait_turn(struct wake *w, uint64_t *rng)
{
	enum pace pace = wake_pace(w, wake_cycle);

	if (!wake_spin(w, wake_consumed))
		return false;
	if (pace < ALERTABLE)
		return true;
	if (!wake_spin(w, wake_asleep))
		return false;
	if (pace == ALERTABLE_YIELD)
		sched_yield();
	else if (pace == ALERTABLE_SLEEP)
		nanosleep(&(struct timespec){ .tv_nsec = 20000 + below(rng, 80000) }, NULL);
	return true;
}

START_TEST(test_missed_wakeup)
{
	static const struct ring_params p = {
		.capacity = 4096, .max_payload = 64, .lead = 8, .trail = 8, .align = 8,
	};
	struct wake *w = calloc(1, sizeof(*w));
	double start = now_s();
	pthread_t cons;
	uint64_t rng;

	ck_assert_ptr_nonnull(w);
	rng = w->seed = test_seed("missed_wakeup", 0x77616b652d757021ull);
	ck_assert_int_eq(ring_new(&w->prod, &p), 0);
	ck_assert_int_eq(ring_attach(&w->cons, &p, ring_shared(w->prod), ring_event_fd(w->prod)),
			 0);
	ck_assert_int_eq(pthread_create(&cons, NULL, wake_consumer, w), 0);
	for (wake_cycle = 0; wake_cycle < WAKE_CYCLES; wake_cycle++) {
		struct ring_rec rec;

		if (!wake_wait_turn(w, &rng)) {
			flunk(&w->verdict, "cycle %u: the consumer never got to sleep", wake_cycle);
			break;
		}
		if (ring_reserve(w->prod, sizeof(wake_cycle), &rec)) {
			flunk(&w->verdict, "cycle %u: reserve failed", wake_cycle);
			break;
		}
		memcpy(rec.payload, &wake_cycle, sizeof(wake_cycle));
		if (ring_commit(w->prod, &rec) || ring_publish(w->prod) != 1) {
			flunk(&w->verdict, "cycle %u: commit or publish failed", wake_cycle);
			break;
		}
		atomic_store(&w->published_ns, now_ns());
	}
	pthread_join(cons, NULL);
	fprintf(stderr, "ring_stress missed_wakeup: %u cycles, %u lost wakeups, %u extra waits, "
		"%.1f s\n", atomic_load(&w->consumed), w->misses, w->rewaits, now_s() - start);
	ck_assert_msg(!flunked(&w->verdict), "seed %#" PRIx64 ": %s", w->seed, w->verdict.why);
	ck_assert_uint_eq(w->misses, 0);
	ck_assert_uint_eq(atomic_load(&w->consumed), WAKE_CYCLES);
	ring_free(w->cons);
	ring_free(w->prod);
	free(w);
}
END_TEST

/* ---- poison race ------------------------------------------------------------------------- */

enum { POISON_ROUNDS = 2000 };

struct poison_race {
	struct ring *prod, *cons;
	int result;		/* the consumer's last code: -EBADMSG when the poison arrived */
};

/* Consumes until the ring is declared dead; gives up after a second of silence. */
static void *poison_consumer(void *arg)
{
	struct poison_race *pr = arg;
	struct ring_rec rec;
	int ret, quiet = 0;

	for (;;) {
		ret = ring_peek(pr->cons, &rec);
		if (ret == 0)
			ret = ring_release(pr->cons, &rec);
		if (ret == -EAGAIN)
			ret = ring_wait(pr->cons, 50);
		if (ret == -EBADMSG || (ret == -ETIMEDOUT && ++quiet == 20))
			break;
		if (ret && ret != -ETIMEDOUT && ret != -EAGAIN)
			break;
	}
	pr->result = ret;
	return NULL;
}

/*
 * The producer poisons (as on shutdown) while the consumer releases and moves the head.
 * The consumer must see it: a head store that lands after the producer's RING_POISON
 * must not bury it.
 */
START_TEST(test_poison_race)
{
	static const struct ring_params p = {
		.capacity = 4096, .max_payload = 64, .lead = 0, .trail = 0, .align = 4,
	};
	uint64_t rng = test_seed("poison_race", 0x706f69736f6e2121ull);
	double start = now_s();

	for (unsigned round = 0; round < POISON_ROUNDS; round++) {
		struct poison_race pr = { .result = 0 };
		struct ring_rec rec;
		pthread_t t;

		ck_assert_int_eq(ring_new(&pr.prod, &p), 0);
		ck_assert_int_eq(ring_attach(&pr.cons, &p, ring_shared(pr.prod),
					     ring_event_fd(pr.prod)), 0);
		ck_assert_int_eq(pthread_create(&t, NULL, poison_consumer, &pr), 0);
		for (uint32_t n = 100 + below(&rng, 400); n; n--) {
			while (ring_reserve(pr.prod, 8, &rec) == -ENOBUFS)
				sched_yield();
			ring_commit(pr.prod, &rec);
			ring_publish(pr.prod);
		}
		ring_poison(pr.prod);
		pthread_join(t, NULL);
		ring_free(pr.cons);
		ring_free(pr.prod);
		if (pr.result != -EBADMSG)
			ck_abort_msg("round %u: the consumer never saw the producer's poison (%d)",
				     round, pr.result);
	}
	fprintf(stderr, "ring_stress poison_race: %u rounds, every poison seen, %.1f s\n",
		POISON_ROUNDS, now_s() - start);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	/* Generous: CI runs this under ASan and UBSan on two shared cores. */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

static Suite *ring_stress_suite(void)
{
	Suite *s = suite_create("ring_stress");

	add_case(s, "corruption", test_corruption);
	add_case(s, "two_threads", test_two_threads);
	add_case(s, "missed_wakeup", test_missed_wakeup);
	add_case(s, "poison_race", test_poison_race);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_stress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
