#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed inputs of the harnesses in tests/fuzz/ into corpus/NAME/seed-*.

The seeds are committed; run this again only when a harness's input format changes:
    python3 tests/fuzz/seeds.py tests/fuzz/corpus
Each harness's format is described at the top of its fuzz_NAME.c.
"""
import os
import struct
import sys


def ipv4_packet(payload_len, proto=17):
    total = 20 + payload_len
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, 1, 0, 64, proto, 0,
                      bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr + bytes((i * 7) & 0xff for i in range(payload_len))


def ipv6_packet(payload_len):
    hdr = struct.pack('!IHBB16s16s', 0x60000000, payload_len, 17, 64,
                      bytes(15) + b'\x01', bytes(15) + b'\x02')
    return hdr + bytes((i * 5) & 0xff for i in range(payload_len))


def esp_plaintext(inner, next_header, block):
    """The inner packet, RFC 4303 padding 1, 2, 3..., pad length, next header."""
    pad = (-(len(inner) + 2)) % block
    return inner + bytes(range(1, pad + 1)) + bytes([pad, next_header])


def esp_seeds():
    seeds = {}
    for suite in range(4):
        gcm = suite < 2
        block = 4 if gcm else 16
        for sealed in (0, 4):
            for window in (0, 8):
                mode = suite | sealed | window
                dgrams = []
                for seq, inner, nh in ((1, ipv4_packet(64), 4), (2, ipv6_packet(100), 41),
                                       (2, ipv4_packet(1400), 4), (70, ipv4_packet(0), 4),
                                       (3, ipv4_packet(10), 41)):
                    body = struct.pack('!I', seq) + esp_plaintext(inner, nh, block)
                    if not sealed:
                        # Not authentic, but shaped like ESP: SPI, seq, IV and the rest.
                        body = struct.pack('!II', 0x1000a, seq) + bytes(16) + body[4:] + bytes(16)
                    dgrams.append(struct.pack('!H', len(body)) + body)
                seeds['suite%d-%s-w%d' % (suite, 'sealed' if sealed else 'raw', window)] = \
                    bytes([mode]) + b''.join(dgrams)
    seeds['probe'] = bytes([0, 0, 1, 0xff])
    seeds['short'] = bytes([4, 0, 3, 0, 0, 0])
    return seeds


def stf(ptype, payload):
    return b'STF\x01' + struct.pack('!HBB', len(payload), ptype, 0) + payload


CONNECT_HEAD = (b'HTTP/1.1 200 CONNECTED\r\n'
                b'X-CSTP-Version: 1\r\n'
                b'X-CSTP-Address: 192.168.1.191\r\n'
                b'X-CSTP-Netmask: 255.255.255.0\r\n'
                b'X-CSTP-Address-IP6: fd91:6d87:7341:db6a::5/64\r\n'
                b'X-CSTP-DNS: 192.168.1.1\r\n'
                b'X-CSTP-Split-Include: 10.0.0.0/255.0.0.0\r\n'
                b'X-CSTP-Split-Include-IP6: fd00::/8\r\n'
                b'X-CSTP-Split-Exclude: 10.1.0.0/16\r\n'
                b'X-CSTP-Default-Domain: example.com\r\n'
                b'X-CSTP-MTU: 1406\r\n'
                b'X-CSTP-DPD: 90\r\n'
                b'X-CSTP-Keepalive: 32\r\n'
                b'X-CSTP-Rekey-Time: 172800\r\n'
                b'X-CSTP-Rekey-Method: ssl\r\n'
                b'X-DTLS-Session-ID: ' + b'ab' * 32 + b'\r\n'
                b'X-DTLS-Port: 443\r\n'
                b'X-DTLS-MTU: 1434\r\n'
                b'X-DTLS-DPD: 90\r\n'
                b'X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n'
                b'X-DTLS-App-ID: ' + b'cd' * 32 + b'\r\n'
                b'X-DTLS-Rekey-Time: 172810\r\n'
                b'X-DTLS-Rekey-Method: new-tunnel\r\n'
                b'\r\n')


def cstp_seeds():
    stream = (stf(0x00, ipv4_packet(64)) + stf(0x03, b'') + stf(0x04, b'') +
              stf(0x07, b'') + stf(0x00, ipv6_packet(1300)) + stf(0x05, b'\x00\x00\x00\x00'))
    form = (b'<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="auth-request">'
            b'<auth id="main"><form method="post" action="/auth"><input type="text" name="username"/>'
            b'<input type="password" name="password"/></form></auth></config-auth>')
    body_head = (b'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n'
                 b'Set-Cookie: webvpn=abc; Secure\r\n\r\n' % len(form))
    return {
        'connect-whole': bytes([0]) + CONNECT_HEAD + stream,
        'connect-bytes': bytes([1]) + CONNECT_HEAD + stream,
        'connect-records': bytes([3]) + CONNECT_HEAD + stream + stf(0x00, bytes(16384)),
        'connect-long-stf': bytes([0]) + CONNECT_HEAD + b'STF\x01\x40\x01\x00\x00' + bytes(100),
        'form-whole': bytes([4]) + body_head + form,
        'form-sevens': bytes([6]) + body_head + form,
        'refused': bytes([0]) + b'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n',
    }


def dtls_sealed_body(fmt, seq, inner, pad=None):
    """A sealed-mode body of fuzz_dtls_record: seq, then (CBC) n, plaintext, padding."""
    body = seq.to_bytes(6, 'big')
    if fmt < 2:
        return body + inner
    etm = fmt in (4, 5)
    used = len(inner) + (0 if etm else 20) + 1
    if pad is None:
        pad = (-used) % 16
    return body + struct.pack('!H', len(inner)) + inner + bytes([pad]) * (pad + 1)


def dtls_record_seeds():
    seeds = {}
    for fmt in range(8):
        version = b'\x01\x00' if fmt >= 6 else b'\xfe\xfd'
        gcm = fmt < 2
        for sealed in (0, 8):
            mode = fmt | sealed | (16 if fmt & 1 else 0)
            dgrams = []
            big_pad = 255 - ((50 + 1 + (0 if fmt in (4, 5) else 20) + 255) % 16)
            for seq, inner, pad in ((5, ipv4_packet(64), None), (6, ipv6_packet(100), None),
                                    (6, ipv4_packet(10), None), (7, ipv4_packet(0), None),
                                    (3, ipv4_packet(20), None), (8, ipv4_packet(30), big_pad),
                                    (9, b'\x00' + ipv4_packet(40), 0),
                                    (200, ipv4_packet(1300), None)):
                if sealed:
                    body = dtls_sealed_body(fmt, seq, inner, pad)
                else:
                    # Not authentic, but shaped like a record: header, nonce or IV, blocks.
                    rest = bytes(8 if gcm else 16) + inner
                    rest += bytes(16 if gcm else (-len(rest)) % 16 + (20 if fmt in (4, 5) else 32))
                    body = (b'\x17' + version + struct.pack('!HHI', 1, seq >> 32, seq & 0xffffffff) +
                            struct.pack('!H', len(rest)) + rest)
                dgrams.append(struct.pack('!H', len(body)) + body)
            if not sealed:
                alert = b'\x15' + version + bytes([0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40])
                dgrams.append(struct.pack('!H', len(alert)) + alert)
            seeds['fmt%d-%s' % (fmt, 'sealed' if sealed else 'raw')] = bytes([mode]) + b''.join(dgrams)
    seeds['small-room'] = bytes([0x28]) + b''.join(
        struct.pack('!H', len(b)) + b for b in (dtls_sealed_body(0, 5, ipv4_packet(300)),
                                                 dtls_sealed_body(0, 6, ipv4_packet(100))))
    seeds['small-room-cbc'] = bytes([0x2a]) + b''.join(
        struct.pack('!H', len(b)) + b for b in (dtls_sealed_body(2, 5, ipv4_packet(300)),
                                                 dtls_sealed_body(2, 6, ipv4_packet(100))))
    seeds['short'] = bytes([0, 0, 5, 0x17, 0xfe, 0xfd, 0, 1])
    return seeds


def cisco_seeds():
    def steps(items):
        return b''.join(bytes([step]) + struct.pack('!H', len(d)) + d for step, d in items)

    sealed = [(0, b'\x00' + ipv4_packet(64)), (1, b'\x03' + bytes(range(32))),
              (0, b'\x04'), (0, b'\x07'), (2, b'\x00' + ipv6_packet(200)),
              (0, b'\x08' + bytes(20)), (0, b'\x02abc'), (0, b''), (0, b'\x00'),
              (0, b'\x03' + bytes(1300)), (0, b'\x00' + ipv4_packet(1380)),
              (3, b'\x05\xb0')]
    rec = lambda ct, epoch, seq, body: (bytes([ct]) + b'\xfe\xfd' + struct.pack('!HHI', epoch, 0, seq) +
                                        struct.pack('!H', len(body)) + body)
    raw = [(0, rec(23, 1, 9, bytes(8) + ipv4_packet(40) + bytes(16))),
           (0, rec(21, 1, 10, bytes(8) + b'\x02\x28' + bytes(16))),
           (0, rec(22, 0, 3, b'\x01' + bytes(11) + b'\xfe\xfd' + bytes(32) + b'\x00')),
           (0, rec(20, 1, 11, b'\x01')), (0, b'\x17\xfe'), (0, bytes(13))]
    seeds = {}
    for suite in range(4):
        seeds['suite%d-sealed' % suite] = bytes([4 | suite]) + steps(sealed)
        seeds['suite%d-raw' % suite] = bytes([suite]) + steps(raw)
    seeds['timers'] = bytes([4 | 8]) + steps([(30, b'\x00' + ipv4_packet(20)), (60, b'\x07'),
                                              (120, b'\x03'), (255, b'\x04')])
    seeds['small-mtu'] = bytes([4 | 16 | 2]) + steps([(0, b'\x00' + ipv4_packet(100)),
                                                      (0, b'\x03' + bytes(120)),
                                                      (0, b'\x00' + ipv4_packet(60))])
    seeds['term-server'] = bytes([5]) + steps([(0, b'\x09'), (0, b'\x00' + ipv4_packet(10))])
    return seeds


def tcp_gso_packet(v6, payload_len, opts=True, flags=0x18):
    """An IPv4 or IPv6 TCP packet as a TSO read gives it: one header, many segments' payload."""
    options = b'\x01\x01\x08\x0a' + struct.pack('!II', 1000, 2000) if opts else b''
    options += bytes((-len(options)) % 4)
    tcp = struct.pack('!HHIIBBHHH', 40000, 443, 0x11223344, 0x55667788,
                      (20 + len(options)) // 4 << 4, flags, 65535, 0, 0) + options
    payload = bytes((i * 13) & 0xff for i in range(payload_len))
    if v6:
        ip = struct.pack('!IHBB16s16s', 0x60000000, len(tcp) + payload_len, 6, 64,
                         bytes(15) + b'\x01', bytes(15) + b'\x02')
    else:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, (20 + len(tcp) + payload_len) & 0xffff, 7,
                         0x4000, 64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return ip + tcp + payload


def tun_tso_seeds():
    def seed(mode, nrecs, gso_type, gso_size, pkt, plan=b''):
        return (bytes([mode]) + plan + bytes([nrecs - 1, gso_type, 1]) +
                struct.pack('!HHHH', gso_size, 0, 0, 16) + pkt)

    v4, v6 = 1, 4
    return {
        'fit': seed(0, 8, v4, 1348, tcp_gso_packet(False, 3 * 1348)),
        'fit-tail': seed(1, 8, v4, 1448, tcp_gso_packet(False, 2 * 1448 + 100)),
        'fit-ecn-fin': seed(1, 4, v4 | 0x80, 1448, tcp_gso_packet(False, 3 * 1448 - 7, flags=0xc1)),
        'other-mss': seed(0, 8, v4, 1448, tcp_gso_packet(False, 3 * 1448)),
        'spill': seed(0, 2, v4, 1348, tcp_gso_packet(False, 5 * 1348)),
        'v6-own-plan': seed(0, 8, v6, 1348, tcp_gso_packet(True, 2 * 1348 + 1)),
        'v6-fit': seed(8, 8, v6, 1348, tcp_gso_packet(True, 4 * 1348), plan=bytes([32, 5, 67])),
        'tiny-mss': seed(2, 64, v4, 1, tcp_gso_packet(False, 20, opts=False)),
        'headers-past-first': seed(3, 64, v6, 3, tcp_gso_packet(True, 30)),
        'big': seed(1, 45, v4, 1448, tcp_gso_packet(False, 44 * 1448)),
        'not-tcp': seed(0, 8, 3, 1348, ipv4_packet(2000)),
        'no-gso': seed(0, 1, 0, 0, tcp_gso_packet(False, 100)),
    }


def tun_gro_seeds():
    def pkts(items):
        return b''.join(struct.pack('!H', len(d)) + d for d in items)

    def flow(v6, n, mss, last=None, flags=0x10, opts=True):
        """n in-order segments of one flow, raw (checksums are the harness's to fix)."""
        first = tcp_gso_packet(v6, mss, opts, flags)
        hdr = len(first) - mss
        out = [first]
        seq = 0x11223344
        for k in range(1, n):
            seq += mss
            size = last if last is not None and k == n - 1 else mss
            p = bytearray(first[:hdr]) + bytes((k + i) & 0xff for i in range(size))
            ip_hlen = 40 if v6 else 20
            p[ip_hlen + 4:ip_hlen + 8] = struct.pack('!I', seq & 0xffffffff)
            out.append(bytes(p))
        return out

    follow = lambda first, chunks: [first] + [bytes([x]) + body for x, body in chunks]
    return {
        'v4-run': bytes([1]) + pkts(flow(False, 8, 1000, 300)),
        'v6-run': bytes([1]) + pkts(flow(True, 5, 1200)),
        'v4-runs-64plus': bytes([1]) + pkts(flow(False, 70, 100, opts=False)),
        'v4-too-big': bytes([1]) + pkts(flow(False, 60, 1400)[:60]),
        'unfixed': bytes([0]) + pkts(flow(False, 4, 500) + [ipv4_packet(100), b'', b'\x45']),
        'follow-v4': bytes([3]) + pkts(follow(tcp_gso_packet(False, 1000, flags=0x10),
                                              [(0, bytes(1000)), (0, bytes(1000)),
                                               (0x08, bytes(1000)), (0, bytes(1000)),
                                               (0, bytes(400)), (0x01, bytes(1000))])),
        'follow-v6': bytes([3]) + pkts(follow(tcp_gso_packet(True, 600, flags=0x10),
                                              [(0, bytes(600)), (0, bytes(100)),
                                               (0, bytes(600)), (0x02, bytes(600))])),
        'mixed': bytes([1]) + pkts(flow(False, 3, 200) + [ipv6_packet(50)] + flow(True, 3, 200) +
                                   [tcp_gso_packet(False, 0)] + flow(False, 2, 200)),
    }
# openconnect 9.01's sessions, one line per TLS read or write (README.md there): the
# shared reference next to the checkout, or $ZCVPN_PPP_CAPTURES.  Without them the PPP
# seeds that come from captures are not written (the committed ones stay).
PPP_CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..',
                            'shared', 'reference', 'ppp-captures')
