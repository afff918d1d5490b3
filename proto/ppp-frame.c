/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP framing as pure functions over caller buffers: the F5 and Fortinet encapsulation
 * headers, the PPP header with ACFC/PFC, and RFC 1662 HDLC-like framing with FCS-16
 * (encoding into a separate buffer, decoding in place).
 */
#include "config.h"

#include "proto/ppp-frame.h"

#include <errno.h>
#include <string.h>

#include "src/util/byteorder.h"

/* ---- encapsulation headers -------------------------------------------------------- */

uint32_t ppp_encap_header_len(enum ppp_encap encap)
{
	switch (encap) {
	case PPP_ENCAP_F5:
		return PPP_F5_HEADER;
	case PPP_ENCAP_FORTINET:
		return PPP_FORTINET_HEADER;
	default:
		return 0;
	}
}

bool ppp_encap_is_hdlc(enum ppp_encap encap)
{
	return encap == PPP_ENCAP_RFC1662_HDLC || encap == PPP_ENCAP_F5_HDLC;
}

bool ppp_encap_valid(int encap)
{
	return encap >= PPP_ENCAP_RFC1661 && encap <= PPP_ENCAP_FORTINET;
}

/* The lengths are BE16 on the wire: callers bound frames by the MRU, far below that. */
void ppp_encap_write(enum ppp_encap encap, uint8_t *hdr, uint32_t frame_len)
{
	switch (encap) {
	case PPP_ENCAP_F5:
		put_be16(hdr, PPP_F5_MAGIC);
		put_be16(hdr + 2, (uint16_t)frame_len);
		break;
	case PPP_ENCAP_FORTINET:
		put_be16(hdr, (uint16_t)(frame_len + PPP_FORTINET_HEADER));
		put_be16(hdr + 2, PPP_FORTINET_MAGIC);
		put_be16(hdr + 4, (uint16_t)frame_len);
		break;
	default:
		break;
	}
}

static int f5_parse(const uint8_t *buf, size_t len, uint32_t *frame_len)
{
	if (len < PPP_F5_HEADER)
		return -EAGAIN;
	if (get_be16(buf) != PPP_F5_MAGIC)
		return -EBADMSG;
	*frame_len = get_be16(buf + 2);
	return 0;
}

static int fortinet_parse(const uint8_t *buf, size_t len, uint32_t *frame_len)
{
	uint32_t total, frame;

	if (len < PPP_FORTINET_HEADER)
		return -EAGAIN;
	if (get_be16(buf + 2) != PPP_FORTINET_MAGIC)
		return -EBADMSG;
	/* In 32 bits: a frame of 0xfffa or more must not match a total that wrapped. */
	total = get_be16(buf);
	frame = get_be16(buf + 4);
	if (total != frame + PPP_FORTINET_HEADER)
		return -EBADMSG;
	*frame_len = frame;
	return 0;
}

int ppp_encap_parse(enum ppp_encap encap, const uint8_t *buf, size_t len,
		    uint32_t *frame_len)
{
	switch (encap) {
	case PPP_ENCAP_RFC1661:
		/* No header: the record or read is the frame. */
		if (len > UINT32_MAX)
			return -EBADMSG;
		*frame_len = (uint32_t)len;
		return 0;
	case PPP_ENCAP_F5:
		return f5_parse(buf, len, frame_len);
	case PPP_ENCAP_FORTINET:
		return fortinet_parse(buf, len, frame_len);
	default:
		return -EINVAL;	/* HDLC has flags, not a header; or no encapsulation at all */
	}
}

/* ---- PPP header ------------------------------------------------------------------- */

static bool has_address(uint16_t proto, bool acfc)
{
	return !acfc || proto == PPP_PROTO_LCP;
}

static bool short_protocol(uint16_t proto, bool pfc)
{
	return pfc && proto < 0x100;
}

uint32_t ppp_header_len(uint16_t proto, bool acfc, bool pfc)
{
	return (has_address(proto, acfc) ? 2 : 0) + (short_protocol(proto, pfc) ? 1 : 2);
}

uint32_t ppp_header_write(uint8_t *end, uint16_t proto, bool acfc, bool pfc)
{
	uint32_t len = ppp_header_len(proto, acfc, pfc);
	uint8_t *p = end - len;

	if (has_address(proto, acfc)) {
		*p++ = PPP_ADDRESS_ALL_STATIONS;
		*p++ = PPP_CONTROL_UI;
	}
	if (short_protocol(proto, pfc))
		*p = (uint8_t)proto;
	else
		put_be16(p, proto);
	return len;
}

/*
 * RFC 1661 §2: a protocol's first byte is even and its last odd, so an odd first byte is
 * a compressed one-byte protocol.  FF is odd, and 0x00ff is reserved, so a leading FF is
 * always the Address field.
 */
