/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcvpn: a VPN data-path engine with zero-copy tunnel I/O.
 *
 * The embedding VPN client does authentication and configuration; an engine then moves
 * packets between a tun device and one UDP socket over a transport (ESP over UDP,
 * Cisco AnyConnect DTLS, or PPP over DTLS for F5 and Fortinet), configured by its own section of struct zcvpn_config.
 * Datagrams are received straight into ring records and decrypted in place; packets from
 * the tun are encrypted where they lie and sent from the ring.
 *
 * This is the only installed header.  Every call returns 0 or a negative errno; handles
 * are opaque; there is no global state, so several engines may live in one process.
 *
 * Two ways to embed:
 *  - own thread: zcvpn_engine_start(e, ZCVPN_START_THREAD), later zcvpn_engine_stop(e);
 *  - host event loop: zcvpn_engine_start(e, 0), then watch zcvpn_engine_fd(e) for
 *    readability and call zcvpn_engine_process(e) whenever it is readable.
 * Either way the tun backend runs its own thread (it plays the kernel's role on the
 * rings, as Wintun's driver does).
 */
#ifndef ZCVPN_H
#define ZCVPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ZCVPN_EXPORT __attribute__((visibility("default")))
#else
#define ZCVPN_EXPORT
#endif

/* The library's version string, e.g. "0.1.0". */
ZCVPN_EXPORT const char *zcvpn_version(void);

/* The crypto backend the library was built with: "GnuTLS" or "OpenSSL". */
ZCVPN_EXPORT const char *zcvpn_crypto_backend(void);

/* ---- configuration ------------------------------------------------------------------- */

enum zcvpn_protocol {
	ZCVPN_PROTOCOL_ESP,		/* ESP over UDP: cfg.esp */
	ZCVPN_PROTOCOL_ANYCONNECT,	/* Cisco AnyConnect DTLS: cfg.anyconnect */
	ZCVPN_PROTOCOL_PPP,		/* PPP over DTLS (F5, Fortinet): cfg.ppp */
};

/* One ESP security association, as manual keying (`ip xfrm state`) gives it. */
struct zcvpn_esp_sa {
	uint32_t spi;
	const char *enc;	/* "aes128-gcm" "aes256-gcm" "aes128-cbc" "aes256-cbc" */
	const char *auth;	/* "none" (GCM) "hmac-md5-96" "hmac-sha1-96" "hmac-sha256-128" */
	const uint8_t *enc_key;	/* borrowed; GCM: AES key followed by the 4-byte salt */
	size_t enc_key_len;
	const uint8_t *auth_key; /* borrowed; NULL with GCM */
	size_t auth_key_len;
};

/*
 * Key lengths an ESP suite needs, in bytes (enc includes the GCM salt; auth is 0 for
 * "none").  Returns 0, or -EINVAL for an unknown or invalid combination.
 */
ZCVPN_EXPORT int zcvpn_esp_key_lengths(const char *enc, const char *auth, size_t *enc_len,
				       size_t *auth_len);

/* ESP over UDP (Juniper/Pulse, GlobalProtect), keyed by the client's login. */
struct zcvpn_esp_config {
	struct zcvpn_esp_sa in;		/* what the peer sends us */
	struct zcvpn_esp_sa out;	/* what we send */
	unsigned replay_window;		/* 64..4096, multiple of 64; 0: 64 */
	/*
	 * Liveness, Juniper/Pulse style: a 1-byte probe (next header 0) after this long
	 * without sending, and one at start so that a server learns its peer at once.
	 * 0: never.
	 */
	uint32_t keepalive_ms;
	bool answer_probes;		/* reply to the peer's probes (the server role) */
};

/*
 * AnyConnect DTLS, as openconnect and ocserv run it.  PSK-NEGOTIATE: the CSTP (HTTPS)
 * session gives the PSK (RFC 5705 exporter, label "EXPORTER-openconnect-psk", 32 bytes)
 * and the server's X-DTLS-App-ID.  Legacy: a master secret and session ID (below).
 * Either way the engine runs the DTLS handshake over its own socket and then moves data
 * through its in-place record layer.
 */
struct zcvpn_anyconnect_config {
	bool server;		/* the local server role (zcvpn serve); else a client */
	const uint8_t *psk;	/* 32 bytes, borrowed for zcvpn_engine_new; NULL: legacy */
	const uint8_t *app_id;	/* X-DTLS-App-ID: a client sends it as the ClientHello
				 * session ID (how ocserv finds the session); a server
				 * takes only ClientHellos that carry it (others are
				 * dropped, rx_hello_wrong_id); borrowed */
	size_t app_id_len;	/* 0..32 */
	/*
	 * Suites to offer or accept, comma-separated: "aes256-gcm", "aes128-gcm",
	 * "aes256-cbc-sha1", "aes128-cbc-sha1"; NULL: both GCM suites.
	 */
	const char *ciphers;
	/*
	 * Legacy mode (psk NULL): the client chose a 48-byte master secret and sent it in
	 * X-DTLS-Master-Secret; the server answered with a 32-byte X-DTLS-Session-ID and
	 * one suite, which both ends then "resume".  Suites by their Cisco names:
	 * "AES256-GCM-SHA384", "AES128-GCM-SHA256", "AES256-SHA", "AES128-SHA"; dtls09
	 * when the server named it in X-DTLS-CipherSuite (Cisco's DTLS 0.9, CBC only)
	 * rather than X-DTLS12-CipherSuite.  All borrowed for zcvpn_engine_new.
	 */
	const uint8_t *master_secret;
	const uint8_t *session_id;
	const char *legacy_cipher;
	bool dtls09;
	/*
	 * No DTLS at all (the server offered none): every packet takes the fallback path
	 * (zcvpn_engine_set_fallback), and the UDP socket stays idle.
	 */
	bool cstp_only;
	uint32_t dpd_ms;	/* X-DTLS-DPD: probe after this long without receiving */
	uint32_t keepalive_ms;	/* X-DTLS-Keepalive: send after this long without sending */
	uint32_t handshake_timeout_ms;	/* whole handshake; 0: 30 s */
	/*
	 * Client: when DTLS fails (dead peer, failed handshake), a new handshake this long
	 * after, and again after each failed attempt; meanwhile packets take the fallback,
	 * and they return to DTLS once it is up.  0: never.  zcvpn_config_init() sets 60 s,
	 * openconnect's DTLS attempt period.  A server listens again as soon as its peer is
	 * dead (DPD), whatever this says.
	 */
	uint32_t redial_ms;
	/*
	 * Client: a new DTLS session this long after the current one came up, before its
	 * keys grow old (ocserv's X-DTLS-Rekey-Time): a handshake from a new source port
	 * with the same keys, which ocserv takes as the session's new DTLS channel.  Until
	 * it is up, packets take the fallback, as after a failure; counted in dtls_rekeys.
	 * 0: never (zcvpn_engine_rekey still can).
	 */
	uint32_t rekey_ms;
	unsigned replay_window;	/* DTLS records: 64..4096, multiple of 64; 0: 64 */
};

/*
 * PPP over DTLS, as F5 BIG-IP and FortiGate run it (and openconnect speaks it): a full
 * DTLS 1.2 handshake verified by the server's certificate, then the flavour's hello in
 * one record (F5: the HTTP request for /myvpn, answered "HTTP/1.1 200"; Fortinet:
 * clthello with the session cookie, answered by svrhello "ok", or by PPP at once), then
 * one PPP frame per record behind the flavour's header (F5 4 bytes, Fortinet 6).  LCP,
 * IPCP and IP6CP are negotiated over DTLS, again after each redial; the NETWORK event
 * says what they settled, and LCP echoes are the dead-peer detection.  PPP over TLS,
 * the fallback, runs in the library too, over a stream the host carries
 * (zcvpn_engine_set_stream): the host only moves bytes.
 */
enum zcvpn_ppp_flavour {
	ZCVPN_PPP_F5,
	ZCVPN_PPP_FORTINET,
	ZCVPN_PPP_NULLPPP,	/* openconnect's nullppp: PPP over the stream only */
};

struct zcvpn_ppp_config {
	bool server;			/* the local server role (zcvpn serve) */
	enum zcvpn_ppp_flavour flavour;
	/*
	 * The session the login made: F5's session ID (sess=), Fortinet's SVPNCOOKIE value.
	 * A client presents it in its hello; a server accepts only a hello that carries it.
	 * Borrowed for zcvpn_engine_new; a secret: never logged.
	 */
	const char *session;
	const char *f5_z;		/* F5 client: the config's ur_Z (Z=); NULL: none */
	const char *hostname;		/* client: the server's name (SNI, certificate name,
					 * the F5 request's Host:) */
	/*
	 * The DTLS certificate.  Server: cert_file (PEM chain, leaf first) and key_file.
	 * Client: pin (openconnect's "pin-sha256:..."), and/or ca_file with hostname.
	 */
	const char *cert_file, *key_file, *ca_file, *pin;
	/*
	 * No DTLS: PPP runs over the host's stream only (zcvpn_engine_set_stream), as with
	 * openconnect --no-dtls.  Implied by nullppp and by hdlc.
	 */
	bool no_dtls;
	bool hdlc;			/* the stream is HDLC-framed (F5 hdlc_framing=yes,
					 * nullppp "hdlc"); openconnect has no DTLS then */
	bool want_ipv4, want_ipv6;	/* zcvpn_config_init: both */
	/* Server: what IPCP and IP6CP assign (network order; zero: not offered). */
	uint8_t ipv4[4], ipv4_peer[4];
	uint8_t dns4[2][4], nbns4[2][4];
	uint8_t ipv6_iid[8], ipv6_peer_iid[8];	/* zero: random */
	uint32_t dpd_ms;		/* LCP Echo-Request after this long without receiving */
	uint32_t keepalive_ms;		/* LCP Discard-Request after this long without sending */
	uint32_t handshake_timeout_ms;	/* DTLS handshake; 0: 30 s */
	uint32_t hello_timeout_ms;	/* the hello's answer; 0: 5 s (resent each second) */
	uint32_t redial_ms;		/* client, as for AnyConnect; zcvpn_config_init: 60 s */
	unsigned replay_window;		/* DTLS records: 64..4096, multiple of 64; 0: 64 */
};

enum zcvpn_tun_kind {
	ZCVPN_TUN_MEM,		/* in-memory traffic generator and verifying sink (no root) */
	ZCVPN_TUN_LINUX,	/* /dev/net/tun, created by the engine (needs CAP_NET_ADMIN) */
	/*
	 * A tun the host opened and configured itself (openconnect's --setup-tun-fd,
	 * Android's VpnService): cfg.tun_fd.  Offloads are used only if the host opened it
	 * with IFF_VNET_HDR; any packet fd (a socketpair in tests) works without them.
	 */
	ZCVPN_TUN_FD,
};

/* Events: how the library reports (it never prints).  See struct zcvpn_event. */
struct zcvpn_event;
typedef void (*zcvpn_event_fn)(void *ctx, const struct zcvpn_event *ev);

struct zcvpn_config {
	const char *local;	/* "ADDR:PORT" to bind; NULL: any address, any port */
	const char *remote;	/* "ADDR:PORT" of the peer; NULL: learn it from the first
				 * authenticated datagram (server role) */
	/*
	 * A UDP socket the host opened (and bound) itself, or -1 (zcvpn_config_init): the
	 * engine opens one from local/remote.  Borrowed: the host closes it after
	 * zcvpn_engine_free.  local must then be NULL; remote, if given, is connected.  A
	 * redial keeps this socket (it cannot change its port).
	 */
	int udp_fd;
	/*
	 * Called with every socket the engine opens, before it binds or connects it (Android:
	 * VpnService.protect(), so the tunnel's own traffic bypasses the VPN).  Return 0, or
	 * -errno to fail the open.  NULL: none.
	 */
	int (*protect_socket)(void *ctx, int fd);
	void *protect_ctx;

	uint32_t mtu;		/* inner MTU, 576..9000; default 1400 */
	uint32_t ring_size;	/* bytes per ring, power of two; default 4 MiB */
	unsigned batch;		/* datagrams per recvmmsg/sendmmsg, 1..256; default 32 */
	unsigned sock_buf;	/* SO_RCVBUF/SO_SNDBUF bytes; default 4 MiB */
	/*
	 * Send each datagram as its own message.  By default runs of equal-sized datagrams
	 * go out as one UDP GSO message (UDP_SEGMENT, Linux 4.18+), which the kernel cuts
	 * up late; this is for comparison and for paths that refuse GSO (detected anyway).
	 */
	bool no_gso;
	/*
	 * Receive each datagram on its own.  By default the socket has UDP_GRO (Linux
	 * 5.0+): the kernel hands over runs of one flow's datagrams (a peer's UDP GSO
	 * messages stay whole end to end), each received into one run of the rx ring and
	 * carved into records in place.  The rx ring then reserves 64 KiB per message and
	 * has ENGINE_GRO_RING_FACTOR times ring_size of address space (only what arrives is
	 * touched).
	 */
	bool no_gro;
	/*
	 * Linux tun: no offloads, one packet per read and per write.  By default the tun
	 * has IFF_VNET_HDR: runs of received TCP segments of one flow are written as one
	 * GSO packet, so the kernel's TCP receive path runs once per run, as GRO would on
	 * a NIC; and the device claims TSO, so outgoing TCP comes as packets of up to
	 * 64 KiB that are read straight into one record per segment.
	 */
	bool no_coalesce;
	/*
	 * Interrupt moderation, as a NIC's adaptive rx-usecs: while more than two packets
	 * per wait flow, wait between looks at the socket and the tun, so each wakeup
	 * moves a batch (and the tun writes coalesce): as long as a batch takes to gather
	 * at the current rate, at most this long.  0..1000 microseconds; default 500;
	 * 0: off.  Light traffic never waits.  See zcvpn_engine_moderation_us().
	 */
	unsigned moderation_us;

	/* Where events go (struct zcvpn_event); NULL: nowhere. */
	zcvpn_event_fn event_fn;
	void *event_ctx;

	/* The transport, and its own section: nothing protocol-specific sits elsewhere. */
	enum zcvpn_protocol protocol;	/* default ESP */
	struct zcvpn_esp_config esp;
	struct zcvpn_anyconnect_config anyconnect;
	/*
	 * Sections added later share room that was reserved for them, so nothing after it
	 * moves and the struct keeps its size.
	 */
	union {
		struct zcvpn_ppp_config ppp;
		uint64_t reserved[48];
	};

	enum zcvpn_tun_kind tun;
	const char *tun_name;	/* linux: interface name; NULL: kernel picks */
	int tun_fd;		/* ZCVPN_TUN_FD: the host's tun, borrowed; -1 otherwise */
	/* mem tun */
	uint64_t mem_count;	/* packets to generate; 0: sink only */
	uint32_t mem_min_size, mem_max_size;	/* IP packet sizes; default 64..mtu */
	unsigned mem_ipv6_percent;
	uint64_t mem_rate_pps;	/* 0: as fast as possible */
	uint32_t mem_flow_id;	/* stamped on generated packets */
	uint32_t mem_expect_flow_id;	/* the sink checks for this one */
	uint32_t mem_seed;

	/*
	 * ZCVPN_TUN_LINUX: open tun_name as one queue of a multi-queue device
	 * (IFF_MULTI_QUEUE), created by the first engine that opens it.  Several engines
	 * given the same name then share the device, one queue and one ring pair each: the
	 * kernel hashes each flow (symmetrically, so both directions alike) to one queue,
	 * so no flow is split between engines.  This is how a host spreads a tunnel over
	 * cores: one engine, with its own socket and SAs, per queue (the driver's
	 * --workers).  Appended here so nothing above moves.
	 */
	bool tun_multi_queue;
};

/* Fills cfg with the defaults above (and zeroes everything else).  Call it first. */
ZCVPN_EXPORT void zcvpn_config_init(struct zcvpn_config *cfg);

/* ---- events -------------------------------------------------------------------------- */

enum zcvpn_event_type {
	ZCVPN_EVENT_LOG,		/* something worth a line; see level */
	ZCVPN_EVENT_TRANSPORT_UP,	/* handshake done (message: suite, record path) */
	ZCVPN_EVENT_TRANSPORT_DOWN,	/* error says why: -ETIMEDOUT dead peer or handshake
					 * timeout, -EACCES refused, -EPROTO, ... */
	ZCVPN_EVENT_TRANSPORT_CLOSED,	/* the peer said goodbye, or we did: final */
	ZCVPN_EVENT_PEER,		/* the peer's address, learnt from its first
					 * authenticated datagram (peer, peer_len) */
	ZCVPN_EVENT_NETWORK,		/* settings the transport negotiated (network) */
	ZCVPN_EVENT_DROPS,		/* rate-limited (once a second at most): datagrams
					 * dropped since the last one, by reason, in message;
					 * count is their number */
};

enum zcvpn_log_level {
	ZCVPN_LOG_ERR,
	ZCVPN_LOG_WARNING,
	ZCVPN_LOG_INFO,
	ZCVPN_LOG_DEBUG,
};

/*
 * Addresses and settings a transport negotiated with its peer (PPP's IPCP and IP6CP:
 * RFC 1332, 1877, 5072), for the host to put on its tun.  Addresses in network order.
 */
struct zcvpn_network {
	uint32_t mtu;			/* 0: not negotiated */
	bool has_ipv4;
	uint8_t ipv4[4], ipv4_peer[4];
	unsigned n_dns4, n_nbns4;	/* 0..2 each */
	uint8_t dns4[2][4], nbns4[2][4];
	bool has_ipv6;
	uint8_t ipv6_iid[8], ipv6_peer_iid[8];	/* interface identifiers */
};

struct zcvpn_event {
	enum zcvpn_event_type type;
	enum zcvpn_log_level level;
	const char *source;		/* "engine", "tun", or the transport ("esp", ...) */
	int error;			/* a negative errno, or 0 */
	const char *message;		/* one human line, never NULL; never a secret */
	const void *peer;		/* PEER: a struct sockaddr */
	uint32_t peer_len;
	const struct zcvpn_network *network;	/* NETWORK */
	uint64_t count;			/* DROPS */
};

/*
 * Threading: events come from the thread running zcvpn_engine_process (the engine's own,
 * or the host's) or from the tun backend's thread, one at a time (the engine serializes
 * them).  Everything the event points to is borrowed for the call.  The callback may
 * read stats and counters; it must not call anything else of the engine's.
 */

/* ---- the engine ---------------------------------------------------------------------- */

struct zcvpn_engine;

/*
 * Creates an engine: validates cfg (on error returns -EINVAL and writes a message naming
 * the problem into errbuf, if given), opens and binds the UDP socket, creates the rings,
 * the transport and the tun backend.  cfg and the keys it points to are borrowed for the
 * call only.
 */
ZCVPN_EXPORT int zcvpn_engine_new(struct zcvpn_engine **out, const struct zcvpn_config *cfg,
				  char *errbuf, size_t errlen);

#define ZCVPN_START_THREAD 1u

/* Starts the tun backend, and with ZCVPN_START_THREAD the engine's own thread. */
ZCVPN_EXPORT int zcvpn_engine_start(struct zcvpn_engine *e, unsigned flags);

/*
 * Host-loop mode: the fd to poll for readability, and the call to make when it is.  The
 * fd also turns readable when the transport's next timer is due, so an idle engine
 * wakes only for what it has to do.
 */
ZCVPN_EXPORT int zcvpn_engine_fd(const struct zcvpn_engine *e);
ZCVPN_EXPORT int zcvpn_engine_process(struct zcvpn_engine *e);

/*
 * Host-loop mode, after process(): how many microseconds to wait before polling the fd
 * again (0: do not wait).  Non-zero only under load and only with cfg.moderation_us (at
 * most that: the time a batch takes to gather at the current rate); a
 * host that honours it (a short sleep, or a timer on its loop) lets each wakeup move a
 * batch.  The engine's own thread honours it by itself.
 */
ZCVPN_EXPORT unsigned zcvpn_engine_moderation_us(const struct zcvpn_engine *e);

/* New keys for a running transport, by protocol; see zcvpn_engine_rekey. */
struct zcvpn_rekey {
	struct {
		/*
		 * Either may be NULL to keep that direction.  A new inbound SA becomes
		 * current and the previous one stays accepted for packets in flight (32
		 * sequence numbers past the highest it had seen once the peer uses the new
		 * one); a new outbound SA starts at sequence number 1.  Install the new
		 * inbound SAs at both ends before switching either end's outbound.
		 */
		const struct zcvpn_esp_sa *in, *out;
	} esp;
	/*
	 * AnyConnect, client: a new DTLS session now, packets on the fallback until it is
	 * up.  With the keys of a new CSTP tunnel (ocserv's "new-tunnel" rekey gives a new
	 * App-ID, and the new TLS session a new PSK): psk (32 bytes) and app_id, or the
	 * legacy master_secret, session_id and legacy_cipher (dtls09), as in
	 * zcvpn_anyconnect_config; all NULL: the same keys.  Borrowed for the call; later
	 * redials use them too.
	 */
	struct {
		const uint8_t *psk;
		const uint8_t *app_id;
		size_t app_id_len;
		const uint8_t *master_secret;
		const uint8_t *session_id;
		const char *legacy_cipher;
		bool dtls09;
	} anyconnect;
};

/*
 * Rekeys a running engine with rk's section for its protocol.  Callable from any thread;
 * keys never change under a packet in flight.  Returns 0, -EINVAL (message in errbuf),
 * or -EOPNOTSUPP when the transport has no rekey of its own.
 */
ZCVPN_EXPORT int zcvpn_engine_rekey(struct zcvpn_engine *e, const struct zcvpn_rekey *rk,
				    char *errbuf, size_t errlen);

/*
 * The way around a transport that is down (AnyConnect: the DTLS handshake failed, the
 * peer is dead, or cstp_only): packets from the tun are handed to fn instead of waiting
 * in the ring, and the host delivers what it received its own way with
 * zcvpn_engine_inject.  While a first handshake runs, packets wait (it takes
 * milliseconds, and waiting costs no copies).  For AnyConnect that is CSTP, the TLS
 * connection the login used (8-byte STF framing).  Correct, not zero-copy: every byte
 * through here counts in copied_bytes.
 *
 * fn runs in the thread that runs zcvpn_engine_process (the engine's own, or the host's
 * in host-loop mode, which is what a host writing to its TLS connection wants); pkt is
 * borrowed for the call.  fn returns 0, or -errno to drop the packet (counted in
 * tx_errors).  Set it before zcvpn_engine_start.
 */
typedef int (*zcvpn_fallback_fn)(void *ctx, const uint8_t *pkt, size_t len);
ZCVPN_EXPORT void zcvpn_engine_set_fallback(struct zcvpn_engine *e, zcvpn_fallback_fn fn,
					    void *ctx);

/*
 * Delivers one inner packet received outside the engine (CSTP) to the tun.  The packet
 * is copied (counted in copied_bytes).  Callable from any thread.  0, -EMSGSIZE above
 * the MTU, -ENOBUFS when the rx ring is full (the packet is dropped and counted).
 */
ZCVPN_EXPORT int zcvpn_engine_inject(struct zcvpn_engine *e, const void *pkt, size_t len);

/*
 * A byte stream the host carries for the transport: PPP over TLS, the fallback of F5
 * and Fortinet (and the only path of a PPP transport with no_dtls).  The library runs
 * PPP over it itself; the host only moves bytes.  fn writes the transport's bytes to
 * the stream (all of them, or -errno); the host hands every byte it reads from the
 * stream to zcvpn_engine_stream_input.  While the datagram path is down, tun packets
 * go over the stream, and what arrives on it reaches the tun: both copied and counted
 * (fallback_* counters, copied_bytes).  Host-loop mode: fn runs, and stream_input must
 * be called, in the thread that calls zcvpn_engine_process.  0, or -EOPNOTSUPP for a
 * transport without a stream (ESP; AnyConnect, whose CSTP is the host's own).
 */
typedef int (*zcvpn_stream_write_fn)(void *ctx, const void *buf, size_t len);
ZCVPN_EXPORT int zcvpn_engine_set_stream(struct zcvpn_engine *e, zcvpn_stream_write_fn fn,
					 void *ctx);
/* Bytes read from the stream (borrowed for the call).  0, or -ENOTCONN without one. */
ZCVPN_EXPORT int zcvpn_engine_stream_input(struct zcvpn_engine *e, const void *buf,
					   size_t len);

/* Stops the engine thread (if any) and the tun backend.  Idempotent. */
ZCVPN_EXPORT void zcvpn_engine_stop(struct zcvpn_engine *e);

/* The UDP port the engine is bound to (after zcvpn_engine_new), or -errno. */
ZCVPN_EXPORT int zcvpn_engine_local_port(const struct zcvpn_engine *e);

/* Stops and frees.  Accepts NULL. */
ZCVPN_EXPORT void zcvpn_engine_free(struct zcvpn_engine *e);

/* ---- stats --------------------------------------------------------------------------- */

enum zcvpn_transport_state {
	ZCVPN_TRANSPORT_CONNECTING,	/* the first handshake runs: packets wait */
	ZCVPN_TRANSPORT_UP,
	ZCVPN_TRANSPORT_DOWN,		/* failed, or redialling: packets take the fallback */
	ZCVPN_TRANSPORT_CLOSED,		/* a goodbye went either way: final */
};

/*
 * The core counters, the same for every transport.  The struct only ever grows at the
 * end: the caller sets size to sizeof(struct zcvpn_stats) as it was built, and the
 * engine fills that many bytes (an older caller gets the fields it knows).  Everything a
 * transport counts on its own (every drop reason, DPD, probes, handshakes) is a named
 * counter: zcvpn_engine_counter().
 */
struct zcvpn_stats {
	uint32_t size;				/* in: sizeof(struct zcvpn_stats) */
	enum zcvpn_transport_state transport_state;
	int transport_error;			/* why it is down: -ETIMEDOUT, -EACCES, ...;
						 * 0 again once a redial is up */
	/* data path (inner packets and bytes) */
	uint64_t tx_packets, tx_bytes;		/* tun -> network */
	uint64_t rx_packets, rx_bytes;		/* network -> tun */
	uint64_t copied_bytes;			/* payload bytes copied/moved in user space */
	uint64_t send_calls, recv_calls;	/* sendmmsg/recvmmsg calls (batching) */
	uint64_t tx_gso_messages;		/* messages that carried several datagrams */
	uint64_t tx_errors;			/* datagrams the socket refused */
	uint64_t tx_encap_errors;		/* dropped: the transport refused them */
	uint64_t rx_ring_full;			/* dropped: rx ring had no room */
	uint64_t rx_truncated;			/* dropped: datagram larger than a record */
	uint64_t rx_socket_drops;		/* dropped by the kernel: socket buffer full */
	uint64_t rx_invalid;			/* dropped by the transport, all reasons */
	uint64_t timer_wakeups;			/* timer expiries the engine handled */
	uint64_t moderated_windows;		/* rate windows that turned moderation on */
	uint64_t fallback_tx_packets, fallback_rx_packets;	/* through the host (CSTP): */
	uint64_t fallback_tx_bytes, fallback_rx_bytes;		/* all in copied_bytes */
	uint64_t fallback_tx_refused;		/* the host or stream refused them (in tx_errors) */
	/* tun backend */
	uint64_t tun_tx_packets, tun_rx_packets;
	uint64_t tun_tx_ring_full, tun_errors;
	uint64_t tun_tx_segmented;		/* packets cut from the tun's TSO packets */
	uint64_t tun_rx_writes;			/* device writes, */
	uint64_t tun_rx_coalesced;		/* and packets that shared one */
	uint64_t ring_skipped_non_ip;
	/* mem tun sink */
	uint64_t sink_good, sink_corrupt, sink_lost, sink_reordered, sink_duplicate;
	bool generator_done;
	/* UDP GRO (appended: older callers pass a smaller size) */
	uint64_t rx_gro_runs;			/* messages the kernel coalesced, */
	uint64_t rx_gro_segments;		/* and the datagrams in them */
	uint64_t rx_gro_moved;			/* packets moved up to be carved (copied) */
	uint64_t rx_gro_unplaced;		/* dropped: no room to carve a record */
	/* where the threads wait (appended likewise) */
	uint64_t engine_wakeups;		/* times the engine looked at socket and rings */
	uint64_t moderation_waits;		/* ... and waited after looking (moderation) */
	uint64_t tun_wakeups;			/* times the tun thread slept and woke */
	uint64_t tx_ring_peak, rx_ring_peak;	/* most bytes queued when the engine woke */
	uint64_t tx_ring_mean, rx_ring_mean;	/* mean bytes queued when the engine woke */
	/* the tun (appended likewise) */
	int64_t tun_error;			/* 0, or the -errno its thread stopped on:
						 * -EIO the device went away, -EBADMSG a
						 * ring was corrupt; no packet moves then */
};

/*
 * A consistent snapshot of the core counters; callable from any thread.  0, or -EINVAL
 * when st->size is smaller than the first counter's end.
 */
ZCVPN_EXPORT int zcvpn_engine_get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st);