PPP_CAPTURES = os.environ.get('ZCVPN_PPP_CAPTURES', PPP_CAPTURES)


def ppp_capture(name):
    """[(direction, bytes)] of one capture, or [] when the captures are not at hand."""
    path = os.path.join(PPP_CAPTURES, name + '.wire.txt')
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] in ('rx', 'tx'):
                out.append((parts[0], bytes.fromhex(parts[2])))
    return out


def fcs16(data):
    fcs = 0xffff
    for c in data:
        fcs ^= c
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs


def hdlc(frame, accm=0xffffffff):
    fcs = fcs16(frame) ^ 0xffff
    out = bytearray(b'\x7e')
    for c in frame + bytes([fcs & 0xff, fcs >> 8]):
        if c in (0x7d, 0x7e) or (c < 0x20 and accm >> c & 1):
            out += bytes([0x7d, c ^ 0x20])
        else:
            out.append(c)
    return bytes(out + b'\x7e')


# The harnesses' encapsulation index: enum ppp_encap minus one.
PPP_ENCAP_INDEX = {'nullppp': 0, 'hdlc': 1, 'f5': 2, 'f5-hdlc': 3, 'fortinet': 4}


def ppp_frames(encap):
    """The PPP frames (header + information) of a capture, both directions."""
    frames = []
    for _, wire in ppp_capture(encap):
        if encap == 'f5':
            frames.append(wire[4:])
        elif encap == 'fortinet':
            frames.append(wire[6:])
    return frames


