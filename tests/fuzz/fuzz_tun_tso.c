/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tun's TSO segmentation (src/tun/tun-tso.c) on hostile GSO packets: a read laid
 * out by tun_tso_layout() over the records, tun_tso_split() in place, and when the
 * packet does not fit the plan the copy path: tun_tso_gather(), tun_tso_packet_plan(),
 * tun_tso_scatter() over records for the packet's own plan, and tun_tso_split() again.
 *
 * The first byte picks the plan (bits 0-2: one of eight fixed ones; bit 3: instead the
 * next byte (header, 40..167) and a 16-bit number (segment size, 1 + n % 2048)); then a
 * byte for the record count (1..64), the virtio_net_hdr's gso_type, flags (a byte
 * each), gso_size, hdr_len, csum_start and csum_offset (16 bits each), and the rest is
 * the packet.  Every record is allocated to exactly the bytes the read puts in it (with
 * the header room in front of a later record's segment), so ASan sees any byte touched
 * past the packet; a refused split must leave records and spill buffer as they were,
 * and the segments of a split must lie in their records and add up to the packet.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "src/tun/tun-tso.h"
#include "tests/fuzz/fuzz.h"

enum { MAX_RECS = TUN_TSO_MAX_SEGMENTS, MAX_PACKET = TUN_TSO_SPILL };

static const struct tun_tso_plan plans[] = {
	{ 52, 1348 }, { 52, 1448 }, { 40, 1 }, { 60, 3 },
	{ 72, 7 }, { 52, 16 }, { 120, 1 }, { 40, 536 },
};

struct rig {
	unsigned int nrecs;
	uint8_t *rec[MAX_RECS];
	uint32_t size[MAX_RECS];
	uint8_t *snap[MAX_RECS];
};

/* Bytes of record k a read of len bytes by plan writes, header room included (>= 1). */
static uint32_t used_bytes(const struct tun_tso_plan *plan, unsigned int k, uint32_t len)
{
	uint64_t first = (uint64_t)plan->hdr + plan->mss, off, rest;

	if (k == 0)
		return len < first ? (len ? len : 1) : (uint32_t)first;
	off = first + (uint64_t)(k - 1) * plan->mss;
	if (len <= off)
		return plan->hdr ? plan->hdr : 1;
	rest = len - off;
	return plan->hdr + (uint32_t)(rest < plan->mss ? rest : plan->mss);
}

static void rig_alloc(struct rig *r, const struct tun_tso_plan *plan, unsigned int nrecs,
		      uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->nrecs = nrecs;
	for (unsigned int k = 0; k < nrecs; k++) {
		r->size[k] = used_bytes(plan, k, len);
		r->rec[k] = malloc(r->size[k]);
		r->snap[k] = malloc(r->size[k]);
		if (!r->rec[k] || !r->snap[k])
			abort();
		memset(r->rec[k], 0xa5, r->size[k]);
	}
}

static void rig_snapshot(struct rig *r)
{
	for (unsigned int k = 0; k < r->nrecs; k++)
		memcpy(r->snap[k], r->rec[k], r->size[k]);
}

static bool rig_unchanged(const struct rig *r)
{
	for (unsigned int k = 0; k < r->nrecs; k++)
		if (memcmp(r->rec[k], r->snap[k], r->size[k]))
			return false;
	return true;
}

static void rig_free(struct rig *r)
{
	for (unsigned int k = 0; k < r->nrecs; k++) {
		free(r->rec[k]);
		free(r->snap[k]);
	}
}

/*
 * What readv(2) does with the layout, after checking it is the documented one: iov[0]
 * the header, iov[1] record 0 from 0, iov[1 + k] record k from hdr, mss bytes each,
 * last the spill buffer.  Returns the bytes that went to the spill buffer.
 */
static uint32_t fake_readv(const struct tun_tso_plan *plan, const struct iovec *iov,
			   unsigned int cnt, const struct rig *r, const uint8_t *spill,
			   const uint8_t *pkt, uint32_t len)
{
	uint32_t done = 0, spilled = 0;

	if (cnt != 2 + r->nrecs || iov[1].iov_base != r->rec[0] ||
	    iov[1].iov_len != (size_t)plan->hdr + plan->mss || iov[cnt - 1].iov_base != spill ||
	    iov[cnt - 1].iov_len != TUN_TSO_SPILL)
		abort();
	for (unsigned int k = 1; k < r->nrecs; k++)
		if (iov[1 + k].iov_base != r->rec[k] + plan->hdr || iov[1 + k].iov_len != plan->mss)
			abort();
	for (unsigned int i = 1; i < cnt && done < len; i++) {
		uint32_t take = len - done < iov[i].iov_len ? len - done : (uint32_t)iov[i].iov_len;

		memcpy(iov[i].iov_base, pkt + done, take);
		done += take;
		if (i == cnt - 1)
			spilled = take;
	}
	return spilled;
}

/* A split's result: segments inside their records, adding up to the packet. */
static void check_split(const struct tun_tso_plan *plan, const struct rig *r, int ret,
			const uint32_t *lens, uint32_t len)
{
	uint64_t total = 0;

	if (ret < 1 || ret > (int)r->nrecs)
		abort();
	for (int k = 0; k < ret; k++) {
		if (lens[k] <= plan->hdr || lens[k] > r->size[k])
			abort();
		total += lens[k] - plan->hdr;
	}
	if (total + plan->hdr != len)
		abort();
}

/* The copy path: gather, the packet's own plan, scatter, split again. */
static void copy_path(const struct virtio_net_hdr *vh, const struct iovec *iov,
		      unsigned int cnt, const uint8_t *pkt, uint32_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	uint32_t lens[MAX_RECS];
	struct tun_tso_plan own;
	unsigned int nrecs;
	struct rig r;
	int ret;

	if (!buf)
		abort();
	/* The read's bytes back in order: exactly the packet. */
	if (tun_tso_gather(iov + 1, cnt - 1, len, buf) != len || memcmp(buf, pkt, len))
		abort();
	if (tun_tso_packet_plan(vh, buf, len, &own))
		goto out;
	if (own.hdr < 40 || own.hdr >= len || own.mss != vh->gso_size)
		abort();
	nrecs = tun_tso_records_for(&own, len);
	if (nrecs < 1)
		abort();
	if (nrecs > MAX_RECS)
		goto out;		/* more segments than the device allows */
	rig_alloc(&r, &own, nrecs, len);
	tun_tso_scatter(&own, buf, len, r.rec);
	ret = tun_tso_split(&own, vh, r.rec, nrecs, len, lens);
	/* Its own plan, records enough: only an insane packet is refused now. */
	if (ret == -EAGAIN || ret == -ENOSPC)
		abort();
	if (ret != -EINVAL)
		check_split(&own, &r, ret, lens, len);
	rig_free(&r);
out:
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	struct tun_tso_plan plan = plans[mode & 7];
	struct iovec iov[MAX_RECS + 2];
	struct virtio_net_hdr vh, got;
	uint32_t lens[MAX_RECS], len;
	unsigned int nrecs, cnt;
	uint8_t *spill, *spill_snap, *pkt;
	struct rig r;
	int ret;

	if (mode & 8) {
		plan.hdr = 40 + fuzz_byte(&in) % 128;
		plan.mss = 1 + fuzz_u16(&in) % 2048;
	}
	nrecs = 1 + fuzz_byte(&in) % MAX_RECS;
	memset(&vh, 0, sizeof(vh));
	vh.gso_type = fuzz_byte(&in);
	vh.flags = fuzz_byte(&in);
	vh.gso_size = fuzz_u16(&in);
	vh.hdr_len = fuzz_u16(&in);
	vh.csum_start = fuzz_u16(&in);
	vh.csum_offset = fuzz_u16(&in);
	len = in.size < MAX_PACKET ? (uint32_t)in.size : MAX_PACKET;
	pkt = malloc(len ? len : 1);
	spill = malloc(TUN_TSO_SPILL);
	spill_snap = malloc(TUN_TSO_SPILL);
	if (!pkt || !spill || !spill_snap)
		abort();
	memcpy(pkt, in.data, len);
	rig_alloc(&r, &plan, nrecs, len);
	cnt = tun_tso_layout(&plan, &got, r.rec, nrecs, spill, iov);
	if (iov[0].iov_base != &got || iov[0].iov_len != sizeof(got))
		abort();
	got = vh;			/* what readv puts in iov[0] */
	memset(spill, 0x5a, TUN_TSO_SPILL);
	(void)fake_readv(&plan, iov, cnt, &r, spill, pkt, len);
	rig_snapshot(&r);
	memcpy(spill_snap, spill, TUN_TSO_SPILL);
	ret = tun_tso_split(&plan, &got, r.rec, nrecs, len, lens);
	if (ret == -EINVAL || ret == -EAGAIN || ret == -ENOSPC) {
		/* Refused: nothing changed. */
		if (!rig_unchanged(&r) || memcmp(spill, spill_snap, TUN_TSO_SPILL))
			abort();
		if (ret == -ENOSPC && tun_tso_records_for(&plan, len) <= nrecs)
			abort();
		if (ret != -EINVAL)
			copy_path(&vh, iov, cnt, pkt, len);
	} else {
		if (vh.gso_size != plan.mss)
			abort();
		check_split(&plan, &r, ret, lens, len);
	}
	rig_free(&r);
	free(spill_snap);
	free(spill);
	free(pkt);
	return 0;
}
