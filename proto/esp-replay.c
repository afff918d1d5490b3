/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The anti-replay window (RFC 4303 §3.4.3, bitmap layout of RFC 6479).  Bit (s % 64) of
 * word (s / 64) % words is set when s was seen.  One more word than the window needs
 * is kept, so that advancing top only ever clears whole words that fell out.
 */
#include "config.h"

#include "proto/esp-replay.h"

#include <errno.h>
#include <string.h>

int replay_window_check_size(unsigned size)
{
	return size >= REPLAY_MIN_SIZE && size <= REPLAY_MAX_SIZE && !(size % 64) ? 0 : -EINVAL;
}

int replay_window_init(struct replay_window *w, unsigned size)
{
	if (replay_window_check_size(size))
		return -EINVAL;
	w->size = size;
	w->words = size / 64 + 1;
	replay_window_reset(w);
	return 0;
}

void replay_window_reset(struct replay_window *w)
{
	w->top = 0;
	memset(w->bitmap, 0, sizeof(w->bitmap));
}

uint64_t replay_window_top(const struct replay_window *w)
{
	return w->top;
}

static inline uint32_t word_of(const struct replay_window *w, uint64_t seq)
{
	return (uint32_t)((seq >> 6) % w->words);
}

int replay_check(const struct replay_window *w, uint64_t seq)
{
	/* 0 is never sent (numbering starts at 1), so it is always outside the window. */
	if (seq == 0)
		return REPLAY_TOO_OLD;
	if (seq > w->top)
		return 0;
	if (w->top - seq >= w->size)
		return REPLAY_TOO_OLD;
	return w->bitmap[word_of(w, seq)] & (1ull << (seq & 63)) ? REPLAY_DUPLICATE : 0;
}

void replay_update(struct replay_window *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t from = (w->top >> 6) + 1, to = seq >> 6;

		/* Clear the words that top's advance brings into use, at most all of them. */
		if (to - from + 1 >= w->words)
			memset(w->bitmap, 0, w->words * sizeof(w->bitmap[0]));
		else
			for (uint64_t i = from; i <= to; i++)
				w->bitmap[i % w->words] = 0;
		w->top = seq;
	}
	w->bitmap[word_of(w, seq)] |= 1ull << (seq & 63);
}