def ppp_frame_seeds():
    seeds = {}
    caps = {'f5': ppp_capture('f5'), 'fortinet': ppp_capture('fortinet'),
            'f5-hdlc': ppp_capture('f5-hdlc'), 'hdlc': ppp_capture('nullppp-hdlc')}
    caps['nullppp'] = [(d, w[4:]) for d, w in caps['f5']]
    for name, lines in caps.items():
        if not lines:
            continue
        enc = PPP_ENCAP_INDEX[name]
        wires = [w for _, w in lines]
        recs = b''.join(struct.pack('!H', len(w)) + w for w in wires[:16])
        seeds['records-' + name] = bytes([enc]) + recs
        stream = b''.join(wires)
        seeds['stream-' + name] = bytes([16 | enc]) + b''.join(
            struct.pack('!H', len(w)) + w for w in wires)
        seeds['stream-sevens-' + name] = bytes([16 | enc]) + b''.join(
            struct.pack('!H', 7) + stream[i:i + 7] for i in range(0, min(len(stream), 7 * 64), 7))
    # HDLC by hand: an ACCM that drops inserted C0 bytes, several frames in one record,
    # ACFC/PFC headers, the abort sequence, a bad FCS, an empty frame.
    lcp = bytes.fromhex('ff03c021010100120104ffc10506bda78cbd07020802')
    ip = bytes.fromhex('21') + ipv4_packet(20)
    many = hdlc(lcp) + hdlc(ip, 0)[1:] + b'\x7e\x7e' + hdlc(bytes.fromhex('8021'))
    inserted = bytearray(hdlc(lcp))
    inserted[5:5] = b'\x11\x13'
    bad = bytearray(hdlc(lcp))
    bad[-2] ^= 1
    aborted = hdlc(lcp)[:-1] + b'\x7d\x7e'
    for enc in (1, 3):
        for accm in (0, 8):
            recs = [many, bytes(inserted), bytes(bad), aborted, b'\x7e\x7e', b'\x7e\x00\x7e']
            seeds['hand-%d-%d' % (enc, accm)] = bytes([enc | accm]) + b''.join(
                struct.pack('!H', len(r)) + r for r in recs)
    # F5 and Fortinet headers that lie: short, wrong magic, wrapped totals, oversize.
    lies = [b'\xf5\x00\x00', b'\xf5\x01\x00\x02ff', b'\xf5\x00\xff\xff' + lcp,
            b'\xff\xff\x50\x50\xff\xf9', b'\x00\x05\x50\x50\xff\xff', b'\x00\x08\x50\x50\x00\x02\x21\x45']
    for enc in (2, 4):
        seeds['lies-%d' % enc] = bytes([enc]) + b''.join(struct.pack('!H', len(r)) + r for r in lies)
        seeds['stream-oversize-%d' % enc] = bytes([16 | enc]) + struct.pack('!H', 6) + (
            b'\xf5\x00\x7f\xff\x00\x00' if enc == 2 else b'\x80\x05\x50\x50\x7f\xff')
    return seeds


