/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A packet view over a ring record: the bytes [data, data + len) inside the room
 * [head, end).  The verbs are the Linux sk_buff ones (push, pull, put, trim) with DPDK's
 * contract: when the room is short they fail and leave the view unchanged.  They never
 * allocate and never move payload; the view borrows the record's memory.
 */
#ifndef ZCVPN_RING_PKT_H
#define ZCVPN_RING_PKT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

struct pkt {
	uint8_t *data;		/* first byte of the packet */
	uint32_t len;		/* bytes in the packet */
	uint8_t *head;		/* first byte that may be used (start of headroom) */
	uint8_t *end;		/* one past the last byte that may be used */
};

static inline uint32_t pkt_headroom(const struct pkt *pkt)
{
	return (uint32_t)(pkt->data - pkt->head);
}

static inline uint32_t pkt_tailroom(const struct pkt *pkt)
{
	return (uint32_t)(pkt->end - (pkt->data + pkt->len));
}

static inline uint8_t *pkt_tail(const struct pkt *pkt)
{
	return pkt->data + pkt->len;
}

/* Prepends n bytes.  Returns the new data pointer, or NULL when headroom < n. */
static inline uint8_t *pkt_push(struct pkt *pkt, uint32_t n)
{
	if (n > pkt_headroom(pkt))
		return NULL;
	pkt->data -= n;
	pkt->len += n;
	return pkt->data;
}

/* Strips n bytes from the front.  Returns the new data pointer, or NULL when len < n. */
static inline uint8_t *pkt_pull(struct pkt *pkt, uint32_t n)
{
	if (n > pkt->len)
		return NULL;
	pkt->data += n;
	pkt->len -= n;
	return pkt->data;
}

/* Appends n bytes.  Returns a pointer to them, or NULL when tailroom < n. */
static inline uint8_t *pkt_put(struct pkt *pkt, uint32_t n)
{
	uint8_t *old_tail = pkt_tail(pkt);

	if (n > pkt_tailroom(pkt))
		return NULL;
	pkt->len += n;
	return old_tail;
}

/* Cuts the packet to len bytes.  Returns 0, or -EINVAL when len > pkt->len. */
static inline int pkt_trim(struct pkt *pkt, uint32_t len)
{
	if (len > pkt->len)
		return -EINVAL;
	pkt->len = len;
	return 0;
}

/*
 * Sets up the view over a ring record: the room is the record's lead, payload and trail;
 * the packet is the payload (rec->size bytes).
 */
static inline void pkt_from_rec(struct pkt *pkt, const struct ring *ring, const struct ring_rec *rec)
{
	const struct ring_params *p = ring_params(ring);

	pkt->head = rec->payload - p->lead;
	pkt->data = rec->payload;
	pkt->len = rec->size;
	pkt->end = rec->payload + rec->size + p->trail;
}

/*
 * Sets up an empty view at offset `at` from the payload start (negative: inside the
 * lead), for receiving a datagram whose expected header lands in the headroom.
 */
static inline int pkt_from_rec_at(struct pkt *pkt, const struct ring *ring,
				  const struct ring_rec *rec, int32_t at)
{
	pkt_from_rec(pkt, ring, rec);
	if (at < -(int32_t)pkt_headroom(pkt) || at > (int32_t)rec->size)
		return -EINVAL;
	pkt->data += at;
	pkt->len = 0;
	return 0;
}

#endif /* ZCVPN_RING_PKT_H */
