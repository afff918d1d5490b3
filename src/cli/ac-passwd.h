/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The users of `zcvpn serve --protocol anyconnect`: a password file in the format
 * ocserv's ocpasswd(8) writes, one "user:groups:hash" line each, the hash from crypt(3)
 * ($5$ SHA-256 or $6$ SHA-512 as ocpasswd makes them; others crypt(3) knows work too).
 * Loaded once at start; checked by every login thread (read-only after loading).
 */
#ifndef ZCVPN_SRC_CLI_AC_PASSWD_H
#define ZCVPN_SRC_CLI_AC_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

enum {
	AC_USER_MAX = 64,		/* a user name, as ocpasswd allows */
	AC_GROUPS_MAX = 256,		/* the groups field, comma-separated; "*": any */
	AC_HASH_MAX = 256,
	AC_USERS_MAX = 4096,		/* lines kept; a longer file is refused */
};

struct ac_user {
	char name[AC_USER_MAX];
	char groups[AC_GROUPS_MAX];
	char hash[AC_HASH_MAX];		/* "!" prefix: a locked account (ocpasswd -l) */
};

struct ac_passwd {
	struct ac_user *users;
	size_t n;
};

/*
 * Reads path.  0, or -errno with a message naming the file and line (never a hash):
 * -EINVAL for a malformed line or a hash crypt(3) cannot use, -E2BIG past AC_USERS_MAX.
 */
int ac_passwd_load(struct ac_passwd *pw, const char *path, char *err, size_t errlen);
void ac_passwd_free(struct ac_passwd *pw);

/*
 * Whether user with password may log in, in group (NULL or "": any of theirs).  Runs
 * crypt(3) even for an unknown user, so the time does not tell which was wrong.
 */
bool ac_passwd_check(const struct ac_passwd *pw, const char *user, const char *password,
		     const char *group);

#endif /* ZCVPN_SRC_CLI_AC_PASSWD_H */