def ppp_split(frame):
    """(protocol, information) of a PPP frame with or without FF 03 and PFC."""
    if frame[:2] == b'\xff\x03':
        frame = frame[2:]
    if frame[0] & 1:
        return frame[0], frame[1:]
    return struct.unpack('!H', frame[:2])[0], frame[2:]


PPP_CP_OPS = {0xc021: 0, 0x8021: 1, 0x8057: 2}


def ppp_options_steps(frames, include_acks=False):
    """Ops for fuzz_ppp_options: each control packet, an Ack of ours after the peer's."""
    out = b''
    for frame in frames:
        proto, info = ppp_split(frame)
        if proto not in PPP_CP_OPS:
            continue
        i = PPP_CP_OPS[proto]
        if info[0] == 2 and not include_acks:
            out += bytes([4 | i << 3])          # the peer acks our own request
            continue
        out += bytes([i]) + struct.pack('!H', len(info)) + info
        if info[0] == 1:
            out += bytes([4 | i << 3])
    return out


def ppp_options_seeds():
    seeds = {}
    hdlc_caps = {'f5-hdlc': ppp_capture('f5-hdlc'), 'hdlc': ppp_capture('nullppp-hdlc')}
    for name in ('f5', 'fortinet'):
        lines = ppp_capture(name)
        hdr = 4 if name == 'f5' else 6
        rx = [w[hdr:] for d, w in lines if d == 'rx']
        tx = [w[hdr:] for d, w in lines if d == 'tx']
        nohc = 4 if name == 'fortinet' else 0
        # Our server against openconnect's requests; our client against its server's.
        seeds['server-' + name] = bytes([1 | nohc | 8 | 16]) + ppp_options_steps(rx)
        seeds['client-' + name] = bytes([nohc | 8 | 16 | 32]) + ppp_options_steps(tx)
        seeds['server-echo-' + name] = bytes([1 | 8 | 16 | 64]) + ppp_options_steps(rx) + \
            bytes([5 | 31 << 3] * 8)
    for name, lines in hdlc_caps.items():
        frames = []
        for d, w in lines:
            raw = bytearray()
            esc = False
            for c in w[1:-1]:
                if esc:
                    raw.append(c ^ 0x20)
                    esc = False
                elif c == 0x7d:
                    esc = True
                else:
                    raw.append(c)
            frames.append((d, bytes(raw[:-2])))
        seeds['server-' + name] = bytes([1 | 2 | 24]) + ppp_options_steps(
            [f for d, f in frames if d == 'rx'])
        seeds['client-' + name] = bytes([2 | 24 | 32]) + ppp_options_steps(
            [f for d, f in frames if d == 'tx'])
    # Option lists that lie, odd codes, Naks and Rejects of our own requests, timers.
    lcp_bad = bytes([1, 1, 0, 12, 1, 4, 0, 10, 5, 6, 1, 2, 3, 4])   # MRU 10, long magic
    lcp_zero = bytes([1, 2, 0, 8, 3, 0, 7, 2])                       # length-0 option
    lcp_auth = bytes([1, 3, 0, 9, 3, 5, 0xc2, 0x23, 5])              # CHAP asked
    code_rej = bytes([7, 4, 0, 8, 1, 1, 0, 4])
    proto_rej = bytes([8, 5, 0, 6, 0x80, 0x21])
    echo = bytes([9, 6, 0, 8, 0x12, 0x34, 0x56, 0x78])
    unknown = bytes([0x42, 7, 0, 4])
    ipcp_req = bytes([1, 1, 0, 22, 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0])
    ipcp_vj = bytes([1, 2, 0, 10, 2, 6, 0, 0x2d, 0x0f, 0x01])
    ip6cp_req = bytes([1, 1, 0, 14, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0])
    term = bytes([5, 9, 0, 4])

    def pkt(i, p):
        return bytes([i]) + struct.pack('!H', len(p)) + p

    for mode in (1 | 24, 24 | 32, 1 | 2 | 24 | 64, 4 | 8):
        lcp_ok = bytes([1, 1, 0, 14, 1, 4, 5, 0xdc, 5, 6, 0xbd, 0xa7, 0x8c, 0xbd])
        steps = (pkt(0, lcp_bad) + pkt(0, lcp_zero) + pkt(0, lcp_auth) + bytes([7]) +
                 bytes([15]) + pkt(0, lcp_ok) + bytes([4]) + pkt(1, ipcp_vj) +
                 pkt(1, ipcp_req) + bytes([7 | 16]) + bytes([4 | 8]) + pkt(2, ip6cp_req) +
                 bytes([4 | 16]) + pkt(0, code_rej) + pkt(0, proto_rej) + pkt(0, echo) +
                 pkt(0, unknown) + bytes([3]) + struct.pack('!H', 0x80fd) + pkt(0, bytes([1, 1, 0, 4]))[1:] +
                 bytes([5 | 20 << 3, 6 | 8, 5 | 31 << 3, 5 | 31 << 3]) + pkt(0, term) +
                 bytes([5 | 31 << 3] * 4))
        seeds['hand-%d' % mode] = bytes([mode]) + steps
    seeds['silent'] = bytes([64]) + bytes([5 | 31 << 3] * 40)
    return seeds


