/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Anti-replay window over 64-bit sequence numbers (ESP's 32-bit ones, DTLS's 48-bit
 * ones): RFC 4303 §3.4.3 semantics with RFC 6479's ring of bitmap words, so a window
 * of any multiple of 64 up to 4096 costs one word test per packet and a jump forward
 * clears at most the whole ring, never one bit per skipped number.
 *
 * The check and the update are separate because the ICV must be verified between them:
 * nothing a forged packet carries may move the window.
 */
#ifndef ZCVPN_PROTO_ESP_REPLAY_H
#define ZCVPN_PROTO_ESP_REPLAY_H

#include <stdint.h>

enum replay_limits {
	REPLAY_MIN_SIZE = 64,
	REPLAY_MAX_SIZE = 4096,
	REPLAY_MAX_WORDS = REPLAY_MAX_SIZE / 64 + 1,	/* one spare word, as RFC 6479 */
};

/* replay_check results besides 0 (acceptable). */
enum replay_verdict {
	REPLAY_DUPLICATE = -1,	/* seen before, inside the window */
	REPLAY_TOO_OLD = -2,	/* left of the window (or 0: never valid) */
};

struct replay_window {
	uint64_t top;		/* highest sequence number accepted; 0: none yet */
	uint32_t size;		/* window in sequence numbers */
	uint32_t words;		/* bitmap words in use: size / 64 + 1 */
	uint64_t bitmap[REPLAY_MAX_WORDS];
};

/* 0 if size is a multiple of 64 from 64 to 4096, else -EINVAL. */
int replay_window_check_size(unsigned size);

/* Sets up an empty window; returns 0 or -EINVAL. */
int replay_window_init(struct replay_window *w, unsigned size);

/* Forgets everything seen (same size). */
void replay_window_reset(struct replay_window *w);

/* The highest sequence number accepted so far (0: none). */
uint64_t replay_window_top(const struct replay_window *w);

/* 0 if seq may be accepted, REPLAY_DUPLICATE or REPLAY_TOO_OLD.  Changes nothing. */
int replay_check(const struct replay_window *w, uint64_t seq);

/* Records seq as seen; call only after the packet authenticated and replay_check said 0. */
void replay_update(struct replay_window *w, uint64_t seq);

#endif /* ZCVPN_PROTO_ESP_REPLAY_H */
