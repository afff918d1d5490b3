/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CONNECT /CSCOSSLC/tunnel and what follows on the TLS connection: the request headers
 * openconnect sends, the server's X-CSTP-* / X-DTLS-* answer turned into a session
 * description, and the STF framing of CSTP packets.
 */
#include "config.h"

#include "src/cli/cstp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "src/cli/hex.h"

/* Legacy suites we can take over: openconnect's names, strongest first. */
#define LEGACY_DTLS09_SUITES "AES256-SHA:AES128-SHA"
#define LEGACY_DTLS12_SUITES "AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA:AES128-SHA"

enum {
	/* openconnect's DTLS_OVERHEAD: type byte, header, SHA1 MAC, IV, padding */
	DTLS_WORST_OVERHEAD = 1 + 13 + 20 + 16 + 16 + 16,
	IPV4_UDP = 20 + 8,
	MIN_MTU = 576,
	MAX_MTU = 9000,
};

static void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int send_connect(struct tls_conn *c, const struct cstp_server *s, const char *cookie,
			const struct cstp_request *req)
{
	char hostname[64] = "zcvpn", secret[2 * 48 + 1], headers[2048];
	uint32_t mtu = req->base_mtu - IPV4_UDP - DTLS_WORST_OVERHEAD;
	const char *d12 = req->dtls12_suites ? req->dtls12_suites : LEGACY_DTLS12_SUITES;
	const char *d09 = req->dtls09_suites ? req->dtls09_suites : LEGACY_DTLS09_SUITES;
	int n;

	gethostname(hostname, sizeof(hostname) - 1);
	hex_encode(req->master_secret, sizeof(req->master_secret), secret);
	n = snprintf(headers, sizeof(headers),
		     "Cookie: webvpn=%s\r\n"
		     "X-CSTP-Version: 1\r\n"
		     "X-CSTP-Hostname: %s\r\n"
		     "X-CSTP-Protocol: Copyright (c) 2004 Cisco Systems, Inc.\r\n"
		     "X-CSTP-Base-MTU: %u\r\n"
		     "X-CSTP-MTU: %u\r\n"
		     "X-CSTP-Address-Type: %s\r\n",
		     cookie, hostname, req->base_mtu, mtu,
		     /* ocserv gives IPv6 addresses, DNS and routes only to a full client */
		     req->ipv6 ? "IPv6,IPv4\r\nX-CSTP-Full-IPv6-Capability: true" : "IPv4");
	/* The master secret goes out even for PSK-NEGOTIATE, as openconnect does. */
	if (req->dtls_mode == CSTP_DTLS_PSK)
		n += snprintf(headers + n, sizeof(headers) - (size_t)n,
			      "X-DTLS-Master-Secret: %s\r\n"
			      "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", secret);
	else if (req->dtls_mode == CSTP_DTLS_LEGACY)
		n += snprintf(headers + n, sizeof(headers) - (size_t)n,
			      "X-DTLS-Master-Secret: %s\r\n%s%s%s%s%s%s", secret,
			      *d09 ? "X-DTLS-CipherSuite: " : "", d09, *d09 ? "\r\n" : "",
			      *d12 ? "X-DTLS12-CipherSuite: " : "", d12, *d12 ? "\r\n" : "");
	explicit_bzero(secret, sizeof(secret));
	if (n < 0 || (size_t)n >= sizeof(headers))
		return -ENOSPC;
	n = http_send_request(c, s, "CONNECT", "/CSCOSSLC/tunnel", headers, NULL);
	explicit_bzero(headers, sizeof(headers));
	return n;
}

static uint32_t header_u32(const struct http_response *r, const char *name, uint32_t dflt)
{
	char v[32];

	if (http_header(r, name, 0, v, sizeof(v)))
		return dflt;
	return (uint32_t)strtoul(v, NULL, 10);
}