def http_answer(status, headers, body):
    reason = {200: 'OK', 302: 'Found', 403: 'Forbidden', 504: 'Gateway Timeout'}.get(status, 'X')
    return ('HTTP/1.1 %d %s\r\n%sContent-Length: %d\r\n\r\n' %
            (status, reason, headers, len(body))).encode() + body


F5_FAVORITES = (b'<?xml version="1.0" encoding="utf-8"?><favorites type="VPN" limited="YES">'
                b'<favorite id="/Common/zcvpn vpn"><caption>zcvpn</caption><name>/Common/zcvpn</name>'
                b'<params>resourcename=/Common/zcvpn</params></favorite></favorites>\n')


def f5_config_doc(hdlc, dtls):
    return (b'<?xml version="1.0" encoding="UTF-8"?><favorite><object>'
            b'<ur_Z>zcvpn-z</ur_Z><Session_ID>3c1f5d0e9b2a4c7d</Session_ID>'
            b'<IPV4_0>1</IPV4_0><IPV6_0>1</IPV6_0><hdlc_framing>%s</hdlc_framing>'
            b'<idle_session_timeout>900</idle_session_timeout>'
            b'<tunnel_dtls>%d</tunnel_dtls><tunnel_port_dtls>4433</tunnel_port_dtls>'
            b'<DNS0>10.77.0.53</DNS0></object></favorite>\n' % (b'yes' if hdlc else b'no', dtls))