enum zcvpn_counter_flags {
	ZCVPN_COUNTER_DROP = 1u << 0,	/* a reason a datagram was dropped (the transport's add
					 * up to rx_invalid) */
	ZCVPN_COUNTER_COPY = 1u << 1,	/* bytes copied (in copied_bytes) */
};

/* One named counter.  Strings are static: valid as long as the library is loaded. */
struct zcvpn_counter {
	const char *group;	/* "engine", "tun", "sink", or the transport's name */
	const char *name;	/* unique in an engine and stable: "rx_bad_icv" */
	const char *help;	/* a few words for people */
	uint64_t value;
	unsigned flags;		/* enum zcvpn_counter_flags */
};

/*
 * Every counter, by index from 0: the core ones of struct zcvpn_stats (groups "engine",
 * "tun", "sink"), then the transport's.  A new protocol adds counters here, never fields
 * to a struct.  0, or -ENOENT past the last.  Callable from any thread.
 */
ZCVPN_EXPORT int zcvpn_engine_counter(struct zcvpn_engine *e, unsigned index,
				      struct zcvpn_counter *out);
/* One counter by name.  0, or -ENOENT when this engine has no such counter. */
ZCVPN_EXPORT int zcvpn_engine_counter_value(struct zcvpn_engine *e, const char *name,
					    uint64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* ZCVPN_H */
