#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# zcvpn.1 and the commands' --help stay in step: every option a command form's --help
# names is documented (a .TP heading) in that form's section of the page, or among the
# REPORT OPTIONS, and every option a section documents is one its form's --help names.
# Also: groff finds nothing to warn about, the page lists every exit status of enum
# cli_exit, `zcvpn help FORM` prints each form's usage, and an unknown form is status 2.
set -u
builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
zcvpn=$builddir/zcvpn
page=$srcdir/src/cli/zcvpn.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# form  the section's title in the page (.SS)
forms="
demo|demo
connect-anyconnect|connect --protocol anyconnect https://SERVER
connect-ppp|connect --protocol f5|fortinet https://SERVER
connect|connect, serve (a tunnel with given keys)
serve|connect, serve (a tunnel with given keys)
serve-ppp|serve --protocol f5|fortinet|nullppp --listen ADDR:PORT
serve-anyconnect|serve --protocol anyconnect --listen ADDR:PORT
genkey|genkey
"
while IFS='|' read -r form _; do
	[ -n "$form" ] || continue
	if ! "$zcvpn" help "$form" >"$work/help-$form" 2>&1 || ! grep -q '^Usage: zcvpn' "$work/help-$form"; then
		echo "FAIL: zcvpn help $form"
		cat "$work/help-$form"
		fail=1
	fi
done <<<"$forms"
if "$zcvpn" help no-such-command >/dev/null 2>&1 || [ $? -ne 2 ]; then
	echo "FAIL: zcvpn help no-such-command is not status 2"
	fail=1
fi

python3 - "$page" "$work" "$srcdir/src/cli/cli.h" <<PY || fail=1
import re, sys
page, work, cli_h = sys.argv[1:4]
forms = """$forms"""
lines = open(page).read().split("\n")

# Sections: .SH and .SS titles; the options each documents, from its .TP headings.
sections, title, heading_next = {}, None, False
for line in lines:
    m = re.match(r'^\.S[HS] "?(.*?)"?$', line)
    if m:
        title = m.group(1).replace("\\\\-", "-")
        sections.setdefault(title, set())
        continue
    if line.startswith(".TP"):
        heading_next = True
        continue
    if heading_next and title is not None:
        for opt in re.findall(r'\\\\-\\\\-([a-z0-9]+(?:\\\\-[a-z0-9]+)*)', line):
            sections[title].add(opt.replace("\\\\-", "-"))
    heading_next = False

report = sections.get("REPORT OPTIONS", set())
ok = True
if not report:
    print("FAIL: the page has no REPORT OPTIONS")
    ok = False
by_section = {}
for row in forms.strip().split("\n"):
    form, sec = row.split("|", 1)
    # The options a --help defines: its Usage block, and the lines that start with one
    # (prose that names another command's option is no definition).
    text, usage = [], False
    for line in open("%s/help-%s" % (work, form)).read().split("\n"):
        usage = line.startswith("Usage:") or (usage and line.startswith(" "))
        if usage or re.match(r'^\s+--', line):
            text.append(line)
    opts = set(re.findall(r'(?<![\w-])--([a-z0-9]+(?:-[a-z0-9]+)*)', "\n".join(text)))
    opts -= {"help"}
    if sec not in sections:
        print("FAIL: no section '%s' in the page" % sec)
        ok = False
        continue
    missing = sorted(opts - sections[sec] - report)
    if missing:
        print("FAIL: %s: --help has, the page's '%s' lacks: %s" % (form, sec, " ".join(missing)))
        ok = False
    by_section.setdefault(sec, set()).update(opts)
    print("ok: %s: %d options documented" % (form, len(opts)))
for sec, opts in by_section.items():
    extra = sorted(sections[sec] - opts)
    if extra:
        print("FAIL: the page's '%s' documents what no --help has: %s" % (sec, " ".join(extra)))
        ok = False

# Every exit status the code defines is explained, and no other.
statuses = set(int(v) for v in re.findall(r'CLI_EXIT_\w+ = (\d+)', open(cli_h).read()))
text = "\n".join(lines)
m = re.search(r'\n\.SH EXIT STATUS\n(.*?)\n\.SH ', text, re.S)
listed = set(int(v) for v in re.findall(r'\.TP\n\.B (\d+)\n', m.group(1))) if m else set()
if not statuses or statuses != listed:
    print("FAIL: exit statuses: cli.h has %s, the page lists %s" % (sorted(statuses), sorted(listed)))
    ok = False
else:
    print("ok: exit statuses %s all explained" % sorted(statuses))
sys.exit(0 if ok else 1)
PY

if command -v groff >/dev/null; then
	warnings=$(groff -man -ww -z "$page" 2>&1)
	if [ -n "$warnings" ]; then
		echo "FAIL: groff warns about the page:"
		echo "$warnings"
		fail=1
	else
		echo "ok: groff -man -ww: no warnings"
	fi
else
	no_groff=1
fi

if [ $fail -eq 0 ] && [ -n "${no_groff:-}" ]; then
	echo "SKIP: the rest passed, but groff is not installed to check the page (Debian: groff-base)"
	exit 77
fi
[ $fail -eq 0 ] && echo "script: PASS manpage"
exit $fail
