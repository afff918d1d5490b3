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
}


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    only = sys.argv[2:]
    for name, make in HARNESSES.items():
        if not only or name in only:
            write(corpus, name, make())


if __name__ == '__main__':
    main()
