/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP on the wire: protocol numbers, control-protocol codes and option types (RFC 1661,
 * 1662, 1332, 1877, 5072), and the two vendor encapsulations openconnect speaks (F5,
 * Fortinet).  Layouts only: the code that reads and writes them is ppp-frame.c
 * (headers, HDLC) and the control protocols (ppp-fsm.c, ppp-lcp.c, ppp-ipcp.c,
 * ppp-ip6cp.c).
 *
 *   PPP frame      = [FF 03] protocol(1 or 2) information
 *                    (FF 03 omitted with ACFC, never on LCP; protocol in one byte with
 *                    PFC when it is below 0x100; a protocol's last byte is odd)
 *   control packet = code(1) id(1) length(BE16, the whole packet) data
 *   option         = type(1) length(1, the whole option, >= 2) value
 *
 *   F5             = F5 00 | BE16 PPP frame length | PPP frame
 *   Fortinet       = BE16 total length (frame + 6) | 50 50 | BE16 frame length | frame
 *   HDLC (1662)    = 7E | escaped(frame | FCS-16 little-endian, complemented) | 7E
 */
#ifndef ZCVPN_PROTO_PPP_WIRE_H
#define ZCVPN_PROTO_PPP_WIRE_H

#include <stdint.h>

/* Protocol field values. */
enum ppp_protocol {
	PPP_PROTO_IPV4 = 0x0021,
	PPP_PROTO_IPV6 = 0x0057,
	PPP_PROTO_LCP = 0xc021,
	PPP_PROTO_PAP = 0xc023,
	PPP_PROTO_CHAP = 0xc223,
	PPP_PROTO_IPCP = 0x8021,
	PPP_PROTO_IP6CP = 0x8057,
	PPP_PROTO_CCP = 0x80fd,
};

/* Address and Control (ACFC omits them). */
#define PPP_ADDRESS_ALL_STATIONS 0xff
#define PPP_CONTROL_UI 0x03

/* The longest PPP header: FF 03 and a two-byte protocol. */
#define PPP_MAX_HEADER 4

/* Control-protocol codes (LCP has them all; IPCP and IP6CP only 1..7). */
enum ppp_code {
	PPP_CONF_REQ = 1,
	PPP_CONF_ACK = 2,
	PPP_CONF_NAK = 3,
	PPP_CONF_REJ = 4,
	PPP_TERM_REQ = 5,
	PPP_TERM_ACK = 6,
	PPP_CODE_REJ = 7,
	PPP_PROTO_REJ = 8,	/* LCP only, as are the rest */
	PPP_ECHO_REQ = 9,
	PPP_ECHO_REPLY = 10,
	PPP_DISCARD_REQ = 11,
};

#define PPP_CP_HEADER 4		/* code, id, length */
#define PPP_OPT_HEADER 2	/* type, length */

/* LCP options (RFC 1661 §6, RFC 1662 §7.1). */
enum ppp_lcp_option {
	PPP_LCP_MRU = 1,	/* BE16 */
	PPP_LCP_ACCM = 2,	/* BE32 async control character map */
	PPP_LCP_AUTH = 3,
	PPP_LCP_QUALITY = 4,
	PPP_LCP_MAGIC = 5,	/* BE32 */
	PPP_LCP_PFC = 7,	/* no value */
	PPP_LCP_ACFC = 8,	/* no value */
};

/* IPCP options (RFC 1332, RFC 1877). */
enum ppp_ipcp_option {
	PPP_IPCP_ADDRESSES = 1,	/* deprecated */
	PPP_IPCP_COMPRESS = 2,	/* Van Jacobson: always rejected */
	PPP_IPCP_ADDRESS = 3,	/* 4 bytes */
	PPP_IPCP_DNS1 = 129,
	PPP_IPCP_NBNS1 = 130,
	PPP_IPCP_DNS2 = 131,
	PPP_IPCP_NBNS2 = 132,
};

/* IP6CP options (RFC 5072). */
enum ppp_ip6cp_option {
	PPP_IP6CP_IFID = 1,	/* 8-byte interface identifier */
	PPP_IP6CP_COMPRESS = 2,
};

#define PPP_DEFAULT_MRU 1500
#define PPP_MIN_MRU 128		/* below this we refuse a peer's MRU (Nak with ours) */

/* RFC 1662 HDLC-like framing. */
#define PPP_HDLC_FLAG 0x7e
#define PPP_HDLC_ESCAPE 0x7d
#define PPP_HDLC_TRANS 0x20	/* an escaped byte is XORed with this */
#define PPP_FCS16_INIT 0xffff
#define PPP_FCS16_GOOD 0xf0b8	/* the residue over frame + FCS when the FCS is right */
#define PPP_FCS_LEN 2
#define PPP_ACCM_DEFAULT 0xffffffffu	/* before LCP agrees on one, and always for LCP */

/* F5's header: magic F5 00, then the PPP frame's length. */
#define PPP_F5_MAGIC 0xf500
#define PPP_F5_HEADER 4

/* Fortinet's: total length, magic 50 50, the frame's length. */
#define PPP_FORTINET_MAGIC 0x5050
#define PPP_FORTINET_HEADER 6

#endif /* ZCVPN_PROTO_PPP_WIRE_H */
