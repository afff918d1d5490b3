/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Anti-replay window over 64-bit sequence numbers (ESP's 32-bit ones, DTLS's 48-bit
 * ones): RFC 4303 §3.4.3 semantics with RFC 6479's ring of bitmap words, so a window
 * of any multiple of 64 up to 4096 costs one word test per packet and a jump forward
 * clears at most the whole ring, never one bit per skipped number.
 *
 * The window holds the numbers top - size + 1 .. top, top being the highest number
 * accepted so far.  A number above top is always acceptable (the first packet too, and
 * however far it jumps); one inside the window is acceptable once; one left of it, or
 * 0, never is.  0 counts as too old because numbering starts at 1 (RFC 4303 §3.3.3);
 * a protocol whose numbers start at 0 passes seq + 1.
 *
 * The check and the update are separate because the ICV must be verified between them:
 * nothing a forged packet carries may move the window.  A batch must not check a second
 * packet before the first one's update, or one number could be accepted twice.
 *
 * Caller-allocated, no allocation, no locking: one window per inbound SA, one user.
 */
#ifndef ZCVPN_PROTO_ESP_REPLAY_H
#define ZCVPN_PROTO_ESP_REPLAY_H

#include <errno.h>
#include <stdint.h>

enum replay_limits {
	REPLAY_MIN_SIZE = 64,
	REPLAY_MAX_SIZE = 4096,
	REPLAY_DEFAULT_SIZE = 64,
	/* Ring words: a power of two (an index is a mask) above REPLAY_MAX_SIZE / 64. */
	REPLAY_MAX_WORDS = 128,
};

/* replay_check results; the caller counts the two refusals in separate stats. */
enum replay_verdict {
	REPLAY_OK = 0,			/* acceptable: authenticate, then replay_update */
	REPLAY_DUPLICATE = -EALREADY,	/* inside the window and already accepted */
	REPLAY_TOO_OLD = -ESTALE,	/* left of the window, or 0 */
};

struct replay_window {
	uint64_t top;		/* highest number accepted; 0: none yet */
	uint32_t size;		/* numbers in the window, a multiple of 64 */
	uint32_t mask;		/* ring words - 1; at least size / 64 + 1 words */
	/* Bit s % 64 of word (s / 64) & mask is set when s was accepted. */
	uint64_t bitmap[REPLAY_MAX_WORDS];
};

/* 0 if size is a multiple of 64 from 64 to 4096, else -EINVAL. */
int replay_window_check_size(unsigned size);

/* Sets up an empty window of size numbers; 0, or -EINVAL (w untouched) for a bad size. */
int replay_window_init(struct replay_window *w, unsigned size);

/* Forgets every number accepted (a new SA or epoch); keeps the size. */
void replay_window_reset(struct replay_window *w);

/*
 * Starts the window as if every number from 1 to last had been accepted, so only
 * last + 1 and above pass: for taking over from a DTLS library that already read up to
 * last.  last = 0 is a reset.
 */
void replay_window_seed(struct replay_window *w, uint64_t last);

/* The highest number accepted so far (0: none). */
uint64_t replay_window_top(const struct replay_window *w);

/* REPLAY_OK (0), REPLAY_DUPLICATE or REPLAY_TOO_OLD.  Changes nothing. */
int replay_check(const struct replay_window *w, uint64_t seq);

/*
 * Records seq as accepted, moving the window right if seq is above top.  Call it only
 * after the packet authenticated and replay_check said REPLAY_OK; a number that check
 * would call too old (0 included) is ignored rather than allowed to mark another.
 */
void replay_update(struct replay_window *w, uint64_t seq);

#endif /* ZCVPN_PROTO_ESP_REPLAY_H */
