/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The anti-replay window (RFC 4303 §3.4.3, bitmap ring of RFC 6479).
 *
 * The ring has a power of two of words (an index is a mask), at least one more than the
 * window spans, so the word holding the window's left edge is never one top moves into.
 * Advancing top then only has to zero the words of the blocks it moves into; everything
 * they held is left of the new window.  Bits above top are always zero, which is what
 * makes that work.
 */
#include "config.h"

#include "proto/esp-replay.h"

#include <errno.h>
#include <string.h>

static inline uint64_t *word_of(struct replay_window *w, uint64_t seq)
{
	return &w->bitmap[(seq >> 6) & w->mask];
}

static inline uint64_t bit_of(uint64_t seq)
{
	return 1ull << (seq & 63);
}

int replay_window_check_size(unsigned size)
{
	if (size < REPLAY_MIN_SIZE || size > REPLAY_MAX_SIZE || size % 64)
		return -EINVAL;
	return 0;
}

static uint32_t ring_words(unsigned size)
{
	uint32_t words = 1;

	while (words < size / 64 + 1)
		words <<= 1;
	return words;
}

int replay_window_init(struct replay_window *w, unsigned size)
{
	if (replay_window_check_size(size))
		return -EINVAL;
	w->size = size;
	w->mask = ring_words(size) - 1;
	replay_window_reset(w);
	return 0;
}

void replay_window_reset(struct replay_window *w)
{
	w->top = 0;
	memset(w->bitmap, 0, (w->mask + 1) * sizeof(w->bitmap[0]));
}

void replay_window_seed(struct replay_window *w, uint64_t last)
{
	if (!last) {
		replay_window_reset(w);
		return;
	}
	/* Every word full, but nothing above last: those numbers must still read unseen. */
	memset(w->bitmap, 0xff, (w->mask + 1) * sizeof(w->bitmap[0]));
	*word_of(w, last) = ~0ull >> (63 - (last & 63));
	w->top = last;
}

uint64_t replay_window_top(const struct replay_window *w)
{
	return w->top;
}

int replay_check(const struct replay_window *w, uint64_t seq)
{
	if (seq > w->top)
		return REPLAY_OK;
	if (seq == 0 || w->top - seq >= w->size)
		return REPLAY_TOO_OLD;
	if (w->bitmap[(seq >> 6) & w->mask] & bit_of(seq))
		return REPLAY_DUPLICATE;
	return REPLAY_OK;
}

/* Zero the words of the blocks after top's up to seq's: at most the ring, however far. */
static void advance(struct replay_window *w, uint64_t seq)
{
	uint64_t from = (w->top >> 6) + 1, to = seq >> 6;

	if (to >= from + w->mask)
		memset(w->bitmap, 0, (w->mask + 1) * sizeof(w->bitmap[0]));
	else
		for (uint64_t block = from; block <= to; block++)
			w->bitmap[block & w->mask] = 0;
	w->top = seq;
}

void replay_update(struct replay_window *w, uint64_t seq)
{
	if (seq > w->top)
		advance(w, seq);
	else if (seq == 0 || w->top - seq >= w->size)
		return;
	*word_of(w, seq) |= bit_of(seq);
}