/* X-DTLS-App-ID (PSK-NEGOTIATE) or X-DTLS-Session-ID and a suite (legacy). */
static int parse_dtls(const struct http_response *r, struct cstp_session *o, char *err,
		      size_t errlen)
{
	char v[160];
	uint32_t n;

	o->dtls_port = (uint16_t)header_u32(r, "X-DTLS-Port", 0);
	o->dtls_dpd_s = header_u32(r, "X-DTLS-DPD", 0);
	o->dtls_keepalive_s = header_u32(r, "X-DTLS-Keepalive", 0);
	if (!o->dtls_port)
		return 0;
	if (!http_header(r, "X-DTLS-App-ID", 0, v, sizeof(v))) {
		if (hex_decode(v, o->app_id, sizeof(o->app_id), &n)) {
			snprintf(err, errlen, "bad X-DTLS-App-ID '%s' (at most 32 bytes of hex)", v);
			return -EPROTO;
		}
		o->app_id_len = n;
		o->dtls_mode = CSTP_DTLS_PSK;
		o->dtls = true;
		return 0;
	}
	if (!http_header(r, "X-DTLS-Session-ID", 0, v, sizeof(v))) {
		if (hex_decode(v, o->session_id, sizeof(o->session_id), &n) || n != 32) {
			snprintf(err, errlen, "bad X-DTLS-Session-ID (want 64 hex digits)");
			return -EPROTO;
		}
		o->dtls12 = !http_header(r, "X-DTLS12-CipherSuite", 0, o->dtls_cipher,
					 sizeof(o->dtls_cipher));
		if (!o->dtls12 && http_header(r, "X-DTLS-CipherSuite", 0, o->dtls_cipher,
					      sizeof(o->dtls_cipher))) {
			snprintf(err, errlen, "legacy DTLS offered without a cipher suite");
			return -EPROTO;
		}
		o->dtls_mode = CSTP_DTLS_LEGACY;
		o->dtls = true;
	}
	return 0;
}

/* ---- the network the client sets up: every value checked, bad ones counted --------- */

/*
 * Each value of the headers called name, in order, into v (sized len): 1 for one more,
 * 0 after the last.  A value too long for v is skipped and counted.
 */
static int next_value(const struct http_response *r, const char *name, unsigned int *n,
		      char *v, size_t len, struct cstp_session *o)
{
	for (;;) {
		int ret = http_header(r, name, (*n)++, v, len);

		if (ret == -ENOENT)
			return 0;
		if (!ret)
			return 1;
		o->n_ignored++;
	}
}

static void parse_addresses(const struct http_response *r, const char *name,
			    struct ip_addr *out, unsigned int *count, struct cstp_session *o)
{
	char v[INET6_ADDRSTRLEN + 1];
	unsigned int n = 0;

	while (next_value(r, name, &n, v, sizeof(v), o)) {
		if (*count < CSTP_MAX_DNS && !ip_addr_parse(v, &out[*count]))
			(*count)++;
		else
			o->n_ignored++;
	}
}

/* Routes of either family under either name (openconnect tells them by the ':' too). */
static void parse_routes(const struct http_response *r, const char *name,
			 struct ip_prefix *out, unsigned int *count, struct cstp_session *o)
{
	char v[2 * INET6_ADDRSTRLEN];
	unsigned int n = 0;

	while (next_value(r, name, &n, v, sizeof(v), o)) {
		if (*count < CSTP_MAX_ROUTES && !ip_prefix_parse(v, &out[*count]))
			ip_prefix_clear_host(&out[(*count)++]);
		else
			o->n_ignored++;
	}
}

/*
 * Domain names as resolv.conf takes them, space-separated: what a script writes there
 * must not carry anything else (a server's newline would be a resolv.conf line).
 */
static bool domain_list(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("-._ ", *s))
			return false;
	return true;
}

/* Free text for people: anything but control characters (UTF-8 passes). */
static bool banner_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* X-CSTP-Split-DNS, one domain a header, comma-joined as CISCO_SPLIT_DNS wants them. */
static void parse_split_dns(const struct http_response *r, struct cstp_session *o)
{
	size_t used = 0, len;
	unsigned int n = 0;
	char v[256];

	while (next_value(r, "X-CSTP-Split-DNS", &n, v, sizeof(v), o)) {
		len = strlen(v);
		if (!len || !domain_list(v) || strchr(v, ' ') ||
		    used + len + 2 > sizeof(o->split_dns)) {
			o->n_ignored++;
			continue;
		}
		used += (size_t)snprintf(o->split_dns + used, sizeof(o->split_dns) - used, "%s%s",
					 used ? "," : "", v);
	}
}

static enum cstp_rekey_method rekey_method(const struct http_response *r, const char *name,
					   struct cstp_session *o)
{
	char v[32];

	if (http_header(r, name, 0, v, sizeof(v)) || !strcmp(v, "none"))
		return CSTP_REKEY_NONE;
	if (!strcmp(v, "ssl"))
		return CSTP_REKEY_SSL;
	if (!strcmp(v, "new-tunnel"))
		return CSTP_REKEY_NEW_TUNNEL;
	o->n_ignored++;
	return CSTP_REKEY_NONE;
}

