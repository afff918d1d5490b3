#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Values from the last `zcvpn ... --json` report in a file, one per line.

usage: report-value.py [--role ROLE] FILE NAME...

NAME is a counter ("rx_bad_icv", "copied_bytes") or a dotted field of the report
("sink.good", "transport.state"); a list ("network.dns") prints its items space-separated.
A name the report lacks prints an empty line, as a missing `stat` line used to; a file
without a report exits 1.  The file may hold other output too (events, the login's
lines): the report is the last line that parses as a JSON object with a "counters"
member (and, with --role, that "role": a server's session reports are "server", the
AnyConnect server's own summary "anyconnect-server").
"""
import json
import sys


def last_report(path, role=None):
    found = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "counters" in obj and \
                    (role is None or obj.get("role") == role):
                found = obj
    return found


def lookup(report, name):
    if name in report["counters"]:
        return report["counters"][name]
    value = report
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def main():
    args = sys.argv[1:]
    role = None
    if len(args) > 1 and args[0] == "--role":
        role, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    report = last_report(args[0], role)
    if report is None:
        print("report-value.py: no JSON report in " + args[0], file=sys.stderr)
        sys.exit(1)
    for name in args[1:]:
        print(lookup(report, name))


if __name__ == "__main__":
    main()
