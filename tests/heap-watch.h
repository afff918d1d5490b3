/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Watches the process's heap for a secret: while a watch runs, every block allocated
 * is remembered, and every block freed (by our code or inside GnuTLS/OpenSSL) is
 * searched for the secret's bytes just before it goes back to the allocator.  A test
 * then knows whether key material reached the heap (the live blocks hold it) and
 * whether it was wiped before being freed (no freed block held it).
 *
 * Plain builds replace malloc/calloc/realloc/free in the test program (glibc allows
 * it, and its shared libraries bind to them); ASan builds install the sanitizer's
 * malloc/free hooks instead.  One watch at a time, one thread.
 */
#ifndef ZCVPN_TESTS_HEAP_WATCH_H
#define ZCVPN_TESTS_HEAP_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct heap_watch_report {
	size_t allocated;	/* blocks allocated during the watch */
	size_t freed;		/* of those, freed during the watch */
	size_t freed_holding;	/* freed blocks that still held the secret: the defect */
	size_t other_frees;	/* blocks from before the watch freed in it (also searched) */
};

/* secret is borrowed until heap_watch_stop(); len from 8 to 64 bytes. */
void heap_watch_start(const uint8_t *secret, size_t len);
/* Blocks allocated since the start, not yet freed, that hold the secret now. */
size_t heap_watch_live_holding(void);
void heap_watch_stop(struct heap_watch_report *report);

#endif /* ZCVPN_TESTS_HEAP_WATCH_H */
