#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An AnyConnect server whose sessions have all expired: the XML login succeeds at once
(config-auth "complete" and a webvpn cookie), and every CONNECT /CSCOSSLC/tunnel is
answered 401, as ocserv or an ASA answers a cookie that is no longer good.  The one
case of `zcvpn connect`'s exit statuses that no real server here gives on demand.

usage: expired_session_server.py CERT KEY PORTFILE

Listens on 127.0.0.1, an ephemeral port written to PORTFILE; serves connections
until killed (bounded by the caller's timeout).
"""
import socket
import ssl
import sys

COMPLETE = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<config-auth client="vpn" type="complete"><auth id="success">'
            b'<message>ok</message></auth></config-auth>\n')


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 65536:
            return None, b""
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n")[0], body


def answer(conn, request_line):
    if request_line.startswith(b"CONNECT "):
        conn.sendall(b"HTTP/1.1 401 Cookie is not acceptable\r\n"
                     b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        return False
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                 b"Set-Cookie: webvpn=0123456789abcdef; Secure\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(COMPLETE) + COMPLETE)
    return True


def serve(conn):
    conn.settimeout(10)
    try:
        while True:
            request_line, _ = read_request(conn)
            if request_line is None or not answer(conn, request_line):
                break
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    cert, key, portfile = sys.argv[1:4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    with open(portfile, "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    while True:
        raw, _ = listener.accept()
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        serve(conn)


if __name__ == "__main__":
    main()