int ppp_header_parse(const uint8_t *buf, size_t len, uint16_t *proto, uint32_t *hdr_len)
{
	bool address = len && buf[0] == PPP_ADDRESS_ALL_STATIONS;
	uint32_t off = 0;
	uint16_t p;

	if (address) {
		if (len < 2 || buf[1] != PPP_CONTROL_UI)
			return -EBADMSG;
		off = 2;
	}
	if (off >= len)
		return -EBADMSG;
	if (buf[off] & 1) {
		p = buf[off];
		off += 1;
	} else {
		if (off + 1 >= len || !(buf[off + 1] & 1))
			return -EBADMSG;
		p = get_be16(buf + off);
		off += 2;
	}
	/* LCP must be readable before anything is negotiated: never without FF 03. */
	if (p == PPP_PROTO_LCP && !address)
		return -EBADMSG;
	*proto = p;
	*hdr_len = off;
	return 0;
}

/* ---- RFC 1662 HDLC-like framing --------------------------------------------------- */

/* RFC 1662 §C.2's table for the reflected polynomial 0x8408, as its generator prints it. */
static const uint16_t fcstab[256] = {
	0x0000, 0x1189, 0x2312, 0x329b, 0x4624, 0x57ad, 0x6536, 0x74bf,
	0x8c48, 0x9dc1, 0xaf5a, 0xbed3, 0xca6c, 0xdbe5, 0xe97e, 0xf8f7,
	0x1081, 0x0108, 0x3393, 0x221a, 0x56a5, 0x472c, 0x75b7, 0x643e,
	0x9cc9, 0x8d40, 0xbfdb, 0xae52, 0xdaed, 0xcb64, 0xf9ff, 0xe876,
	0x2102, 0x308b, 0x0210, 0x1399, 0x6726, 0x76af, 0x4434, 0x55bd,
	0xad4a, 0xbcc3, 0x8e58, 0x9fd1, 0xeb6e, 0xfae7, 0xc87c, 0xd9f5,
	0x3183, 0x200a, 0x1291, 0x0318, 0x77a7, 0x662e, 0x54b5, 0x453c,
	0xbdcb, 0xac42, 0x9ed9, 0x8f50, 0xfbef, 0xea66, 0xd8fd, 0xc974,
	0x4204, 0x538d, 0x6116, 0x709f, 0x0420, 0x15a9, 0x2732, 0x36bb,
	0xce4c, 0xdfc5, 0xed5e, 0xfcd7, 0x8868, 0x99e1, 0xab7a, 0xbaf3,
	0x5285, 0x430c, 0x7197, 0x601e, 0x14a1, 0x0528, 0x37b3, 0x263a,
	0xdecd, 0xcf44, 0xfddf, 0xec56, 0x98e9, 0x8960, 0xbbfb, 0xaa72,
	0x6306, 0x728f, 0x4014, 0x519d, 0x2522, 0x34ab, 0x0630, 0x17b9,
	0xef4e, 0xfec7, 0xcc5c, 0xddd5, 0xa96a, 0xb8e3, 0x8a78, 0x9bf1,
	0x7387, 0x620e, 0x5095, 0x411c, 0x35a3, 0x242a, 0x16b1, 0x0738,
	0xffcf, 0xee46, 0xdcdd, 0xcd54, 0xb9eb, 0xa862, 0x9af9, 0x8b70,
	0x8408, 0x9581, 0xa71a, 0xb693, 0xc22c, 0xd3a5, 0xe13e, 0xf0b7,
	0x0840, 0x19c9, 0x2b52, 0x3adb, 0x4e64, 0x5fed, 0x6d76, 0x7cff,
	0x9489, 0x8500, 0xb79b, 0xa612, 0xd2ad, 0xc324, 0xf1bf, 0xe036,
	0x18c1, 0x0948, 0x3bd3, 0x2a5a, 0x5ee5, 0x4f6c, 0x7df7, 0x6c7e,
	0xa50a, 0xb483, 0x8618, 0x9791, 0xe32e, 0xf2a7, 0xc03c, 0xd1b5,
	0x2942, 0x38cb, 0x0a50, 0x1bd9, 0x6f66, 0x7eef, 0x4c74, 0x5dfd,
	0xb58b, 0xa402, 0x9699, 0x8710, 0xf3af, 0xe226, 0xd0bd, 0xc134,
	0x39c3, 0x284a, 0x1ad1, 0x0b58, 0x7fe7, 0x6e6e, 0x5cf5, 0x4d7c,
	0xc60c, 0xd785, 0xe51e, 0xf497, 0x8028, 0x91a1, 0xa33a, 0xb2b3,
	0x4a44, 0x5bcd, 0x6956, 0x78df, 0x0c60, 0x1de9, 0x2f72, 0x3efb,
	0xd68d, 0xc704, 0xf59f, 0xe416, 0x90a9, 0x8120, 0xb3bb, 0xa232,
	0x5ac5, 0x4b4c, 0x79d7, 0x685e, 0x1ce1, 0x0d68, 0x3ff3, 0x2e7a,
	0xe70e, 0xf687, 0xc41c, 0xd595, 0xa12a, 0xb0a3, 0x8238, 0x93b1,
	0x6b46, 0x7acf, 0x4854, 0x59dd, 0x2d62, 0x3ceb, 0x0e70, 0x1ff9,
	0xf78f, 0xe606, 0xd49d, 0xc514, 0xb1ab, 0xa022, 0x92b9, 0x8330,
	0x7bc7, 0x6a4e, 0x58d5, 0x495c, 0x3de3, 0x2c6a, 0x1ef1, 0x0f78,
};