def ppp_hello_seeds():
    seeds = {}
    f5_hello = (b'GET /myvpn?sess=3c1f5d0e9b2a4c7d&hdlc_framing=no&ipv4=yes&ipv6=no&Z=zcvpn-z'
                b'&hostname=ZnV6eg== HTTP/1.1\r\nHost: vpn.example.com\r\n\r\n')
    forti_hello = struct.pack('!H', 46) + b'GFtype\0clthello\0SVPNCOOKIE\0' + b'3c1f5d0e9b2a4c7d\0'
    forti_hello = struct.pack('!H', len(forti_hello)) + forti_hello[2:]
    seeds['hello-f5-client'] = bytes([0]) + f5_hello
    seeds['hello-f5-server'] = bytes([0]) + b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
    seeds['hello-f5-refused'] = bytes([0]) + b'HTTP/1.1 403 Forbidden\r\n\r\n'
    seeds['hello-forti-client'] = bytes([1]) + forti_hello
    for word in (b'ok', b'fail'):
        body = b'GFtype\0svrhello\0handshake\0' + word + b'\0'
        seeds['hello-forti-' + word.decode()] = bytes([1]) + struct.pack('!H', len(body) + 2) + body
    seeds['built-f5'] = bytes([6]) + b'3c1f5d0e9b2a4c7d'
    seeds['built-forti'] = bytes([7]) + b'3c1f5d0e9b2a4c7d'
    seeds['built-odd'] = bytes([6]) + b'a b&c=d%\x01'
    # The F5 login: front page (a redirect first), my.policy, favorites, config document.
    front = (http_answer(302, 'Location: /my.policy\r\nSet-Cookie: LastMRH_Session=1f; path=/\r\n', b'') +
             http_answer(200, 'Set-Cookie: MRHSession=aaaa; path=/\r\nSet-Cookie: F5_ST=1z2; path=/\r\n'
                         'Content-Type: text/html\r\n', b'<html><form action="/my.policy"></form></html>'))
    policy = http_answer(200, 'Set-Cookie: MRHSession=3c1f5d0e9b2a4c7d; path=/; secure\r\n'
                         'Set-Cookie: F5_ST=1z1z1z1700000000z86400; path=/\r\n', b'<html>Welcome</html>\n')
    favs = http_answer(200, 'Content-Type: text/xml\r\n', F5_FAVORITES)
    for chunk in (0, 1, 2):
        for hdlc, dtls in ((0, 1), (1, 0)):
            conf = http_answer(200, 'Content-Type: text/xml\r\n', f5_config_doc(hdlc, dtls))
            seeds['login-f5-c%d-h%d' % (chunk, hdlc)] = bytes([2 | chunk << 3]) + front + policy + favs + conf
    seeds['login-f5-refused'] = bytes([2 | 8]) + front + http_answer(403, '', b'wrong user or password\n')
    # Fortinet: logincheck, then the tunnel document.
    check = http_answer(200, 'Set-Cookie: SVPNCOOKIE=3c1f5d0e9b2a4c7d; path=/; secure; httponly\r\n'
                        'Content-Type: text/plain\r\n', b'ret=1,redir=/remote/fortisslvpn_xml\n')
    doc = (b'<?xml version="1.0" encoding="utf-8"?><sslvpn-tunnel ver="2" dtls="1" patch="1">'
           b'<dtls-config heartbeat-interval="10" heartbeat-fail-count="10" /><fos platform="FG" />'
           b'<ipv4><assigned-addr ipv4="10.11.1.2" /><dns ip="10.11.0.53" /></ipv4></sslvpn-tunnel>\n')
    for chunk in (0, 1, 2):
        seeds['login-forti-c%d' % chunk] = bytes([3 | chunk << 3]) + check + \
            http_answer(200, 'Content-Type: text/xml\r\n', doc)
    seeds['login-forti-refused'] = bytes([3 | 8]) + http_answer(200, 'Set-Cookie: SVPNCOOKIE=; path=/\r\n', b'')
    lcp = bytes.fromhex('f500000eff03c0210101000a0506b1b3186d')
    seeds['tunnel-f5'] = bytes([4]) + b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' + lcp
    seeds['tunnel-f5-bytes'] = bytes([4 | 8]) + b'HTTP/1.1 200 OK\r\n\r\n' + lcp
    seeds['tunnel-f5-refused'] = bytes([4]) + b'HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\n\r\n'
    seeds['tunnel-forti'] = bytes([5])
    return seeds


AC_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>'


def ac_reply(inner):
    return AC_HEAD + b'<config-auth client="vpn" type="auth-reply"><auth>' + inner + b'</auth></config-auth>'


