/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP framing, as pure functions over caller buffers (no allocation, no state): the
 * encapsulation header (none, F5, Fortinet), the PPP header with ACFC/PFC, and RFC 1662
 * HDLC-like framing with FCS-16.  The transports (over DTLS in place, over a TLS stream
 * with copies) and the tests share them.  Layouts in proto/ppp-wire.h.
 *
 * Every decoder reads only [buf, buf + len) and writes only inside it; a frame that
 * lies about its lengths is refused with an error, never read past.
 */
#ifndef ZCVPN_PROTO_PPP_FRAME_H
#define ZCVPN_PROTO_PPP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ppp-wire.h"

/* openconnect's PPP_ENCAP_* numbering, so logs compare. */
enum ppp_encap {
	PPP_ENCAP_RFC1661 = 1,		/* raw frames (nullppp); one per record/read */
	PPP_ENCAP_RFC1662_HDLC = 2,	/* HDLC-like (nullppp "hdlc") */
	PPP_ENCAP_F5 = 3,		/* F5 00 + length, raw frame */
	PPP_ENCAP_F5_HDLC = 4,		/* F5 with hdlc_framing=yes: HDLC, no F5 header */
	PPP_ENCAP_FORTINET = 5,		/* 6-byte Fortinet header, raw frame */
};

/* Bytes of the vendor header in front of the PPP frame (0 for RFC 1661 and HDLC). */
uint32_t ppp_encap_header_len(enum ppp_encap encap);
/* Whether frames are HDLC-framed. */
bool ppp_encap_is_hdlc(enum ppp_encap encap);
/* Whether the encapsulation is known (the enum above). */
bool ppp_encap_valid(int encap);

/*
 * Writes the vendor header for a PPP frame of frame_len bytes into hdr (which has
 * ppp_encap_header_len bytes).  Nothing for encapsulations without one.
 */
void ppp_encap_write(enum ppp_encap encap, uint8_t *hdr, uint32_t frame_len);

/*
 * Reads the vendor header at buf (len bytes available, borrowed).  On success sets
 * *frame_len to the PPP frame length it announces and returns 0; the frame is at
 * buf + ppp_encap_header_len.  -EAGAIN: fewer bytes than the header; -EBADMSG: wrong
 * magic, or (Fortinet) total != frame + 6.  It does not check that the frame itself has
 * arrived: a stream reader waits for it, a datagram reader requires it to fill the
 * record exactly.  Not for HDLC encapsulations (-EINVAL).
 */
int ppp_encap_parse(enum ppp_encap encap, const uint8_t *buf, size_t len,
		    uint32_t *frame_len);

/*
 * The PPP header's length for proto with the given compressions (ACFC never applies to
 * LCP, PFC only to protocols below 0x100): 1 to 4.
 */
uint32_t ppp_header_len(uint16_t proto, bool acfc, bool pfc);

/*
 * Writes the PPP header for proto so that it *ends* at end (it starts at
 * end - ppp_header_len(...)); returns its length.
 */
uint32_t ppp_header_write(uint8_t *end, uint16_t proto, bool acfc, bool pfc);

/*
 * Reads a PPP header at buf (len bytes), accepting every legal form whatever was
 * negotiated (RFC 1661: be liberal): Address/Control present or not (not allowed
 * absent on LCP), protocol in one byte or two.  Sets *proto and *hdr_len; 0, or
 * -EBADMSG (too short, FF without 03, an even last protocol byte, LCP without FF 03).
 */
int ppp_header_parse(const uint8_t *buf, size_t len, uint16_t *proto, uint32_t *hdr_len);

/* ---- RFC 1662 HDLC-like framing ------------------------------------------------------ */

/* FCS-16 over len bytes, continuing from fcs (start with PPP_FCS16_INIT). */
uint16_t ppp_fcs16(uint16_t fcs, const uint8_t *buf, size_t len);

/*
 * Whether byte c is escaped when sending under accm (bit c of the map for c < 0x20,
 * honoured bit by bit; 0x7d and 0x7e always).
 */
bool ppp_hdlc_needs_escape(uint8_t c, uint32_t accm);

/* The most bytes ppp_hdlc_encode writes for a frame of len bytes: flags, FCS, escapes. */
size_t ppp_hdlc_max_encoded(size_t len);

/*
 * Frames len bytes of src (PPP header + information) into dst: an opening flag,
 * the bytes and the FCS escaped under accm, a closing flag.  dst has room for
 * ppp_hdlc_max_encoded(len) bytes and must not overlap src.  Returns the bytes written.
 */
size_t ppp_hdlc_encode(uint8_t *dst, const uint8_t *src, size_t len, uint32_t accm);

/*
 * Finds and decodes the first HDLC frame in buf (len bytes), in place: the decoded
 * frame (PPP header + information, FCS removed) is written from the first byte after
 * the opening flag, at buf + *frame_off, *frame_len bytes.  Decoding only shrinks, so
 * it never writes outside [buf, buf + len).  A missing opening flag is tolerated (as
 * openconnect does); leading flags are skipped.  Control characters (< 0x20) whose bit
 * is set in rx_accm and that arrive unescaped were inserted by the link and are dropped
 * (RFC 1662 §7.1).
 *
 * *consumed is how many bytes of buf the frame used (up to its closing flag, which is
 * not consumed: it may open the next frame); set on every return except -EAGAIN.
 * Returns 0; -EAGAIN: no closing flag yet (a stream reader reads more; nothing was
 * changed); -EBADMSG: bad FCS, shorter than an FCS, an escape before the flag, or an
 * escaped flag; the caller skips *consumed bytes and goes on.
 */
int ppp_hdlc_decode(uint8_t *buf, size_t len, uint32_t rx_accm, size_t *frame_off,
		    size_t *frame_len, size_t *consumed);

#endif /* ZCVPN_PROTO_PPP_FRAME_H */
