/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The main() a harness gets without libFuzzer: every file named on the command line (or
 * in a directory named there) goes to LLVMFuzzerTestOneInput once.  With no arguments,
 * as 'make check' runs it, the harness replays its own corpus,
 * $srcdir/tests/fuzz/corpus/NAME for a program called fuzz_NAME: the seeds and every
 * input that ever found a bug.  A corpus that is missing or empty is a failure.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

enum { REPLAY_MAX_INPUT = 1 << 20 };

/*
 * Feeds one file, from a heap copy of its exact size so that ASan sees any read past
 * the input.  Returns 1, or -1 when it cannot be read.
 */
static int replay_file(const char *path)
{
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	FILE *f = fopen(path, "rb");
	uint8_t *input;
	size_t n;

	if (!buf || !f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(f ? ENOMEM : errno));
		goto fail;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	input = malloc(n ? n : 1);
	if (!input)
		goto fail;
	memcpy(input, buf, n);
	LLVMFuzzerTestOneInput(input, n);
	free(input);
	fclose(f);
	free(buf);
	return 1;
fail:
	if (f)
		fclose(f);
	free(buf);
	return -1;
}

/* Feeds a file or each regular file of a directory; returns the count or -1. */
static long replay_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	long count = 0;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char file[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (stat(file, &st) || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(file) < 0) {
			closedir(d);
			return -1;
		}
		count++;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	const char *srcdir = getenv("srcdir");
	char corpus[4096];
	long total = 0;

	name = name ? name + 1 : argv[0];
	if (!strncmp(name, "lt-", 3))
		name += 3;
	if (!strncmp(name, "fuzz_", 5))
		name += 5;
	if (argc == 1) {
		snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".",
			 name);
		total = replay_path(corpus);
	}
	for (int i = 1; i < argc && total >= 0; i++) {
		long n = replay_path(argv[i]);

		total = n < 0 ? -1 : total + n;
	}
	if (total <= 0) {
		fprintf(stderr, "replay: %s: no inputs replayed\n", name);
		return EXIT_FAILURE;
	}
	printf("replay: %s: %ld inputs, no crash\n", name, total);
	return EXIT_SUCCESS;
}
