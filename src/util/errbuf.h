/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration errors reach people: every constructor that can refuse a setting writes
 * a message naming it into the caller's buffer, and returns the error.
 */
#ifndef ZCVPN_SRC_UTIL_ERRBUF_H
#define ZCVPN_SRC_UTIL_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the message into errbuf (if any: errbuf may be NULL) and returns err. */
static inline int errbuf_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline int errbuf_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

#endif /* ZCVPN_SRC_UTIL_ERRBUF_H */
