/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --json report's writer: strings escaped as RFC 8259 asks, numbers as they are. */
#include "config.h"

#include "src/cli/json-writer.h"

#include <inttypes.h>
#include <math.h>

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The comma before a member, and its key. */
static void member(struct json_writer *w, const char *key)
{
	if (w->need_comma)
		fputc(',', w->f);
	w->need_comma = true;
	if (key) {
		put_string(w->f, key);
		fputc(':', w->f);
	}
}

void json_begin(struct json_writer *w, FILE *f)
{
	w->f = f;
	w->need_comma = false;
	fputc('{', f);
}

void json_end(struct json_writer *w)
{
	fputs("}\n", w->f);
	fflush(w->f);
}

void json_open(struct json_writer *w, const char *key)
{
	member(w, key);
	fputc('{', w->f);
	w->need_comma = false;
}

void json_close(struct json_writer *w)
{
	fputc('}', w->f);
	w->need_comma = true;
}

void json_open_array(struct json_writer *w, const char *key)
{
	member(w, key);
	fputc('[', w->f);
	w->need_comma = false;
}

void json_close_array(struct json_writer *w)
{
	fputc(']', w->f);
	w->need_comma = true;
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
	member(w, key);
	put_string(w->f, value ? value : "");
}

void json_u64(struct json_writer *w, const char *key, uint64_t value)
{
	member(w, key);
	fprintf(w->f, "%" PRIu64, value);
}

void json_int(struct json_writer *w, const char *key, long long value)
{
	member(w, key);
	fprintf(w->f, "%lld", value);
}

void json_double(struct json_writer *w, const char *key, double value)
{
	member(w, key);
	if (isfinite(value))
		fprintf(w->f, "%.3f", value);
	else
		fputs("null", w->f);
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
	member(w, key);
	fputs(value ? "true" : "false", w->f);
}
