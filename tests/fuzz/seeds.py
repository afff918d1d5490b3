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


def write(corpus, name, seeds):
    d = os.path.join(corpus, name)
    os.makedirs(d, exist_ok=True)
    for key, data in seeds.items():
        with open(os.path.join(d, 'seed-' + key), 'wb') as f:
            f.write(data)


HARNESSES = {
    'esp': esp_seeds,
    'cstp': cstp_seeds,
}


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    only = sys.argv[2:]
    for name, make in HARNESSES.items():
        if not only or name in only:
            write(corpus, name, make())


if __name__ == '__main__':
    main()
