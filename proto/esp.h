/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP transport: security associations, in-place encapsulation (esp-send.c) and
 * in-place decapsulation (esp-receive.c) on ring records.
 *
 * One outbound SA and up to two inbound SAs: the current one and, after a rekey, the
 * previous one.  The previous SA stays open until the peer is seen using the new one (a
 * packet authenticates under it); from then on it takes a grace count of sequence
 * numbers past the highest it had seen, for packets still in flight.  OpenConnect counts
 * that grace from the moment of the rekey instead, which loses packets whenever the
 * peer switches its outbound SA later than 32 packets after we switched our inbound.
 *
 * Threading: esp_encap runs on the tx path and esp_decap on the rx path; they touch
 * disjoint state (outbound vs inbound SAs, tx vs rx stats), so each may run in its own
 * thread.  SA changes are made with both paths quiescent.
 */
#ifndef ZCVPN_PROTO_ESP_H
#define ZCVPN_PROTO_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "proto/esp-replay.h"

struct pkt;

enum esp_enc {
	ESP_ENC_AES128_CBC,
	ESP_ENC_AES256_CBC,
	ESP_ENC_AES128_GCM,
	ESP_ENC_AES256_GCM,
};

enum esp_auth {
	ESP_AUTH_NONE,			/* only with GCM */
	ESP_AUTH_HMAC_MD5_96,
	ESP_AUTH_HMAC_SHA1_96,
	ESP_AUTH_HMAC_SHA256_128,
};

enum esp_limits {
	ESP_DEFAULT_REPLAY_WINDOW = 64,
	ESP_OLD_SA_GRACE = 32,		/* sequence numbers past the old SA's highest */
	ESP_MAX_AUTH_KEY_LEN = 64,
	ESP_MAX_ENC_KEY_LEN = 32 + 4,	/* AES-256 key + GCM salt */
	/* Refuse to send past this: the peer must rekey first (RFC 4303 §3.3.3). */
	ESP_SEQ_HARD_LIMIT = 0xffffffffu,
};

struct esp_sa_config {
	uint32_t spi;
	enum esp_enc enc;
	enum esp_auth auth;
	uint8_t enc_key[ESP_MAX_ENC_KEY_LEN];	/* GCM: key followed by the 4-byte salt */
	uint32_t enc_key_len;
	uint8_t auth_key[ESP_MAX_AUTH_KEY_LEN];
	uint32_t auth_key_len;
	unsigned replay_window;			/* inbound only; 0 means the default, 64 */
};

/* Every way an inbound datagram can be dropped has its own counter. */
struct esp_stats {
	uint64_t rx_short;			/* too short for header, IV, block and ICV */
	uint64_t rx_bad_spi;
	uint64_t rx_bad_icv;
	uint64_t rx_replay;
	uint64_t rx_too_old;
	uint64_t rx_bad_padding;
	uint64_t rx_bad_next_header;
	uint64_t rx_oversize;			/* inner packet larger than the record */
	uint64_t rx_bad_length;			/* ciphertext not a whole number of blocks */
	uint64_t rx_old_sa;			/* accepted on the previous SA after a rekey */
	uint64_t rx_probes;			/* Juniper/Pulse 1-byte probes received */
	uint64_t tx_probes;
	uint64_t tx_seq_exhausted;		/* refused: sequence space used up, rekey */
	uint64_t tx_no_room;			/* record lacked head/tail room (config bug) */
};

struct esp;

/* Parses those names; returns 0 or -EINVAL. */
int esp_enc_parse(const char *name, enum esp_enc *enc);
int esp_auth_parse(const char *name, enum esp_auth *auth);
bool esp_suite_is_gcm(enum esp_enc enc);
/* Key length the suite needs (enc: including the GCM salt), in bytes. */
uint32_t esp_enc_key_len(enum esp_enc enc);
uint32_t esp_auth_key_len(enum esp_auth auth);

/*
 * Checks a config: suite combination, key lengths, replay window.  On error returns
 * -EINVAL and, when errmsg is not NULL, a static message naming the problem.
 */
int esp_sa_config_check(const struct esp_sa_config *cfg, const char **errmsg);

int esp_new(struct esp **out);
void esp_free(struct esp *esp);

/* Installs the outbound SA (sequence numbers restart at 1).  cfg is borrowed. */
int esp_set_outbound(struct esp *esp, const struct esp_sa_config *cfg, const char **errmsg);

/*
 * Installs a new inbound SA; the current one becomes the previous one (rekey overlap),
 * and the one before that is dropped.  cfg is borrowed.
 */
int esp_set_inbound(struct esp *esp, const struct esp_sa_config *cfg, const char **errmsg);

/* Worst-case bytes ESP puts before / after the inner packet with the installed SAs. */
uint32_t esp_rx_head_len(const struct esp *esp);	/* the current inbound SA's header */
uint32_t esp_max_head(void);
uint32_t esp_max_tail(void);
/* The fewest bytes a valid ESP datagram carries besides its payload, any suite. */
uint32_t esp_min_overhead(void);

enum esp_verdict {
	ESP_DATA,		/* pkt now holds the inner IP packet */
	ESP_PROBE,		/* a liveness probe; answer it with esp_encap_probe if wanted */
	ESP_DROP,		/* dropped and counted */
};

/*
 * tx: encapsulates the inner IP packet in pkt in place: header and IV pushed into the
 * headroom, padding, trailer and ICV put into the tailroom, payload encrypted where it
 * lies.  Borrows pkt (it stays in its record).  Returns 0, -ENOSPC (no room: counted),
 * -EOVERFLOW (sequence numbers exhausted: rekey needed, counted), -EIO.
 */
int esp_encap(struct esp *esp, struct pkt *pkt);

/* Builds a 1-byte zero probe in pkt (which must be empty with room around it). */
int esp_encap_probe(struct esp *esp, struct pkt *pkt);

/*
 * rx: pkt holds one UDP payload as received.  Authenticates (ICV in constant time
 * before any state changes), checks replay, decrypts in place and strips header, IV,
 * padding, trailer and ICV.  max_inner is the most the record can take.  Borrows pkt.
 */
enum esp_verdict esp_decap(struct esp *esp, struct pkt *pkt, uint32_t max_inner);

void esp_get_stats(const struct esp *esp, struct esp_stats *stats);

#endif /* ZCVPN_PROTO_ESP_H */
