/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect CSTP side of `zcvpn connect --protocol anyconnect URL`: what a VPN
 * client embedding libzcvpn does before the data path starts, as openconnect does it
 * against ocserv or a Cisco ASA.
 *
 *   cstp-http.c    HTTPS requests and responses over crypto/tls.h
 *   cstp-auth.c    the XML login (config-auth init, username/password forms, cookie)
 *   cstp-tunnel.c  CONNECT /CSCOSSLC/tunnel, the X-CSTP-* / X-DTLS-* answer, and the
 *                  8-byte STF framing for control messages (and data without DTLS)
 *
 * All of it is control plane: it runs once per session, or per control message.
 */
#ifndef ZCVPN_SRC_CLI_CSTP_H
#define ZCVPN_SRC_CLI_CSTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/tls.h"
#include "src/cli/ip-prefix.h"

/*
 * The packet types of the STF framing: the same numbers as the DTLS channel's type byte
 * (openconnect's AC_PKT_*), which is the library's business; the driver has its own.
 */
enum cstp_pkt_type {
	CSTP_PKT_DATA = 0,
	CSTP_PKT_DPD_REQ = 3,
	CSTP_PKT_DPD_RESP = 4,
	CSTP_PKT_DISCONNECT = 5,
	CSTP_PKT_KEEPALIVE = 7,
	CSTP_PKT_COMPRESSED = 8,
	CSTP_PKT_TERM_SERVER = 9,
};

enum cstp_limits {
	CSTP_MAX_HEADERS = 8192,	/* a response's header block */
	CSTP_MAX_BODY = 65536,		/* an auth form */
	CSTP_COOKIE_LEN = 512,
	CSTP_STF_HDR = 8,		/* 'S' 'T' 'F' 1 | length(2) | type | 0 */
	CSTP_MAX_PACKET = 16384,
	CSTP_MAX_DNS = 3,		/* of each kind, as openconnect keeps */
	CSTP_MAX_ROUTES = 128,		/* of each split list (8 KiB of headers hold fewer) */
	CSTP_MAX_TEXT = 1024,		/* a banner, a domain list */
	CSTP_MIN_REKEY_S = 10,		/* a shorter rekey interval is taken as this */
};

/* The server as the URL names it. */
struct cstp_server {
	char host[256];			/* name or address, without brackets */
	char port[8];
	char host_header[300];		/* host[:port] as the Host header wants it */
	const char *pin;		/* "pin-sha256:..." or NULL: system trust store */
	unsigned timeout_ms;
};

/* https://HOST[:PORT][/path] -> server (the path is ignored, as ocserv needs none). */
int cstp_parse_url(const char *url, struct cstp_server *s, char *err, size_t errlen);

/*
 * TCP connect and TLS handshake.  0, or -errno with a message: -EHOSTUNREACH (the name
 * did not resolve), connect(2)'s errors, -EKEYREJECTED (the certificate did not match
 * the pin or the trust store), or the TLS handshake's other errors.
 */
int cstp_open(struct tls_conn **out, const struct cstp_server *s, char *err, size_t errlen);

/* The address c actually reached, numeric (a vpnc-script's VPNGATEWAY).  0 or -errno. */
int cstp_peer_address(struct tls_conn *c, char *out, size_t len);

/* ---- cstp-http.c ---- */

struct http_response {
	int status;
	char headers[CSTP_MAX_HEADERS];	/* "Name: value\r\n" lines, NUL-terminated */
	char *body;			/* malloc'd, NUL-terminated; NULL without a body */
	size_t body_len;
	/* Bytes read past the header block of a CONNECT answer: the start of the CSTP stream. */
	uint8_t extra[CSTP_MAX_PACKET];
	size_t extra_len;
};

/* Sends one request; extra_headers is "Name: value\r\n" lines or NULL; body may be NULL. */
int http_send_request(struct tls_conn *c, const struct cstp_server *s, const char *method,
		      const char *path, const char *extra_headers, const char *body);
/*
 * Reads one response.  expect_body: false for CONNECT (the stream follows the headers).
 * 0, or -EPROTO (malformed, message in err), -EIO, -ETIMEDOUT.  Free with
 * http_response_free.
 */
