/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP frames in and out of a byte stream (proto/ppp-stream.h).
 */
#include "config.h"

#include "proto/ppp-stream.h"

#include <errno.h>
#include <string.h>

int ppp_stream_init(struct ppp_stream *s, enum ppp_encap encap)
{
	if (!ppp_encap_valid((int)encap))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->encap = encap;
	/* TLS inserts no control characters: take every byte as it comes. */
	s->rx_accm = 0;
	return 0;
}

uint8_t *ppp_stream_space(struct ppp_stream *s, size_t *room)
{
	/* Keep a whole frame's room behind the unread bytes. */
	if (s->start && s->start + s->len + PPP_STREAM_MAX_FRAME > sizeof(s->buf)) {
		memmove(s->buf, s->buf + s->start, s->len);
		s->start = 0;
	}
	*room = sizeof(s->buf) - s->start - s->len;
	return s->buf + s->start + s->len;
}

void ppp_stream_wrote(struct ppp_stream *s, size_t n)
{
	s->len += n;
}

static void consume(struct ppp_stream *s, size_t n)
{
	s->start += n;
	s->len -= n;
	if (!s->len)
		s->start = 0;
}

/* The stream's framing is lost: nothing can be trusted after this. */
static int broken(struct ppp_stream *s)
{
	s->broken = true;
	s->len = 0;
	s->start = 0;
	return -EPROTO;
}

/* Finds the next frame's bytes: 1 and [*frame, + *frame_len), 0 need more, or -EPROTO. */
static int next_length_delimited(struct ppp_stream *s, uint8_t **frame, size_t *frame_len)
{
	uint32_t hdr = ppp_encap_header_len(s->encap), len;
	uint8_t *p = s->buf + s->start;
	int ret;

	if (s->encap == PPP_ENCAP_RFC1661) {
		/* No delimiter: one read is one frame, as openconnect sends them. */
		if (!s->len)
			return 0;
		*frame = p;
		*frame_len = s->len;
		consume(s, s->len);
		return 1;
	}
	ret = ppp_encap_parse(s->encap, p, s->len, &len);
	if (ret == -EAGAIN)
		return 0;
	if (ret) {
		s->stats.rx_bad_encap++;
		return broken(s);
	}
	if (len > PPP_STREAM_MAX_FRAME) {
		s->stats.rx_oversize++;
		return broken(s);
	}
	if (s->len < hdr + len)
		return 0;
	*frame = p + hdr;
	*frame_len = len;
	consume(s, hdr + len);
	return 1;
}

static int next_hdlc(struct ppp_stream *s, uint8_t **frame, size_t *frame_len)
{
	for (;;) {
		uint8_t *p = s->buf + s->start;
		size_t off, len, used;
		int ret;

		if (!s->len)
			return 0;
		ret = ppp_hdlc_decode(p, s->len, s->rx_accm, &off, &len, &used);
		if (ret == -EAGAIN) {
			/* No closing flag within two frames' worth: junk, not a frame. */
			if (s->len > 2 * PPP_STREAM_MAX_FRAME + 16) {
				s->stats.rx_oversize++;
				consume(s, s->len);
			}
			return 0;
		}
		if (ret) {
			s->stats.rx_bad_fcs++;
			consume(s, used ? used : 1);
			continue;
		}
		consume(s, used);
		if (!len)
			continue;
		if (len > PPP_STREAM_MAX_FRAME) {
			s->stats.rx_oversize++;
			continue;
		}
		*frame = p + off;
		*frame_len = len;
		return 1;
	}
}

int ppp_stream_next(struct ppp_stream *s, uint16_t *proto, const uint8_t **info,
		    size_t *info_len)
{
	for (;;) {
		uint8_t *frame;
		size_t len;
		uint32_t hdr;
		int ret;

		if (s->broken)
			return -EPROTO;
		ret = ppp_encap_is_hdlc(s->encap) ? next_hdlc(s, &frame, &len) :
						    next_length_delimited(s, &frame, &len);
		if (ret <= 0)
			return ret;
		if (ppp_header_parse(frame, len, proto, &hdr)) {
			s->stats.rx_bad_header++;
			continue;
		}
		s->stats.rx_frames++;
		*info = frame + hdr;
		*info_len = len - hdr;
		return 1;
	}
}

size_t ppp_stream_max_encoded(size_t info_len)
{
	size_t hdlc = ppp_hdlc_max_encoded(info_len + PPP_MAX_HEADER);
	size_t plain = PPP_FORTINET_HEADER + PPP_MAX_HEADER + info_len;

	return hdlc > plain ? hdlc : plain;
}

int ppp_stream_encode(enum ppp_encap encap, uint16_t proto, bool acfc, bool pfc,
		      uint32_t accm, const uint8_t *info, size_t info_len, uint8_t *out,
		      size_t room)
{
	uint8_t plain[PPP_MAX_HEADER + PPP_STREAM_MAX_FRAME];
	uint32_t hdr = ppp_header_len(proto, acfc, pfc);
	uint32_t vendor = ppp_encap_header_len(encap);

	if (info_len > PPP_STREAM_MAX_FRAME - PPP_MAX_HEADER)
		return -EMSGSIZE;
	if (ppp_encap_is_hdlc(encap)) {
		if (room < ppp_hdlc_max_encoded(hdr + info_len))
			return -EMSGSIZE;
		ppp_header_write(plain + hdr, proto, acfc, pfc);
		memcpy(plain + hdr, info, info_len);
		return (int)ppp_hdlc_encode(out, plain, hdr + info_len, accm);
	}
	if (room < vendor + hdr + info_len)
		return -EMSGSIZE;
	ppp_encap_write(encap, out, hdr + (uint32_t)info_len);
	ppp_header_write(out + vendor + hdr, proto, acfc, pfc);
	memcpy(out + vendor + hdr, info, info_len);
	return (int)(vendor + hdr + info_len);
}
