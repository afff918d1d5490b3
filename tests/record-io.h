/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper for the DTLS suites that pit our record layer against a library session:
 * a recognisable payload, one record protected by our layer, and one datagram opened by
 * it where recvmmsg would have put it, the plaintext checked.  Header-only, with Check
 * asserts.
 */
#ifndef ZCVPN_TESTS_RECORD_IO_H
#define ZCVPN_TESTS_RECORD_IO_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "tests/dtls-pair.h"

enum {
	RECORD_IO_HEADROOM = 64,		/* room in front of a record's plaintext */
	RECORD_IO_ROOM = MEM_WIRE_DGRAM_MAX,	/* the largest datagram */
};

/* len payload bytes that differ with salt, so one record is never taken for another. */
static inline void record_fill(uint8_t *b, uint32_t len, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + salt);
}

/* Our layer protects plain as one record of type; returns the datagram copied to dgram. */
static inline size_t record_protect(struct dtls_record *rec, const uint8_t *plain,
				    uint32_t len, uint8_t type, uint8_t *dgram)
{
	uint8_t room[RECORD_IO_HEADROOM + RECORD_IO_ROOM];
	struct pkt pkt;

	test_pkt_over(&pkt, room, sizeof(room), RECORD_IO_HEADROOM, len);
	memcpy(pkt.data, plain, len);
	ck_assert_int_eq(dtls_record_protect(rec, &pkt, type), 0);
	memcpy(dgram, pkt.data, pkt.len);
	return pkt.len;
}

/* The same for record_fill's payload as application data. */
static inline size_t record_protect_fill(struct dtls_record *rec, uint32_t len,
					 uint32_t salt, uint8_t *dgram)
{
	uint8_t plain[RECORD_IO_ROOM];

	record_fill(plain, len, salt);
	return record_protect(rec, plain, len, DTLS_CT_APPLICATION_DATA, dgram);
}

/* Our layer opens a datagram where recvmmsg would put it: record_fill's payload inside. */
static inline void record_expect_open(struct dtls_record *rec, const uint8_t *dgram,
				      size_t len, uint32_t plain_len, uint32_t salt,
				      uint32_t max_plain)
{
	uint8_t room[RECORD_IO_HEADROOM + RECORD_IO_ROOM], want[RECORD_IO_ROOM];
	struct pkt pkt;

	test_pkt_over(&pkt, room, sizeof(room),
		      RECORD_IO_HEADROOM - dtls_record_rx_head_len(rec), 0);
	memcpy(pkt_put(&pkt, (uint32_t)len), dgram, len);
	ck_assert_int_eq(dtls_record_unprotect(rec, &pkt, max_plain), DTLS_RECORD_DATA);
	record_fill(want, plain_len, salt);
	ck_assert_uint_eq(pkt.len, plain_len);
	ck_assert_mem_eq(pkt.data, want, plain_len);
}

#endif /* ZCVPN_TESTS_RECORD_IO_H */