int http_read_response(struct tls_conn *c, struct http_response *r, bool expect_body,
		       unsigned timeout_ms, char *err, size_t errlen);
void http_response_free(struct http_response *r);
/*
 * The value of the n-th header called name (case-insensitive), copied into out.  0, or
 * -ENOENT, -ENOSPC.
 */
int http_header(const struct http_response *r, const char *name, unsigned n, char *out,
		size_t len);

/* ---- cstp-auth.c ---- */

struct cstp_credentials {
	const char *user;
	const char *password;
	const char *group;		/* NULL: the server's default */
};

/*
 * Logs in through the XML auth forms and returns the session cookie (the value of
 * webvpn=) in cookie.  -EACCES: the server refused the credentials (message in err).
 */
int cstp_authenticate(const struct cstp_server *s, const struct cstp_credentials *cred,
		      char *cookie, size_t cookie_len, char *err, size_t errlen);

/* ---- cstp-tunnel.c ---- */

enum cstp_dtls_mode {
	CSTP_DTLS_PSK,			/* PSK-NEGOTIATE: key from the TLS exporter */
	CSTP_DTLS_LEGACY,		/* master secret we chose, server's session ID */
	CSTP_DTLS_OFF,
};

struct cstp_request {
	enum cstp_dtls_mode dtls_mode;
	uint32_t base_mtu;		/* the path MTU we tell the server */
	uint8_t master_secret[48];	/* sent in X-DTLS-Master-Secret */
	/*
	 * Legacy suites offered (Cisco names, ':'-separated) in X-DTLS12-CipherSuite and
	 * X-DTLS-CipherSuite (DTLS 0.9); NULL: the defaults; "": leave the header out.
	 */
	const char *dtls12_suites, *dtls09_suites;
	bool ipv6;			/* ask for an IPv6 address too (X-CSTP-Full-IPv6-Capability) */
};

/* X-CSTP-Rekey-Method and X-DTLS-Rekey-Method. */
enum cstp_rekey_method {
	CSTP_REKEY_NONE,		/* "none", absent, or a method we do not know */
	CSTP_REKEY_SSL,			/* renegotiate the TLS (DTLS) session itself */
	CSTP_REKEY_NEW_TUNNEL,		/* a new TLS connection and CONNECT with the cookie */
};

struct cstp_session {
	struct in_addr address, netmask;	/* X-CSTP-Address / -Netmask */
	bool has_address;
	bool has_netmask;		/* else netmask is /32, and a script is told none */
	uint32_t mtu;			/* max(X-CSTP-MTU, X-DTLS-MTU) */
	uint32_t cstp_dpd_s, cstp_keepalive_s;
	bool dtls;			/* the server offered DTLS */
	enum cstp_dtls_mode dtls_mode;
	uint16_t dtls_port;
	uint32_t dtls_dpd_s, dtls_keepalive_s;
	uint8_t app_id[32];		/* PSK mode: X-DTLS-App-ID */
	size_t app_id_len;
	uint8_t session_id[32];		/* legacy: X-DTLS-Session-ID */
	char dtls_cipher[64];		/* legacy: X-DTLS(12)-CipherSuite */
	bool dtls12;			/* legacy: the answer came as X-DTLS12-CipherSuite */
	char server_name[64];		/* X-CSTP-Server-Name, for logs */
	/* The network the client sets up (a vpnc-script's variables); bad values left out. */
	struct ip_prefix address6;	/* X-CSTP-Address-IP6; family 0: none */
	struct ip_addr dns[CSTP_MAX_DNS];	/* X-CSTP-DNS, either family, in order */
	unsigned int n_dns;
	struct ip_addr nbns[CSTP_MAX_DNS];	/* X-CSTP-NBNS */
	unsigned int n_nbns;
	char domain[CSTP_MAX_TEXT];	/* X-CSTP-Default-Domain */
	char split_dns[CSTP_MAX_TEXT];	/* X-CSTP-Split-DNS, comma-separated */
	char banner[CSTP_MAX_TEXT];	/* X-CSTP-Banner */
	/* X-CSTP-Split-Include and -Exclude, and their -IP6 forms: networks, host bits clear */
	struct ip_prefix split_inc[CSTP_MAX_ROUTES], split_exc[CSTP_MAX_ROUTES];
	unsigned int n_split_inc, n_split_exc;
	uint32_t idle_timeout_s;	/* X-CSTP-Idle-Timeout; 0: none */
	/*
	 * When and how the server wants new keys: X-CSTP-Rekey-Time (seconds from the
	 * CONNECT; 0: never) and -Method, and ocserv's X-DTLS-Rekey-Time and -Method (its
	 * own extension: "ssl", else absent).  Times at least CSTP_MIN_REKEY_S.
	 */
	uint32_t rekey_s, dtls_rekey_s;
	enum cstp_rekey_method rekey_method, dtls_rekey_method;
	unsigned int n_ignored;		/* values refused: malformed, or past the bounds */
};

