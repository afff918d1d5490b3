/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP frames over a byte stream (PPP over TLS: the fallback for F5 and Fortinet, and
 * openconnect's nullppp).  A TLS read may hold part of a frame or several: the stream
 * gathers bytes and hands out whole frames, split by the vendor header's length (F5,
 * Fortinet) or by HDLC flags; raw RFC 1661 has no delimiter, so each read is one frame,
 * as openconnect treats it.  Sending builds the whole wire frame in the caller's buffer.
 *
 * Not a fast path: every byte is copied (the caller counts it), and that is the price
 * of a stream.  The buffer is bounded: a frame announcing more than it can hold is
 * refused, the stream resynchronises (HDLC at the next flag; a length-delimited stream
 * cannot, so it reports -EPROTO and the caller ends the session).
 */
#ifndef ZCVPN_PROTO_PPP_STREAM_H
#define ZCVPN_PROTO_PPP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ppp-frame.h"

enum {
	PPP_STREAM_MAX_FRAME = 16384,	/* the largest PPP frame taken from a stream */
	PPP_STREAM_BUF = 4 * PPP_STREAM_MAX_FRAME + 64,	/* room for an escaped frame and a read */
};

struct ppp_stream_stats {
	uint64_t rx_frames;
	uint64_t rx_bad_encap;		/* vendor header wrong (the stream is then lost) */
	uint64_t rx_bad_fcs;		/* HDLC frame refused: FCS, escapes, too short */
	uint64_t rx_oversize;		/* a frame larger than PPP_STREAM_MAX_FRAME */
	uint64_t rx_bad_header;		/* PPP header malformed */
};

struct ppp_stream {
	enum ppp_encap encap;
	uint32_t rx_accm;		/* HDLC: control characters the link may insert */
	bool broken;			/* a length-delimited stream lost its framing */
	size_t start, len;		/* unread bytes are buf[start, start + len) */
	struct ppp_stream_stats stats;
	uint8_t buf[PPP_STREAM_BUF];
};

/* Sets s up for encap (any of enum ppp_encap).  0 or -EINVAL. */
int ppp_stream_init(struct ppp_stream *s, enum ppp_encap encap);

/*
 * Room for the next read: *room bytes at the returned pointer (at least
 * PPP_STREAM_MAX_FRAME).  The caller reads into it, then calls ppp_stream_wrote.
 */
uint8_t *ppp_stream_space(struct ppp_stream *s, size_t *room);
void ppp_stream_wrote(struct ppp_stream *s, size_t n);

/*
 * The next whole frame: 1 with *proto and the information field (*info, *info_len:
 * valid until the next call on s), 0 when more bytes are needed, -EPROTO when the
 * stream is broken (counted; nothing more comes out).  Malformed frames that can be
 * skipped are counted and skipped.
 */
int ppp_stream_next(struct ppp_stream *s, uint16_t *proto, const uint8_t **info,
		    size_t *info_len);

/*
 * The whole wire form of one frame (vendor header or HDLC with accm, PPP header with the
 * given compressions, info) into out (room bytes).  Returns its length, or -EMSGSIZE.
 * For HDLC, room of ppp_stream_max_encoded(info_len) always suffices.
 */
int ppp_stream_encode(enum ppp_encap encap, uint16_t proto, bool acfc, bool pfc,
		      uint32_t accm, const uint8_t *info, size_t info_len, uint8_t *out,
		      size_t room);
size_t ppp_stream_max_encoded(size_t info_len);

#endif /* ZCVPN_PROTO_PPP_STREAM_H */