AC_FORM = (AC_HEAD + b'<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">'
           b'<opaque is-for="sg"><tunnel-group>staff</tunnel-group></opaque>'
           b'<auth id="main"><title>Login</title><message>Please enter your username and password.</message>'
           b'<form method="post" action="/auth">'
           b'<input type="text" name="username" label="Username:"></input>'
           b'<input type="password" name="password" label="Password:"></input>'
           b'<select name="group_list" label="GROUP:"><option selected="true">staff</option>'
           b'<option>admin</option></select></form></auth></config-auth>')
AC_ERROR_FORM = AC_FORM.replace(b'<message>', b'<error id="88" param1="" param2="">Login failed.</error><message>')
AC_COMPLETE = (AC_HEAD + b'<config-auth client="vpn" type="complete" aggregate-auth-version="2">'
               b'<session-id>32768</session-id><session-token>abc</session-token>'
               b'<auth id="success"><message id="0" param1="" param2=""></message></auth>'
               b'<capabilities><crypto-supported>ssl-dhe</crypto-supported></capabilities>'
               b'<config client="vpn" type="private"><vpn-base-config></vpn-base-config></config>'
               b'</config-auth>')


def auth_xml_seeds():
    seeds = {
        'reply-init': bytes([0]) + AC_HEAD + b'<config-auth client="vpn" type="init"><version who="vpn">v9.01'
                                             b'</version></config-auth>',
        'reply': bytes([0]) + ac_reply(b'<username>alice</username><password>pw</password>'),
        'reply-group': bytes([0]) + AC_HEAD + b'<config-auth type="auth-reply"><auth><username>a</username>'
                                              b'<password>p</password></auth><group-select>staff</group-select></config-auth>',
        'reply-escapes': bytes([0]) + ac_reply(b'<username>a&amp;b</username><password>&lt;&gt;&quot;&apos;&#65;&#x42;</password>'),
        'reply-empty': bytes([0]) + ac_reply(b'<username/><password></password>'),
        'reply-longer-first': bytes([0]) + ac_reply(b'<usernamex>no</usernamex><username>yes</username>'),
        'reply-bad-entity': bytes([0]) + ac_reply(b'<username>a&bogus;&#0;&#233;&#;&#+65;&#000065;&amp</username>'),
        'reply-long-user': bytes([0]) + ac_reply(b'<username>' + b'u' * 80 + b'</username>'),
        'reply-unterminated': bytes([0]) + ac_reply(b'<username>alice')[:-30],
        'form': bytes([1]) + AC_FORM,
        'form-error': bytes([1]) + AC_ERROR_FORM,
        'form-complete': bytes([1]) + AC_COMPLETE,
        'form-quotes': bytes([1]) + b"<config-auth type='auth-request'><form action='/x'>"
                                    b"<input xtype='a' type='text' name='" + b'n' * 70 + b"'/><input type=password name=p/>"
                                    b"<select name='g'></form></config-auth>",
    }
    first = http_answer(200, 'Set-Cookie: webvpncontext=00112233; path=/; Secure\r\n'
                        'Content-Type: text/xml\r\n', AC_FORM)
    done = http_answer(200, 'Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT\r\n'
                       'Set-Cookie: webvpn=<elided>@32768@abc; path=/; Secure\r\n'
                       'Content-Type: text/xml\r\n', AC_COMPLETE)
    failed = http_answer(200, 'Content-Type: text/xml\r\n', AC_ERROR_FORM)
    for chunk in (0, 1, 2, 3):
        seeds['login-c%d' % chunk] = bytes([2 | chunk << 2]) + first + done
    seeds['login-wrong'] = bytes([2 | 4]) + first + failed
    seeds['login-nopass'] = bytes([3 | 4]) + first + done
    seeds['login-401'] = bytes([2 | 4]) + http_answer(401, '', b'')
    seeds['login-no-cookie'] = bytes([2 | 4]) + first + http_answer(200, '', AC_COMPLETE)
    return seeds


def key_file(enc, auth, enc_len, auth_len, extra=b''):
    out = b'# zcvpn ESP keys\nenc = %s\nauth = %s\nc2s-spi = 0x1001\ns2c-spi = 0x2001\n' % (enc, auth)
    out += b'c2s-enc-key = %s\ns2c-enc-key = %s\n' % (bytes(range(1, enc_len + 1)).hex().encode(),
                                                      bytes(range(2, enc_len + 2)).hex().encode())
    if auth_len:
        out += b'c2s-auth-key = %s\n  s2c-auth-key\t=  %s  \n' % (
            bytes(range(3, auth_len + 3)).hex().encode(), bytes(range(4, auth_len + 4)).hex().encode())
    return out + extra


SHA256_SECRET = b'$5$abcdefghijklmnop$QQCcGjIQwBTnv0hnUR.rC7IfTSEnJbd2Z0xpZs67xZD'
SHA512_SECRET = b'$6$zcvpnsalt$/0b50hN11oKLm01fkzKh9s54JcdIkK83F9fzzEhd2prLLjVY4RiusawkKYWyBN6bGABO19oX0wV65sZ6qu.cc.'


