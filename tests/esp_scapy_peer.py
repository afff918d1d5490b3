#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An independent ESP-in-UDP peer built on scapy's IPsec code, for interop tests.

It reads a zcvpn key file, binds a UDP socket on loopback, prints its port, and then for
every datagram from zcvpn: opens it with scapy (ICV, decryption, RFC 4303 padding and
next header all checked by scapy or here), and sends the same inner packet back sealed
by scapy with the server-to-client SA.  Early on it also sends one copy with a corrupted
ICV and one exact replay, which zcvpn must drop and count.  It exits 0 only if every
datagram zcvpn sent was valid ESP.
"""
import argparse
import socket
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain

CRYPT = {"aes128-cbc": "AES-CBC", "aes256-cbc": "AES-CBC",
         "aes128-gcm": "AES-GCM", "aes256-gcm": "AES-GCM"}
AUTH = {"none": "NULL", "hmac-md5-96": "HMAC-MD5-96",
        "hmac-sha1-96": "HMAC-SHA1-96", "hmac-sha256-128": "SHA2-256-128"}


def load_keys(path):
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, value = (s.strip() for s in line.split("=", 1))
                keys[name] = value
    return keys


def make_sa(keys, direction):
    auth = keys.get("auth", "none")
    return SecurityAssociation(
        ESP, spi=int(keys[direction + "-spi"], 0),
        crypt_algo=CRYPT[keys["enc"]],
        crypt_key=bytes.fromhex(keys[direction + "-enc-key"]),
        auth_algo=AUTH[auth],
        auth_key=bytes.fromhex(keys[direction + "-auth-key"]) if auth != "none" else None)


def full_plaintext(keys, datagram, icv_len):
    """Decrypts with the cryptography package directly, padding included.

    scapy 2.5.0's ESP decrypt slices its `padding` field from the already truncated
    data, so the padding bytes are checked on this second, independent decryption.
    """
    key = bytes.fromhex(keys["c2s-enc-key"])
    if "gcm" in keys["enc"]:
        nonce = key[-4:] + datagram[8:16]
        return AESGCM(key[:-4]).decrypt(nonce, datagram[16:], datagram[:8])
    iv, ct = datagram[8:24], datagram[24:len(datagram) - icv_len]
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(ct) + dec.finalize()


def esp_open(sa, keys, datagram):
    """Verifies and decrypts one ESP datagram; raises on any integrity failure."""
    esp = ESP(datagram)
    if esp.spi != sa.spi:
        raise ValueError("SPI 0x%x, expected 0x%x" % (esp.spi, sa.spi))
    sa.auth_algo.verify(esp, sa.auth_key)
    icv = sa.crypt_icv_size or sa.crypt_algo.icv_size or sa.auth_algo.icv_size
    plain = sa.crypt_algo.decrypt(sa, esp, sa.crypt_key, icv)
    full = full_plaintext(keys, datagram, icv)
    padlen = full[-2]
    block = 4 if "gcm" in keys["enc"] else 16
    if (full[:len(full) - padlen - 2] != bytes(plain.data) or
            full[len(full) - padlen - 2:-2] != bytes(range(1, padlen + 1)) or
            len(full) % block or padlen >= block):
        raise ValueError("padding is not the minimal 1, 2, 3, ... (pad length %d)" % padlen)
    return esp.seq, bytes(plain.data), plain.nh


def esp_seal(sa, seq, data, nh):
    """Seals exact inner bytes with scapy's own padding, encryption and ICV."""
    esp = _ESPPlain(spi=sa.spi, seq=seq, iv=sa.crypt_algo.generate_iv())
    esp.data = data
    esp.nh = nh
    esp = sa.crypt_algo.pad(esp)
    esp = sa.crypt_algo.encrypt(sa, esp, sa.crypt_key, sa.crypt_icv_size)
    sa.auth_algo.sign(esp, sa.auth_key)
    return bytes(esp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", required=True)
    ap.add_argument("--count", type=int, required=True, help="data packets to expect")
    ap.add_argument("--deadline", type=float, default=60.0)
    args = ap.parse_args()

    keys = load_keys(args.keys)
    sa_in, sa_out = make_sa(keys, "c2s"), make_sa(keys, "s2c")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)

    end = time.monotonic() + args.deadline
    data_packets = probes = bad = 0
    seq = 0
    sent_attacks = False
    sock.settimeout(1.0)
    while data_packets < args.count and time.monotonic() < end:
        try:
            datagram, peer = sock.recvfrom(65535)
        except socket.timeout:
            continue
        try:
            _, inner, nh = esp_open(sa_in, keys, datagram)
        except Exception as err:  # scapy raises IPSecIntegrityError and others
            print("peer: invalid ESP from zcvpn: %r" % err, file=sys.stderr)
            bad += 1
            continue
        if len(inner) == 1 and inner == b"\x00":
            probes += 1  # Juniper/Pulse probe; zcvpn's client says hello with one
            continue
        version = inner[0] >> 4
        if (nh, version) not in ((4, 4), (41, 6)):
            print("peer: next header %d for an IPv%d packet" % (nh, version), file=sys.stderr)
            bad += 1
            continue
        data_packets += 1
        seq += 1
        reply = esp_seal(sa_out, seq, inner, nh)
        sock.sendto(reply, peer)
        if data_packets == 10 and not sent_attacks:
            # A fresh sequence number, so the replay check passes and the ICV decides.
            seq += 1
            tampered = bytearray(esp_seal(sa_out, seq, inner, nh))
            tampered[-1] ^= 0x01
            sock.sendto(bytes(tampered), peer)  # must count as bad ICV
            sock.sendto(reply, peer)            # must count as replay
            sent_attacks = True
    print("peer: %d data packets valid, %d probes, %d invalid" % (data_packets, probes, bad))
    return 0 if data_packets == args.count and bad == 0 and sent_attacks else 1


if __name__ == "__main__":
    sys.exit(main())
