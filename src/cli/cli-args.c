/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every command's option parsing shares: numbers in a range, a password on stdin. */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_read_password(char *buf, size_t len)
{
	if (!fgets(buf, (int)len, stdin)) {
		fprintf(stderr, "zcvpn: --passwd-on-stdin: nothing on stdin\n");
		return -EINVAL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}
