/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect server's cookies (ac-server.h): what a successful login issues and a
 * CONNECT presents.  A cookie is the session's bearer secret: random, compared in
 * constant time, never printed.  An unused one expires; one whose tunnel was lost
 * without a goodbye lives on a while, so that openconnect's reconnect finds it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "src/cli/ac-server.h"

enum {
	COOKIE_UNUSED_S = 300,	/* from the login to CONNECT, or from a lost tunnel */
};

struct ac_cookie {
	char value[AC_COOKIE_HEX + 1];	/* "" for a free slot */
	struct ac_identity who;
	bool in_use;
	time_t expires;			/* when not in use */
};

int ac_cookies_init(struct ac_server *srv)
{
	srv->n_cookies = 2 * srv->cfg->max_clients;
	srv->cookies = calloc(srv->n_cookies, sizeof(*srv->cookies));
	return srv->cookies ? 0 : -ENOMEM;
}

void ac_cookies_free(struct ac_server *srv)
{
	if (srv->cookies)
		explicit_bzero(srv->cookies, srv->n_cookies * sizeof(*srv->cookies));
	free(srv->cookies);
	srv->cookies = NULL;
}

static bool expired(const struct ac_cookie *k, time_t now)
{
	return k->value[0] && !k->in_use && now >= k->expires;
}

/* A free slot, expired ones freed on the way.  Under the lock. */
static struct ac_cookie *free_slot(struct ac_server *srv)
{
	time_t now = time(NULL);

	for (unsigned i = 0; i < srv->n_cookies; i++) {
		struct ac_cookie *k = &srv->cookies[i];

		if (expired(k, now))
			explicit_bzero(k, sizeof(*k));
		if (!k->value[0])
			return k;
	}
	return NULL;
}

int ac_cookie_issue(struct ac_server *srv, const struct ac_identity *who,
		    char cookie[AC_COOKIE_HEX + 1])
{
	uint8_t raw[AC_COOKIE_HEX / 2];
	struct ac_cookie *k;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return errno ? -errno : -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(cookie + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	pthread_mutex_lock(&srv->lock);
	k = free_slot(srv);
	if (k) {
		memcpy(k->value, cookie, AC_COOKIE_HEX + 1);
		k->who = *who;
		k->in_use = false;
		k->expires = time(NULL) + COOKIE_UNUSED_S;
	}
	pthread_mutex_unlock(&srv->lock);
	return k ? 0 : -ENOSPC;
}

/* Constant-time: a presented cookie must not be found out a byte at a time. */
static bool cookie_equal(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < AC_COOKIE_HEX; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* The slot holding cookie, or NULL.  Under the lock. */
static struct ac_cookie *find(struct ac_server *srv, const char *cookie)
{
	struct ac_cookie *found = NULL;

	if (strlen(cookie) != AC_COOKIE_HEX)
		return NULL;
	for (unsigned i = 0; i < srv->n_cookies; i++)
		if (srv->cookies[i].value[0] && cookie_equal(srv->cookies[i].value, cookie))
			found = &srv->cookies[i];
	return found;
}

int ac_cookie_claim(struct ac_server *srv, const char *cookie, struct ac_identity *who)
{
	struct ac_cookie *k;
	int ret = 0;

	pthread_mutex_lock(&srv->lock);
	k = find(srv, cookie);
	if (!k || expired(k, time(NULL)))
		ret = -ENOENT;
	else if (k->in_use)
		ret = -EBUSY;
	else {
		k->in_use = true;
		*who = k->who;
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void ac_cookie_return(struct ac_server *srv, const char *cookie, bool goodbye)
{
	struct ac_cookie *k;

	pthread_mutex_lock(&srv->lock);
	k = find(srv, cookie);
	if (k && goodbye) {
		explicit_bzero(k, sizeof(*k));
	} else if (k) {
		k->in_use = false;
		k->expires = time(NULL) + COOKIE_UNUSED_S;
	}
	pthread_mutex_unlock(&srv->lock);
}
