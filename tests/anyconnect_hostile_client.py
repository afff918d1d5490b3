#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile clients of `zcvpn serve --protocol anyconnect`, one behaviour each.

  anyconnect_hostile_client.py MODE HOST PORT [USER PASSWORD]

  garbage         random bytes instead of a TLS ClientHello, then close
  slow-handshake  TCP connected, not a byte sent: waits to be dropped
  slow-headers    TLS up, then a request's header one byte every 0.5 s
  wrong-passwords three wrong passwords on one connection: prints the seconds the
                  answers took and whether the server then closed the connection
  bad-app-id      logs in properly, CONNECTs, then sends DTLS ClientHellos with
                  another App-ID (and one cut short) to the session's UDP port, and
                  says goodbye on CSTP

Prints one line "MODE: RESULT" for the shell test.  Every wait is bounded.
"""
import os
import re
import socket
import ssl
import struct
import sys
import time

TIMEOUT = 30


def tls_connect(host, port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname=host)


def read_response(s, expect_body=True):
    """Status line, headers and body of one response; (None, None, b"") when closed.
    A CONNECT answer has no body: the CSTP stream follows its headers."""
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(4096)
        if not b:
            return None, None, data
        data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = int(headers.get("content-length", ["0"])[0]) if expect_body else 0
    while len(rest) < length:
        b = s.recv(4096)
        if not b:
            break
        rest += b
    return lines[0], headers, rest


def post(s, host, path, body, cookie=None):
    extra = "Cookie: webvpn=%s\r\n" % cookie if cookie else ""
    req = ("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: AnyConnect hostile\r\n"
           "Content-Type: application/xml\r\nX-Transcend-Version: 1\r\n%s"
           "Content-Length: %d\r\n\r\n" % (path, host, extra, len(body)))
    s.sendall(req.encode() + body.encode())
    return read_response(s)


INIT = ('<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="init">'
        '<version who="vpn">v9.01</version></config-auth>')


def reply(user, password):
    return ('<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" '
            'type="auth-reply"><auth><username>%s</username><password>%s</password>'
            '</auth></config-auth>' % (user, password))


def garbage(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.sendall(os.urandom(4096))
    try:
        s.settimeout(10)
        left = s.recv(100)
    except OSError:
        left = b""
    s.close()
    return "closed" if not left else "answered %d bytes" % len(left)


def slow_handshake(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    start = time.monotonic()
    try:
        s.settimeout(TIMEOUT)
        got = s.recv(100)
    except OSError:
        got = b""
    return "dropped after %.1f s%s" % (time.monotonic() - start, "" if not got else " (answered)")


def slow_headers(host, port):
    s = tls_connect(host, port)
    start = time.monotonic()
    request = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    try:
        for c in request:
            s.sendall(bytes([c]))
            time.sleep(0.5)
            if time.monotonic() - start > TIMEOUT:
                return "never dropped"
    except OSError:
        pass
    return "dropped after %.1f s" % (time.monotonic() - start)


def wrong_passwords(host, port, user):
    s = tls_connect(host, port)
    post(s, host, "/", INIT)
    start = time.monotonic()
    answers = 0
    for _ in range(3):
        try:
            status, _, _ = post(s, host, "/auth", reply(user, "not-the-password"))
        except OSError:
            status = None
        if status is None:
            break
        answers += 1
    took = time.monotonic() - start
    return "%d answers in %.1f s, then %s" % (answers, took, "closed" if answers < 3 else "open")


def client_hello(app_id):
    """A DTLS 1.2 ClientHello record, as far as a server's first look goes."""
    body = b"\xfe\xfd" + os.urandom(32) + bytes([len(app_id)]) + app_id
    body += b"\x00" + b"\x00\x02\xc0\x2c" + b"\x01\x00"  # cookie, one suite, null comp.
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + b"\x00\x00" + b"\x00\x00\x00" + \
        struct.pack(">I", len(body))[1:] + body
    return b"\x16\xfe\xff" + b"\x00\x00" + b"\x00" * 6 + struct.pack(">H", len(hs)) + hs


def bad_app_id(host, port, user, password):
    s = tls_connect(host, port)
    post(s, host, "/", INIT)
    _, headers, _ = post(s, host, "/auth", reply(user, password))
    cookie = None
    for c in (headers or {}).get("set-cookie", []):
        m = re.match(r"webvpn=([^;]+)", c)
        if m:
            cookie = m.group(1)
    if not cookie:
        return "no cookie"
    req = ("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: %s\r\nCookie: webvpn=%s\r\n"
           "X-CSTP-Version: 1\r\nX-CSTP-Hostname: hostile\r\nX-CSTP-Base-MTU: 1500\r\n"
           "X-DTLS-Master-Secret: %s\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n\r\n"
           % (host, cookie, "00" * 48))
    s.sendall(req.encode())
    status, headers, _ = read_response(s, expect_body=False)
    if not status or "200" not in status:
        return "CONNECT refused: %s" % status
    dtls_port = int(headers["x-dtls-port"][0])
    real = bytes.fromhex(headers["x-dtls-app-id"][0])
    other = bytes(b ^ 0x5a for b in real)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        u.sendto(client_hello(other), (host, dtls_port))
    u.sendto(client_hello(real)[:60], (host, dtls_port))  # cut inside the App-ID
    time.sleep(1)
    bye = b"\xb0hostile: bye"
    s.sendall(b"STF\x01" + struct.pack(">H", len(bye)) + b"\x05\x00" + bye)
    time.sleep(0.5)
    s.close()
    return "sent 4 ClientHellos with a wrong App-ID to port %d" % dtls_port


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[4:]
    if mode == "garbage":
        result = garbage(host, port)
    elif mode == "slow-handshake":
        result = slow_handshake(host, port)
    elif mode == "slow-headers":
        result = slow_headers(host, port)
    elif mode == "wrong-passwords":
        result = wrong_passwords(host, port, args[0])
    elif mode == "bad-app-id":
        result = bad_app_id(host, port, args[0], args[1])
    else:
        sys.exit(__doc__)
    print("%s: %s" % (mode, result))


if __name__ == "__main__":
    main()
