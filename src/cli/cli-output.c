/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The report options every command that runs a tunnel shares: --stats, --json, --interval. */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void cli_output_init(struct cli_output *o)
{
	o->json = false;
	o->all_counters = false;
	/* iperf3's habit: progress for a person watching, silence for a script. */
	o->interval_s = isatty(STDOUT_FILENO) ? 1.0 : 0;
}

int cli_output_option(struct cli_output *o, int opt, const char *arg)
{
	char *end;
	double v;

	switch (opt) {
	case CLI_OPT_STATS:
		o->all_counters = true;
		return 1;
	case CLI_OPT_JSON:
		o->json = true;
		return 1;
	case CLI_OPT_INTERVAL:
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !(v == 0 || (v >= 0.1 && v <= 3600))) {
			fprintf(stderr, "zcvpn: --interval wants seconds: 0 (off) or 0.1 to 3600, "
				"not '%s'\n", arg);
			return -EINVAL;
		}
		o->interval_s = v;
		return 1;
	}
	return 0;
}
