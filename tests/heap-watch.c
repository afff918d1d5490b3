/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The heap watch of heap-watch.h: a table of the blocks allocated while it runs. */
#define _GNU_SOURCE
#include "config.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/heap-watch.h"

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_WATCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_WATCH_ASAN 1
#endif
#endif

enum { WATCH_MAX_BLOCKS = 8192 };

struct watched_block {
	const void *ptr;
	size_t size;
};

static struct {
	bool on;
	const uint8_t *secret;
	size_t secret_len;
	size_t used;		/* table entries, live or not */
	bool overflow;
	struct heap_watch_report report;
	struct watched_block blocks[WATCH_MAX_BLOCKS];
} watch;

static bool holds_secret(const void *ptr, size_t size)
{
	return size >= watch.secret_len &&
	       memmem(ptr, size, watch.secret, watch.secret_len) != NULL;
}

static void note_alloc(const void *ptr, size_t size)
{
	if (!watch.on || !ptr)
		return;
	if (watch.used == WATCH_MAX_BLOCKS) {
		watch.overflow = true;
		return;
	}
	watch.blocks[watch.used++] = (struct watched_block){ ptr, size };
	watch.report.allocated++;
}

static struct watched_block *find_block(const void *ptr)
{
	for (size_t i = watch.used; i-- > 0;)
		if (watch.blocks[i].ptr == ptr)
			return &watch.blocks[i];
	return NULL;
}

/* size_of_unwatched: the allocator's idea of a block from before the watch. */
static void note_free(const void *ptr, size_t (*size_of_unwatched)(const void *))
{
	struct watched_block *b;
	size_t size;

	if (!watch.on || !ptr)
		return;
	b = find_block(ptr);
	if (b) {
		size = b->size;
		b->ptr = NULL;
		watch.report.freed++;
	} else {
		size = size_of_unwatched(ptr);
		watch.report.other_frees++;
	}
	if (holds_secret(ptr, size))
		watch.report.freed_holding++;
}

#ifdef HEAP_WATCH_ASAN
/* The sanitizer's own hooks: its interceptors own malloc and free. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static void on_malloc(const volatile void *ptr, size_t size)
{
	note_alloc((const void *)ptr, size);
}

static size_t asan_size(const void *ptr)
{
	return __sanitizer_get_allocated_size(ptr);
}

static void on_free(const volatile void *ptr)
{
	note_free((const void *)ptr, asan_size);
}

static void install_hooks(void)
{
	static bool installed;

	if (!installed)
		installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) > 0;
}
#else
/* glibc's allocator under its exported names; the replacements below call it. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void __libc_free(void *ptr);

/* The build hides symbols by default; these must bind for GnuTLS's and OpenSSL's calls. */
#define REPLACES_LIBC __attribute__((visibility("default")))

static size_t glibc_size(const void *ptr)
{
	return malloc_usable_size((void *)ptr);
}

REPLACES_LIBC void *malloc(size_t size)
{
	void *p = __libc_malloc(size);

	note_alloc(p, size);
	return p;
}

REPLACES_LIBC void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);

	note_alloc(p, n * size);	/* __libc_calloc refused an overflowing product */
	return p;
}

/* A block realloc() moves is freed unwiped by the allocator: searched like a free. */
REPLACES_LIBC void *realloc(void *ptr, size_t size)
{
	struct watched_block *b = watch.on && ptr ? find_block(ptr) : NULL;
	bool held = watch.on && ptr && holds_secret(ptr, b ? b->size : glibc_size(ptr));
	void *p = __libc_realloc(ptr, size);

	if (!watch.on || !p)
		return p;
	if (p != ptr && ptr) {
		if (held)
			watch.report.freed_holding++;
		if (b) {
			b->ptr = NULL;
			watch.report.freed++;
		}
		note_alloc(p, size);
	} else if (b) {
		b->size = size;
	} else if (!ptr) {
		note_alloc(p, size);
	}
	return p;
}

REPLACES_LIBC void free(void *ptr)
{
	note_free(ptr, glibc_size);
	__libc_free(ptr);
}

static void install_hooks(void)
{
}
#endif

void heap_watch_start(const uint8_t *secret, size_t len)
{
	install_hooks();
	memset(&watch.report, 0, sizeof(watch.report));
	watch.secret = secret;
	watch.secret_len = len;
	watch.used = 0;
	watch.overflow = false;
	watch.on = true;
}

size_t heap_watch_live_holding(void)
{
	size_t n = 0;

	for (size_t i = 0; i < watch.used; i++)
		if (watch.blocks[i].ptr && holds_secret(watch.blocks[i].ptr, watch.blocks[i].size))
			n++;
	return n;
}

void heap_watch_stop(struct heap_watch_report *report)
{
	watch.on = false;
	*report = watch.report;
	if (watch.overflow)
		report->allocated = (size_t)-1;	/* the table was too small: no verdict */
}
