/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP framing on hostile bytes (proto/ppp-frame.c, proto/ppp-stream.c): the vendor
 * encapsulation headers (F5 "F5 00 len", Fortinet "len 50 50 len", none for nullppp),
 * RFC 1662 HDLC deframing (flags, escapes, the receive ACCM, FCS-16) and the PPP header
 * with or without Address/Control and a one-byte protocol.
 *
 * The first byte picks the encapsulation (bits 0-2, modulo the five of enum ppp_encap),
 * the receive ACCM for HDLC (bit 3: none or all of C0) and the mode (bit 4):
 *  - records: up to 16 records, each a 16-bit length and its bytes, decoded in place as
 *    a datagram transport does (a vendor header whose frame must fill the record, or
 *    every HDLC frame in it), each in a buffer of its exact size so ASan sees any byte
 *    read or written outside it.  Every HDLC frame decoded is encoded again and must
 *    decode to the same bytes;
 *  - stream: the rest is a TLS byte stream into one struct ppp_stream, cut into reads of
 *    the sizes the next bytes say (each a 16-bit length, then its bytes), every frame
 *    handed out checked to lie inside the stream's buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-frame.h"
#include "proto/ppp-stream.h"
#include "tests/fuzz/fuzz.h"

enum {
	MAX_RECORDS = 16,
	MAX_RECORD = 4096,
	MAX_READS = 64,
	MAX_FRAMES = 4096,
};

static void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		abort();
	return p;
}

/* A PPP header and information: the header must lie inside the frame. */
static void parse_header(const uint8_t *frame, size_t len)
{
	uint16_t proto;
	uint32_t hdr_len;

	if (ppp_header_parse(frame, len, &proto, &hdr_len) == 0 &&
	    (hdr_len < 1 || hdr_len > PPP_MAX_HEADER || hdr_len > len || !(proto & 1)))
		abort();
}

/* An HDLC frame decoded from the wire, framed again under accm: the same bytes back. */
static void hdlc_round_trip(const uint8_t *frame, size_t len, uint32_t accm)
{
	size_t max = ppp_hdlc_max_encoded(len), enc_len, off, out_len, used;
	uint8_t *enc = xmalloc(max);

	enc_len = ppp_hdlc_encode(enc, frame, len, accm);
	if (enc_len > max)
		abort();
	/* The encoder escapes every byte the receiver would drop: decode with accm too. */
	if (ppp_hdlc_decode(enc, enc_len, accm, &off, &out_len, &used) ||
	    out_len != len || off + out_len > enc_len || used != enc_len - 1 ||
	    memcmp(enc + off, frame, len))
		abort();
	free(enc);
}

static void one_record(enum ppp_encap encap, uint32_t rx_accm, const uint8_t *data,
		       size_t len)
{
	uint8_t *rec = xmalloc(len);
	size_t pos = 0;

	memcpy(rec, data, len);
	if (!ppp_encap_is_hdlc(encap)) {
		uint32_t hdr = ppp_encap_header_len(encap), frame_len;

		/* A datagram's frame fills its record exactly, as ppp-dtls.c requires. */
		if (ppp_encap_parse(encap, rec, len, &frame_len) == 0 && hdr + frame_len == len)
			parse_header(rec + hdr, frame_len);
		free(rec);
		return;
	}
	while (pos < len) {
		size_t off, frame_len, used;
		int ret = ppp_hdlc_decode(rec + pos, len - pos, rx_accm, &off, &frame_len, &used);

		if (ret == -EAGAIN)
			break;
		if (used > len - pos || (ret == 0 && off + frame_len > used))
			abort();
		if (ret == 0) {
			parse_header(rec + pos + off, frame_len);
			hdlc_round_trip(rec + pos + off, frame_len, rx_accm);
		}
		/* The closing flag is left for the next frame: step over it ourselves. */
		pos += used ? used : 1;
	}
	free(rec);
}

static void records(enum ppp_encap encap, uint32_t rx_accm, struct fuzz_input *in)
{
	for (int n = 0; n < MAX_RECORDS && in->size; n++) {
		size_t len = fuzz_u16(in) % MAX_RECORD;

		if (len > in->size)
			len = in->size;
		one_record(encap, rx_accm, in->data, len);
		in->data += len;
		in->size -= len;
	}
}

static void stream(enum ppp_encap encap, uint32_t rx_accm, struct fuzz_input *in)
{
	static struct ppp_stream s;
	size_t frames = 0;

	if (ppp_stream_init(&s, encap))
		abort();
	s.rx_accm = rx_accm;
	for (int n = 0; n < MAX_READS && in->size; n++) {
		size_t want = fuzz_u16(in), room;
		uint8_t *space = ppp_stream_space(&s, &room);
		const uint8_t *info;
		size_t info_len;
		uint16_t proto;
		int ret;

		if (!space || room < PPP_STREAM_MAX_FRAME || space < s.buf ||
		    space + room > s.buf + sizeof(s.buf))
			abort();
		if (want > room)
			want = room;
		if (want > in->size)
			want = in->size;
		memcpy(space, in->data, want);
		ppp_stream_wrote(&s, want);
		in->data += want;
		in->size -= want;
		while ((ret = ppp_stream_next(&s, &proto, &info, &info_len)) == 1) {
			if (info < s.buf || info_len > PPP_STREAM_MAX_FRAME ||
			    info + info_len > s.buf + sizeof(s.buf) || !(proto & 1))
				abort();
			/* Stop whole, not with frames left unread (the room check above). */
			if (++frames >= MAX_FRAMES)
				return;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	enum ppp_encap encap = (enum ppp_encap)(PPP_ENCAP_RFC1661 + (mode & 7) % 5);
	uint32_t rx_accm = mode & 8 ? PPP_ACCM_DEFAULT : 0;

	if (mode & 16)
		stream(encap, rx_accm, &in);
	else
		records(encap, rx_accm, &in);
	return 0;
}