/* A rekey time the server gave, held to CSTP_MIN_REKEY_S: no rekey storm on its word. */
static uint32_t rekey_time(const struct http_response *r, const char *name)
{
	uint32_t s = header_u32(r, name, 0);

	return s && s < CSTP_MIN_REKEY_S ? CSTP_MIN_REKEY_S : s;
}

static void parse_rekey(const struct http_response *r, struct cstp_session *o)
{
	o->rekey_method = rekey_method(r, "X-CSTP-Rekey-Method", o);
	o->rekey_s = o->rekey_method == CSTP_REKEY_NONE ? 0 : rekey_time(r, "X-CSTP-Rekey-Time");
	o->dtls_rekey_method = rekey_method(r, "X-DTLS-Rekey-Method", o);
	o->dtls_rekey_s = rekey_time(r, "X-DTLS-Rekey-Time");
}

static void parse_network(const struct http_response *r, struct cstp_session *o)
{
	char v[CSTP_MAX_TEXT];
	int ret;

	if (!http_header(r, "X-CSTP-Address-IP6", 0, v, sizeof(v)) &&
	    (ip_prefix_parse(v, &o->address6) || o->address6.addr.family != AF_INET6)) {
		memset(&o->address6, 0, sizeof(o->address6));
		o->n_ignored++;
	}
	parse_addresses(r, "X-CSTP-DNS", o->dns, &o->n_dns, o);
	parse_addresses(r, "X-CSTP-NBNS", o->nbns, &o->n_nbns, o);
	parse_routes(r, "X-CSTP-Split-Include", o->split_inc, &o->n_split_inc, o);
	parse_routes(r, "X-CSTP-Split-Include-IP6", o->split_inc, &o->n_split_inc, o);
	parse_routes(r, "X-CSTP-Split-Exclude", o->split_exc, &o->n_split_exc, o);
	parse_routes(r, "X-CSTP-Split-Exclude-IP6", o->split_exc, &o->n_split_exc, o);
	parse_split_dns(r, o);
	ret = http_header(r, "X-CSTP-Default-Domain", 0, o->domain, sizeof(o->domain));
	if (ret == -ENOSPC || (!ret && !domain_list(o->domain))) {
		o->domain[0] = '\0';
		o->n_ignored++;
	}
	ret = http_header(r, "X-CSTP-Banner", 0, o->banner, sizeof(o->banner));
	if (ret == -ENOSPC || (!ret && !banner_text(o->banner))) {
		o->banner[0] = '\0';
		o->n_ignored++;
	}
	o->idle_timeout_s = header_u32(r, "X-CSTP-Idle-Timeout", 0);
}

int cstp_parse_answer(const struct http_response *r, struct cstp_session *o, char *err,
		      size_t errlen)
{
	char v[64];
	uint32_t mtu, dtls_mtu;

	memset(o, 0, sizeof(*o));
	if (!http_header(r, "X-CSTP-Address", 0, v, sizeof(v)) &&
	    inet_pton(AF_INET, v, &o->address) == 1) {
		o->has_address = true;
		o->has_netmask = !http_header(r, "X-CSTP-Netmask", 0, v, sizeof(v)) &&
				 inet_pton(AF_INET, v, &o->netmask) == 1;
		if (!o->has_netmask)
			inet_pton(AF_INET, "255.255.255.255", &o->netmask);
	}
	mtu = header_u32(r, "X-CSTP-MTU", 0);
	dtls_mtu = header_u32(r, "X-DTLS-MTU", 0);
	o->mtu = mtu > dtls_mtu ? mtu : dtls_mtu;
	if (o->mtu < MIN_MTU || o->mtu > MAX_MTU) {
		snprintf(err, errlen, "the server gave no usable MTU (X-CSTP-MTU %u)", o->mtu);
		return -EPROTO;
	}
	o->cstp_dpd_s = header_u32(r, "X-CSTP-DPD", 0);
	o->cstp_keepalive_s = header_u32(r, "X-CSTP-Keepalive", 0);
	http_header(r, "X-CSTP-Server-Name", 0, o->server_name, sizeof(o->server_name));
	parse_network(r, o);
	parse_rekey(r, o);
	o->dtls_mode = CSTP_DTLS_OFF;
	return parse_dtls(r, o, err, errlen);
}

