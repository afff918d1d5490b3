#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A UDP relay that damages the traffic between a VPN client and its server, for tests.

  fault_relay.py --listen ADDR:PORT --to ADDR:PORT --seconds N [faults] --report FILE

The client sends to --listen; the relay forwards to --to from a socket of its own and
sends the answers back to whoever spoke to --listen first.  Each datagram, in either
direction, meets at most one fault, chosen at the given rates:
  --drop P       it is not forwarded
  --reorder P    it is held and forwarded after the next one
  --delay P      it is held for --delay-ms (default 20) and forwarded then, behind
                 whatever came meanwhile
  --dup P        it is forwarded twice
  --corrupt P    one random bit of it is flipped
  --truncate P   it loses 1 to 16 bytes from its end (never all of it)
  --replay P     it is forwarded, and so is an earlier clean datagram again
and --cut-at S --cut-for S drops everything both ways for a while.  Faults start after
--after S seconds (a handshake first).  Nothing is sent anywhere but those two peers, and
the relay stops after --seconds.  The report (JSON) counts, per direction, what came
in, what went out and what was done to it, so a test can check the peer's counters.
"""
import argparse
import heapq
import json
import random
import select
import signal
import socket
import time

KINDS = ('drop', 'reorder', 'delay', 'dup', 'corrupt', 'truncate', 'replay')
HISTORY = 64	# the clean datagrams a replay picks from


def addr(text):
    host, port = text.rsplit(':', 1)
    return host, int(port)


class Direction:
    """One way through the relay: its faults, its counters and its held datagram."""

    def __init__(self, name, rates, rng, delay):
        self.name = name
        self.rates = rates
        self.rng = rng
        self.delay = delay
        self.held = None
        self.delayed = []	# (due, sequence, data), a heap
        self.history = []
        self.count = {'in': 0, 'out': 0, 'clean': 0, 'cut': 0}
        self.count.update({k: 0 for k in KINDS})

    def pick(self):
        r = self.rng.random()
        for kind in KINDS:
            r -= self.rates[kind]
            if r < 0:
                return kind
        return None

    def handle(self, data, faulty, send):
        """Forwards data through send() after its fault, if any."""
        self.count['in'] += 1
        kind = self.pick() if faulty else None
        if kind:
            self.count[kind] += 1
        if kind == 'drop':
            return
        if kind == 'corrupt':
            b = bytearray(data)
            bit = self.rng.randrange(len(b) * 8)
            b[bit // 8] ^= 1 << (bit % 8)
            data = bytes(b)
        elif kind == 'truncate' and len(data) > 1:
            data = data[:len(data) - self.rng.randint(1, min(16, len(data) - 1))]
        elif kind == 'truncate':
            self.count['truncate'] -= 1	# one byte cannot lose any: clean after all
            kind = None
        if kind is None or kind in ('reorder', 'delay', 'dup', 'replay'):
            self.count['clean'] += 1
            self.history = (self.history + [data])[-HISTORY:]
        if kind == 'reorder' and self.held is None:
            self.held = data
            return
        if kind == 'delay':
            heapq.heappush(self.delayed, (time.monotonic() + self.delay, self.count['in'], data))
            return
        self.emit(data, send)
        if self.held is not None:
            held, self.held = self.held, None
            self.emit(held, send)
        if kind == 'dup':
            self.emit(data, send)
        elif kind == 'replay' and len(self.history) > 1:
            self.emit(self.rng.choice(self.history[:-1]), send)
        elif kind == 'replay':
            self.count['replay'] -= 1	# nothing earlier to replay yet

    def emit(self, data, send):
        send(data)
        self.count['out'] += 1

    def flush(self, send):
        if self.held is not None:
            self.emit(self.held, send)
            self.held = None

    def release(self, send, now, everything=False):
        """Forwards the delayed datagrams that are due (all of them at the end)."""
        while self.delayed and (everything or self.delayed[0][0] <= now):
            self.emit(heapq.heappop(self.delayed)[2], send)

    def next_due(self):
        return self.delayed[0][0] if self.delayed else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--listen', type=addr, required=True)
    p.add_argument('--to', type=addr, required=True)
    p.add_argument('--seconds', type=float, required=True)
    p.add_argument('--after', type=float, default=1.0)
    p.add_argument('--cut-at', type=float, default=0.0)
    p.add_argument('--cut-for', type=float, default=0.0)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--report', required=True)
    p.add_argument('--delay-ms', type=float, default=20.0)
    for kind in KINDS:
        p.add_argument('--' + kind, type=float, default=0.0)
    a = p.parse_args()
    rates = {k: getattr(a, k) for k in KINDS}
    if sum(rates.values()) > 1:
        p.error('the rates add up to more than 1')

    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(a.listen)
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.connect(a.to)
    for s in (front, back):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.setblocking(False)
    rng = random.Random(a.seed)
    up = Direction('client_to_server', rates, rng, a.delay_ms / 1000)
    down = Direction('server_to_client', rates, rng, a.delay_ms / 1000)
    client = None
    start = time.monotonic()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    end = start + a.seconds

    def to_server(data):
        try:
            back.send(data)
        except OSError:
            pass

    def to_client(data):
        try:
            front.sendto(data, client)
        except OSError:
            pass

    while time.monotonic() < end and not stopping:
        wait = 0.05
        for due in (up.next_due(), down.next_due()):
            if due is not None:
                wait = max(0.0, min(wait, due - time.monotonic()))
        try:
            readable, _, _ = select.select([front, back], [], [], wait)
        except InterruptedError:
            continue
        up.release(to_server, time.monotonic())
        if client is not None:
            down.release(to_client, time.monotonic())
        now = time.monotonic() - start
        faulty = now >= a.after
        cut = a.cut_for > 0 and a.cut_at <= now < a.cut_at + a.cut_for
        for s in readable:
            for _ in range(64):
                try:
                    data, src = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if s is front:
                    if client is None:
                        client = src
                    if src != client:
                        continue	# only the first client is relayed
                    way, send = up, to_server
                else:
                    if client is None:
                        continue
                    way, send = down, to_client
                if cut:
                    way.count['in'] += 1
                    way.count['cut'] += 1
                    continue
                way.handle(data, faulty, send)
        if not readable:
            up.flush(to_server)
            if client is not None:
                down.flush(to_client)
    # What is still held goes out before the report, so that "out" is all either end gets.
    up.flush(to_server)
    up.release(to_server, 0, everything=True)
    if client is not None:
        down.flush(to_client)
        down.release(to_client, 0, everything=True)
    with open(a.report, 'w') as f:
        json.dump({up.name: up.count, down.name: down.count}, f, indent=1)


if __name__ == '__main__':
    main()