def config_files_seeds():
    seeds = {
        'keys-gcm128': bytes([0]) + key_file(b'aes128-gcm', b'none', 20, 0),
        'keys-gcm256': bytes([0]) + key_file(b'aes256-gcm', b'none', 36, 0),
        'keys-cbc-sha1': bytes([0]) + key_file(b'aes128-cbc', b'hmac-sha1-96', 16, 20),
        'keys-cbc-sha256': bytes([0]) + key_file(b'aes256-cbc', b'hmac-sha256-128', 32, 32),
        'keys-cbc-md5': bytes([0]) + key_file(b'aes128-cbc', b'hmac-md5-96', 16, 16),
        'keys-short-key': bytes([0]) + key_file(b'aes128-gcm', b'none', 16, 0),
        'keys-twice': bytes([0]) + key_file(b'aes256-gcm', b'none', 36, 0,
                                            b'enc = aes128-gcm\nc2s-enc-key = 0102\n'),
        'keys-bad-spi': bytes([0]) + b'enc = aes128-gcm\nc2s-spi = 7\n',
        'keys-unknown': bytes([0]) + b'enc = aes128-gcm\nbogus = 1\n',
        'keys-no-eq': bytes([0]) + b'enc aes128-gcm\n',
        'keys-odd-hex': bytes([0]) + b'c2s-enc-key = abc\n',
        'keys-long-line': bytes([0]) + b'c2s-enc-key = ' + b'ab' * 300 + b'\n',
        'psk': bytes([1]) + bytes(range(32)).hex().encode() + b'\n',
        'psk-spaces': bytes([1]) + b'  ' + bytes(range(32)).hex().upper().encode() + b'  \r\n',
        'psk-short': bytes([1]) + b'0011\n',
        'passwd': bytes([2]) + b'alice:staff:' + SHA512_SECRET + b'\nbob:*:' + SHA256_SECRET + b'\n',
        'passwd-locked': bytes([2]) + b'# users\n\ncarol:staff,admin:!' + SHA512_SECRET + b'\r\n',
        'passwd-bad': bytes([2]) + b'dave:staff:plaintext\n',
        'passwd-fields': bytes([2]) + b'eve::\n:x:$6$a$b\n',
        'passwd-empty': bytes([2]) + b'# nobody\n',
    }
    return seeds


def address_seeds():
    split = [b'10.0.0.0/255.0.0.0', b'-10.1.0.0/16', b'192.168.0.0/16', b'-192.168.1.0/24',
             b'172.16.0.0/12', b'fd00::/8', b'-fd00:1::/32', b'2001:db8::/32', b'-2001:db8:1::/48',
             b'10.11.1.0/24', b'0.0.0.0/0', b'::/0', b'-198.51.100.7', b'192.0.2.1']
    seeds = {
        'split': bytes([1 | 2 | 4 | 24 << 3]) + b'\n'.join(split),
        'split-no-tun': bytes([0]) + b'\n'.join(split),
        'server-inside': bytes([1 | 4 | 16 << 3]) + b'10.0.0.9\n10.0.0.0/8\n-10.0.0.0/16\n',
        'v6-server': bytes([2 | 4]) + b'2001:db8::1\n2001:db8::/32\n-2001:db8::/64\n',
        'forms': bytes([1 | 2]) + b'\n'.join([
            b'10.1.2.3', b'10.1.2.3/32', b'10.1.2.3/0', b'10.1.2.3/33', b'10.1.2.3/255.255.255.255',
            b'10.1.2.3/255.0.255.0', b'10.1.2.3/', b'10.1.2.3/-1', b'10.1.2.3/08', b'10.1.2.3/ 8',
            b'::', b'::1/128', b'::ffff:10.1.2.3', b'fe80::1%eth0', b'fe80::1/129', b'1:2:3:4:5:6:7:8/64',
            b'1:2:3:4:5:6:7:8:9', b'010.1.2.3', b'1.2.3', b'0x0a.1.2.3', b'', b' 10.0.0.1',
            b'10.0.0.1 ', b'-', b'--10.0.0.0/8', b'10.0.0.0/8/8']),
    }
    many = b'\n'.join(b'10.%d.0.0/16\n-10.%d.1.0/24' % (i, i) for i in range(140))
    seeds['many'] = bytes([1 | 2 | 4]) + many
    return seeds


def write(corpus, name, seeds):
    d = os.path.join(corpus, name)
    os.makedirs(d, exist_ok=True)
    for key, data in seeds.items():
        with open(os.path.join(d, 'seed-' + key), 'wb') as f:
            f.write(data)


HARNESSES = {
    'esp': esp_seeds,
    'cstp': cstp_seeds,
    'dtls_record': dtls_record_seeds,
    'cisco': cisco_seeds,
    'tun_tso': tun_tso_seeds,
    'tun_gro': tun_gro_seeds,
    'ppp_frame': ppp_frame_seeds,
    'ppp_options': ppp_options_seeds,
    'ppp_hello': ppp_hello_seeds,
    'auth_xml': auth_xml_seeds,
    'config_files': config_files_seeds,
    'address': address_seeds,
}


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    only = sys.argv[2:]
    for name, make in HARNESSES.items():
        if not only or name in only:
            write(corpus, name, make())


if __name__ == '__main__':
    main()
