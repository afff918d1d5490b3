/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From the error a login step returned to the exit status a script can act on
 * (enum cli_exit in cli.h, EXIT STATUS in zcvpn.1).  The errors are those cstp.h
 * documents for cstp_open, the AnyConnect auth exchange and the F5/Fortinet logins.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>

int cli_exit_status(int err)
{
	switch (err) {
	case 0:
		return CLI_EXIT_OK;
	case -EINVAL:			/* a password that could not be read, a bad URL */
		return CLI_EXIT_USAGE;
	case -EHOSTUNREACH:		/* also: the name did not resolve */
	case -ENETUNREACH:
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTDOWN:
		return CLI_EXIT_UNREACHABLE;
	case -EKEYREJECTED:		/* the certificate: pin or trust store */
		return CLI_EXIT_CERT;
	case -EACCES:			/* the user name or password */
		return CLI_EXIT_LOGIN;
	case -EKEYEXPIRED:		/* the session (cookie) the login gave, refused */
		return CLI_EXIT_SESSION;
	case -EPERM:			/* the tun: no CAP_NET_ADMIN */
		return CLI_EXIT_PRIVILEGE;
	default:
		return CLI_EXIT_FAILED;
	}
}
