/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small JSON writer for the driver's --json report: one object on one line, keys in
 * the order written.  It tracks only whether a comma is due, so nesting is the caller's
 * business (json_open/json_close pair up like braces).
 */
#ifndef ZCVPN_SRC_CLI_JSON_WRITER_H
#define ZCVPN_SRC_CLI_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer {
	FILE *f;		/* borrowed */
	bool need_comma;
};

void json_begin(struct json_writer *w, FILE *f);
/* Ends the top-level object and the line. */
void json_end(struct json_writer *w);
/* "key": { ... — key NULL inside an array or at the top. */
void json_open(struct json_writer *w, const char *key);
void json_close(struct json_writer *w);
/* "key": [ ... — the members inside take key NULL; json_close_array ends it. */
void json_open_array(struct json_writer *w, const char *key);
void json_close_array(struct json_writer *w);
void json_string(struct json_writer *w, const char *key, const char *value);
void json_u64(struct json_writer *w, const char *key, uint64_t value);
void json_int(struct json_writer *w, const char *key, long long value);
/* Finite values only; anything else is written as null (JSON has no NaN). */
void json_double(struct json_writer *w, const char *key, double value);
void json_bool(struct json_writer *w, const char *key, bool value);

#endif /* ZCVPN_SRC_CLI_JSON_WRITER_H */
