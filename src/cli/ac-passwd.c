/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The AnyConnect server's password file, in ocpasswd's format (ac-passwd.h). */
#include "config.h"

#include "src/cli/ac-passwd.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hash that matches nothing, so an unknown user costs a crypt(3) like a known one. */
static const char decoy_hash[] =
	"$6$zcvpndecoysalt$ZQ2pcS1hfU3Qv4Xh2m0i5k3b2Vg8nYwW4sR7tU9pL6oE1cA0dF3gH5jK7lM9nB2vC4xZ6aS8dF0gH2jK4lM6n";

/* Splits "user:groups:hash" in place; false when a field is missing or too long. */
static bool parse_line(char *line, struct ac_user *u)
{
	char *groups = strchr(line, ':'), *hash;

	if (!groups)
		return false;
	*groups++ = '\0';
	hash = strchr(groups, ':');
	if (!hash)
		return false;
	*hash++ = '\0';
	hash[strcspn(hash, "\r\n")] = '\0';
	if (!line[0] || strlen(line) >= sizeof(u->name) || strlen(groups) >= sizeof(u->groups) ||
	    !hash[0] || strlen(hash) >= sizeof(u->hash))
		return false;
	strcpy(u->name, line);
	strcpy(u->groups, groups);
	strcpy(u->hash, hash);
	return true;
}

/*
 * Whether crypt(3) takes the hash as a setting (a locked account's "!" aside).  Only
 * the "$id$" families: ocpasswd writes $5$ or $6$, and anything else (traditional DES,
 * or a password pasted in clear, which crypt would read as a DES salt) is refused.
 */
static bool hash_usable(const char *hash)
{
	const char *h = hash[0] == '!' ? hash + 1 : hash;
	struct crypt_data *cd;
	const char *out;
	bool ok;

	if (h[0] != '$')
		return false;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_r("probe", h, cd);
	ok = out && out[0] != '*';
	free(cd);
	return ok;
}

int ac_passwd_load(struct ac_passwd *pw, const char *path, char *err, size_t errlen)
{
	char line[AC_USER_MAX + AC_GROUPS_MAX + AC_HASH_MAX + 8];
	unsigned lineno = 0;
	FILE *f;
	int ret = 0;

	memset(pw, 0, sizeof(*pw));
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the password file %s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		struct ac_user *u;

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (pw->n == AC_USERS_MAX) {
			snprintf(err, errlen, "%s: more than %d users", path, AC_USERS_MAX);
			ret = -E2BIG;
			goto fail;
		}
		if (!pw->n || !(pw->n & (pw->n - 1))) {
			/* Grows at powers of two: a few reallocations for the largest file. */
			size_t cap = pw->n ? 2 * pw->n : 1;
			struct ac_user *more = realloc(pw->users, cap * sizeof(*more));

			if (!more) {
				ret = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			pw->users = more;
		}
		u = &pw->users[pw->n];
		if (!parse_line(line, u) || !hash_usable(u->hash)) {
			snprintf(err, errlen, "%s:%u: not a 'user:groups:hash' line with a crypt(3) "
				 "hash (ocpasswd writes them)", path, lineno);
			ret = -EINVAL;
			goto fail;
		}
		pw->n++;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	if (!pw->n) {
		snprintf(err, errlen, "%s: no users (add one with ocpasswd -c %s NAME)", path, path);
		ac_passwd_free(pw);
		return -EINVAL;
	}
	return 0;
fail:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	ac_passwd_free(pw);
	return ret;
}

void ac_passwd_free(struct ac_passwd *pw)
{
	if (pw->users)
		explicit_bzero(pw->users, pw->n * sizeof(*pw->users));
	free(pw->users);
	pw->users = NULL;
	pw->n = 0;
}

/* Whether group is in the comma-separated list ("*" and an empty list: every group). */
static bool in_groups(const char *list, const char *group)
{
	size_t glen = strlen(group);

	if (!strcmp(list, "*") || !list[0])
		return true;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n == glen && !strncmp(p, group, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* Constant-time equality of two strings of the same length. */
static bool equal_ct(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned char diff = strlen(a) != n;

	for (size_t i = 0; i < n && a[i]; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool ac_passwd_check(const struct ac_passwd *pw, const char *user, const char *password,
		     const char *group)
{
	const struct ac_user *found = NULL;
	struct crypt_data *cd;
	const char *hash, *out;
	bool ok;

	for (size_t i = 0; i < pw->n && !found; i++)
		if (!strcmp(pw->users[i].name, user))
			found = &pw->users[i];
	hash = found && found->hash[0] != '!' ? found->hash : decoy_hash;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_r(password, hash, cd);
	ok = out && out[0] != '*' && equal_ct(out, hash) && found && found->hash[0] != '!';
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok && (!group || !group[0] || in_groups(found->groups, group));
}
