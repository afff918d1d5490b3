/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our own DTLS 1.2 record layer for application data, taking over from the TLS library
 * after its handshake (crypto/dtls.h exports the keys): records are protected and
 * unprotected in place on ring records, so no payload byte is copied.
 *
 * Anything that is not application data (alerts, handshake retransmissions, CCS) is
 * left untouched for the caller to give to the library with dtls_input_record, which
 * keeps the write sequence numbers of the two in step (dtls_record_tx_seq8 /
 * dtls_record_set_tx_seq8).
 *
 * Formats: AES-128/256-GCM, and AES-128/256-CBC-SHA1 both as encrypt-then-MAC
 * (RFC 7366) and as classic MAC-then-encrypt, whose receive path is constant time with
 * respect to the padding (Lucky13; see open_mte in dtls-record.c).  DTLS 0.9
 * (AnyConnect legacy, keys.version 0x0100) is the same CBC MtE format.
 *
 * Threading: protect runs on the tx path and unprotect on the rx path; they touch
 * disjoint state (tx vs rx keys, sequence numbers and stats).
 */
#ifndef ZCVPN_PROTO_DTLS_RECORD_H
#define ZCVPN_PROTO_DTLS_RECORD_H

#include <stdint.h>

#include "crypto/dtls.h"

struct pkt;
struct dtls_record;

/* Every way an inbound datagram can be dropped has its own counter. */
struct dtls_record_stats {
	uint64_t rx_packets, rx_bytes;		/* application data delivered */
	uint64_t rx_to_library;			/* not application data: for the library */
	uint64_t rx_short;			/* too short for the format's overhead */
	uint64_t rx_bad_version;
	uint64_t rx_bad_epoch;			/* application data of another epoch */
	uint64_t rx_bad_length;			/* length field does not match the datagram,
						 * or CBC data not whole blocks */
	uint64_t rx_oversize;			/* plaintext larger than the caller's room */
	uint64_t rx_replay;
	uint64_t rx_too_old;
	uint64_t rx_bad_tag;			/* GCM tag or CBC MAC; MtE: bad padding too */
	uint64_t rx_bad_padding;		/* EtM only: authentic, but padded wrong */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_no_room;			/* record lacked head/tail room (config bug) */
	uint64_t tx_too_big;			/* plaintext above 2^14 */
	uint64_t tx_seq_exhausted;		/* 48-bit space used up: rehandshake first */
};

enum dtls_verdict {
	DTLS_RECORD_DATA,	/* pkt now holds the plaintext */
	DTLS_RECORD_LIBRARY,	/* untouched: give it to dtls_input_record */
	DTLS_RECORD_DROP,	/* dropped and counted */
};

/*
 * Sets up both directions from exported keys (copied; the caller wipes its copy).
 * replay_window: 0 for the default (64).  -EOPNOTSUPP unknown suite, -EINVAL bad keys
 * or window, -ENOMEM.
 */
int dtls_record_new(struct dtls_record **out, const struct dtls_keys *keys,
		    unsigned replay_window);
/* Wipes keys; accepts NULL. */
void dtls_record_free(struct dtls_record *r);

/*
 * Protects pkt's bytes as one record of the given content type (23 for data, 21 to send
 * an alert ourselves): header and explicit nonce or IV go into the headroom, tag, or
 * MAC and padding, into the tailroom.  0, or -ENOSPC (room short), -EMSGSIZE (over
 * 2^14), -EOVERFLOW (sequence space exhausted), -EIO; on error pkt's view is unchanged.
 */
int dtls_record_protect(struct dtls_record *r, struct pkt *pkt, uint8_t type);

/*
 * Checks, authenticates and decrypts one datagram holding one record in place; on
 * DTLS_RECORD_DATA pkt holds the plaintext (at most max_plain bytes).
 */
enum dtls_verdict dtls_record_unprotect(struct dtls_record *r, struct pkt *pkt,
					uint32_t max_plain);

/* The next write number, epoch || seq: what to sync into the library before it writes. */
uint64_t dtls_record_tx_seq8(const struct dtls_record *r);
/*
 * Continues after what the library wrote.  Only forward and within the epoch:
 * -EINVAL otherwise (a number must never be used twice).
 */
int dtls_record_set_tx_seq8(struct dtls_record *r, uint64_t seq8);

/* Bytes in front of the plaintext on receive (where recvmmsg should put the datagram). */
uint32_t dtls_record_rx_head_len(const struct dtls_record *r);
/* Worst-case bytes the record layer puts before / after the plaintext. */
uint32_t dtls_record_max_head(void);
uint32_t dtls_record_max_tail(void);
/* The fewest bytes a protected record carries besides its plaintext (GCM's), any format. */
uint32_t dtls_record_min_overhead(void);

const struct dtls_record_stats *dtls_record_stats(const struct dtls_record *r);
/* Adds every counter of s to sum (the counters of a record layer about to be freed). */
void dtls_record_stats_add(struct dtls_record_stats *sum, const struct dtls_record_stats *s);

#endif /* ZCVPN_PROTO_DTLS_RECORD_H */
