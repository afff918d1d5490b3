#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Moves random bytes over TCP and prints "BYTES SHA256 [RATE Mbit/s]" at each end.

  bulk_transfer.py recv ADDR PORT      accepts one connection, hashes what arrives
  bulk_transfer.py send ADDR PORT MB   sends MB mebibytes of random data

The shell tests compare the two lines: same length and hash means every byte crossed
the tunnel intact.  Every wait is bounded (connect retries for 10 s, I/O times out).
"""
import hashlib
import os
import socket
import sys
import time


def recv(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(60)
    c, _ = s.accept()
    c.settimeout(60)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    print(n, h.hexdigest())


def send(addr, port, mib):
    data = os.urandom(mib << 20)
    deadline = time.monotonic() + 10
    while True:
        try:
            s = socket.create_connection((addr, port), timeout=60)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # the receiver is not listening yet
    t = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # returns when the receiver has read everything and closed
    s.close()
    dt = time.monotonic() - t
    print(len(data), hashlib.sha256(data).hexdigest(), "%.1f Mbit/s" % (len(data) * 8 / dt / 1e6))


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
