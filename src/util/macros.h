/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The few macros every layer wants.  Like the rest of src/util/, header-only and
 * including nothing of ours, so ring/, crypto/, proto/ and the engine may all use it.
 */
#ifndef ZCVPN_SRC_UTIL_MACROS_H
#define ZCVPN_SRC_UTIL_MACROS_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The struct that embeds *ptr as its member `member` (the kernel's container_of). */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif /* ZCVPN_SRC_UTIL_MACROS_H */