/*
 * Sends CONNECT /CSCOSSLC/tunnel on c (which becomes the CSTP channel) and parses the
 * answer.  Leftover stream bytes go into *reader.  -EACCES: the cookie was refused;
 * -EPROTO: an answer we cannot use (message in err).
 */
struct cstp_reader {
	uint8_t buf[2 * CSTP_MAX_PACKET];
	size_t len;
	size_t consumed;		/* the packet last handed out, dropped on the next call */
};
int cstp_connect_tunnel(struct tls_conn *c, const struct cstp_server *s, const char *cookie,
			const struct cstp_request *req, struct cstp_session *out,
			struct cstp_reader *reader, char *err, size_t errlen);
/* The CONNECT answer's headers into *out (cstp_connect_tunnel's part, for the tests). */
int cstp_parse_answer(const struct http_response *r, struct cstp_session *out, char *err,
		      size_t errlen);

/* Sends one STF-framed packet (control or data).  0 or -errno. */
int cstp_send(struct tls_conn *c, uint8_t type, const void *payload, size_t len);

/*
 * Reads what is available (waiting at most timeout_ms) and returns the next complete
 * packet: 1 with *type, *payload and *len set (pointing into the reader, valid until the
 * next call), 0 when none is complete yet, -ECONNRESET when the server closed, -EPROTO
 * on a framing error.  c NULL: only what the reader holds (while a rekey reads c).
 */
int cstp_next_packet(struct tls_conn *c, struct cstp_reader *r, unsigned timeout_ms,
		     uint8_t *type, const uint8_t **payload, size_t *len);
/*
 * The reader's free room, for stream bytes read elsewhere (tls_rekey); then
 * cstp_reader_filled with how many went in.  The packet handed out last is dropped.
 */
uint8_t *cstp_reader_room(struct cstp_reader *r, size_t *len);
void cstp_reader_filled(struct cstp_reader *r, size_t n);

/* ---- cstp-rekey.c ---- */

/* Whether b gives the client the addresses a gave (IPv4 and netmask, IPv6 and length). */
bool cstp_same_addresses(const struct cstp_session *a, const struct cstp_session *b);

/*
 * A new tunnel for the session (X-CSTP-Rekey-Method new-tunnel): a new TLS connection
 * and CONNECT with cookie (req with a fresh master secret, for legacy DTLS).  The answer
 * must keep now's addresses and kind of DTLS: then *tls is the new connection, *next
 * its answer and *reader its first bytes.  0, or -errno with a message: -EKEYEXPIRED (the
 * cookie was refused), -EPROTO (another network), cstp_open's.
 */
int cstp_new_tunnel(const struct cstp_server *s, const char *cookie,
		    const struct cstp_request *req, const struct cstp_session *now,
		    struct tls_conn **tls, struct cstp_session *next, struct cstp_reader *reader,
		    char *err, size_t errlen);

/*
 * One step of an "ssl" rekey of c (tls_rekey), the stream's bytes that arrive meanwhile
 * going into r: 0 done, -EAGAIN under way (again when c is readable), 1 the reader has
 * more (hand its packets on with cstp_next_packet(NULL, ...), then again), or -errno.
 */
int cstp_rekey_step(struct tls_conn *c, struct cstp_reader *r);

#endif /* ZCVPN_SRC_CLI_CSTP_H */