int cstp_connect_tunnel(struct tls_conn *c, const struct cstp_server *s, const char *cookie,
			const struct cstp_request *req, struct cstp_session *out,
			struct cstp_reader *reader, char *err, size_t errlen)
{
	static struct http_response r;	/* large; one tunnel at a time */
	int ret;

	ret = send_connect(c, s, cookie, req);
	if (ret) {
		snprintf(err, errlen, "sending CONNECT: %s", strerror(-ret));
		return ret;
	}
	ret = http_read_response(c, &r, false, s->timeout_ms, err, errlen);
	if (ret)
		return ret;
	if (r.status == 401 || r.status == 403) {
		snprintf(err, errlen, "the server refused the session cookie (HTTP %d)", r.status);
		return -EACCES;
	}
	if (r.status != 200) {
		snprintf(err, errlen, "CONNECT failed: HTTP %d", r.status);
		return -EPROTO;
	}
	ret = cstp_parse_answer(&r, out, err, errlen);
	memcpy(reader->buf, r.extra, r.extra_len);
	reader->len = r.extra_len;
	reader->consumed = 0;
	explicit_bzero(&r, sizeof(r));
	return ret;
}

int cstp_send(struct tls_conn *c, uint8_t type, const void *payload, size_t len)
{
	/*
	 * One TLS record per CSTP packet: ocserv (like openconnect) reads one record as one
	 * packet and does not reassemble, so header and payload must go in a single write.
	 */
	uint8_t buf[CSTP_STF_HDR + CSTP_MAX_PACKET];

	if (len > CSTP_MAX_PACKET)
		return -EMSGSIZE;
	buf[0] = 'S';
	buf[1] = 'T';
	buf[2] = 'F';
	buf[3] = 1;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	buf[6] = type;
	buf[7] = 0;
	if (len)
		memcpy(buf + CSTP_STF_HDR, payload, len);
	return tls_write_all(c, buf, CSTP_STF_HDR + len);
}

/* The packet handed out last time is done with now. */
static void drop_consumed(struct cstp_reader *r)
{
	if (r->consumed) {
		memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
		r->len -= r->consumed;
		r->consumed = 0;
	}
}

uint8_t *cstp_reader_room(struct cstp_reader *r, size_t *len)
{
	drop_consumed(r);
	*len = sizeof(r->buf) - r->len;
	return r->buf + r->len;
}

void cstp_reader_filled(struct cstp_reader *r, size_t n)
{
	r->len += n;
}

/*
 * What the reader's first bytes say: the packet's payload length once its STF header is
 * in and sane, -EAGAIN while it is not all in yet, -EPROTO when it is not CSTP framing or
 * is longer than any packet a tunnel carries (CSTP_MAX_PACKET: the reader must always
 * be able to hold a whole packet, so a longer one is refused, never waited for).
 */
_Static_assert(sizeof(((struct cstp_reader *)0)->buf) >= CSTP_STF_HDR + CSTP_MAX_PACKET,
	       "the reader holds any packet stf_payload_len() lets through");

static ssize_t stf_payload_len(const struct cstp_reader *r)
{
	size_t plen;

	if (memcmp(r->buf, "STF\x01", r->len < 4 ? r->len : 4))
		return -EPROTO;
	if (r->len < CSTP_STF_HDR)
		return -EAGAIN;
	plen = (size_t)r->buf[4] << 8 | r->buf[5];
	if (r->buf[7] != 0 || plen > CSTP_MAX_PACKET)
		return -EPROTO;
	return (ssize_t)plen;
}

int cstp_next_packet(struct tls_conn *c, struct cstp_reader *r, unsigned timeout_ms,
		     uint8_t *type, const uint8_t **payload, size_t *len)
{
	ssize_t plen;

	drop_consumed(r);
	for (;;) {
		ssize_t n;

		plen = stf_payload_len(r);
		if (plen == -EPROTO)
			return -EPROTO;
		if (plen >= 0 && r->len >= CSTP_STF_HDR + (size_t)plen)
			break;
		if (!c)
			return 0;
		n = tls_read(c, r->buf + r->len, sizeof(r->buf) - r->len, timeout_ms);
		if (n == 0)
			return -ECONNRESET;
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		r->len += (size_t)n;
		timeout_ms = 0;
	}
	*type = r->buf[6];
	*payload = r->buf + CSTP_STF_HDR;
	*len = (size_t)plen;
	r->consumed = CSTP_STF_HDR + (size_t)plen;
	return 1;
}
