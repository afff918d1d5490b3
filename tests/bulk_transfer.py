#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Moves random bytes over TCP and prints "BYTES SHA256 [RATE Mbit/s]" at each end.

  bulk_transfer.py recv ADDR PORT      accepts one connection, hashes what arrives
  bulk_transfer.py send ADDR PORT MB [MBIT_S]
                                       sends MB mebibytes of random data (at most
                                       MBIT_S Mbit/s: a transfer that lasts)

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


def send_paced(s, data, mbit_s):
    """sendall, at most mbit_s on average (64 KiB at a time)."""
    t0, chunk = time.monotonic(), 1 << 16
    for off in range(0, len(data), chunk):
        s.sendall(data[off:off + chunk])
        due = t0 + (off + chunk) * 8 / (mbit_s * 1e6)
        if due > time.monotonic():
            time.sleep(due - time.monotonic())


def send(addr, port, mib, mbit_s=0):
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
    if mbit_s:
        send_paced(s, data, mbit_s)
    else:
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
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             float(sys.argv[5]) if len(sys.argv) > 5 else 0)