static inline uint16_t fcs16_byte(uint16_t fcs, uint8_t c)
{
	return (uint16_t)(fcs >> 8 ^ fcstab[(fcs ^ c) & 0xff]);
}

uint16_t ppp_fcs16(uint16_t fcs, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fcs = fcs16_byte(fcs, buf[i]);
	return fcs;
}

/* Bit by bit: a peer may ask for only XON/XOFF, say, and the rest of C0 goes out raw. */
bool ppp_hdlc_needs_escape(uint8_t c, uint32_t accm)
{
	if (c == PPP_HDLC_FLAG || c == PPP_HDLC_ESCAPE)
		return true;
	return c < 0x20 && (accm >> c & 1);
}

/* Every byte of the frame and of the FCS escaped, and the two flags. */
size_t ppp_hdlc_max_encoded(size_t len)
{
	return 2 * (len + PPP_FCS_LEN) + 2;
}

static uint8_t *put_escaped(uint8_t *p, uint8_t c, uint32_t accm)
{
	if (ppp_hdlc_needs_escape(c, accm)) {
		*p++ = PPP_HDLC_ESCAPE;
		c ^= PPP_HDLC_TRANS;
	}
	*p++ = c;
	return p;
}

size_t ppp_hdlc_encode(uint8_t *dst, const uint8_t *src, size_t len, uint32_t accm)
{
	uint16_t fcs = PPP_FCS16_INIT;
	uint8_t *p = dst;

	*p++ = PPP_HDLC_FLAG;
	for (size_t i = 0; i < len; i++) {
		fcs = fcs16_byte(fcs, src[i]);
		p = put_escaped(p, src[i], accm);
	}
	/* Complemented and least significant byte first, so the receiver's residue is fixed. */
	fcs ^= 0xffff;
	p = put_escaped(p, (uint8_t)fcs, accm);
	p = put_escaped(p, (uint8_t)(fcs >> 8), accm);
	*p++ = PPP_HDLC_FLAG;
	return (size_t)(p - dst);
}

static bool link_inserted(uint8_t c, uint32_t rx_accm)
{
	return c < 0x20 && (rx_accm >> c & 1);
}

/*
 * Unescapes [start, end) onto itself from start, dropping the control characters the
 * link inserted (RFC 1662 §4.2: before anything else, so even between an escape and the
 * byte it escapes), and checks the FCS.  Every byte written was read first, so the
 * write position never passes the read position.
 */
static int unescape(uint8_t *start, const uint8_t *end, uint32_t rx_accm, size_t *out_len)
{
	uint16_t fcs = PPP_FCS16_INIT;
	bool escaped = false;
	uint8_t *out = start;

	for (const uint8_t *in = start; in < end; in++) {
		uint8_t c = *in;

		if (link_inserted(c, rx_accm))
			continue;
		if (escaped) {
			c ^= PPP_HDLC_TRANS;
			escaped = false;
		} else if (c == PPP_HDLC_ESCAPE) {
			escaped = true;
			continue;
		}
		fcs = fcs16_byte(fcs, c);
		*out++ = c;
	}
	/* 7D 7E is RFC 1662's abort sequence; a frame cut after an escape is no better. */
	if (escaped)
		return -EBADMSG;
	*out_len = (size_t)(out - start);
	if (*out_len < PPP_FCS_LEN || fcs != PPP_FCS16_GOOD)
		return -EBADMSG;
	return 0;
}

int ppp_hdlc_decode(uint8_t *buf, size_t len, uint32_t rx_accm, size_t *frame_off,
		    size_t *frame_len, size_t *consumed)
{
	const uint8_t *close;
	size_t start = 0, n;
	int ret;

	while (start < len && buf[start] == PPP_HDLC_FLAG)
		start++;
	/* Find the end before touching anything: -EAGAIN must leave buf as it was. */
	close = start < len ? memchr(buf + start, PPP_HDLC_FLAG, len - start) : NULL;
	if (!close)
		return -EAGAIN;
	/* The closing flag stays: it may also open the next frame. */
	*consumed = (size_t)(close - buf);
	ret = unescape(buf + start, close, rx_accm, &n);
	if (ret < 0)
		return ret;
	*frame_off = start;
	*frame_len = n - PPP_FCS_LEN;
	return 0;
}
