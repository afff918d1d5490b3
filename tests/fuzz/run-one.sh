#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One harness of 'make fuzz': runs TARGET (tests/fuzz/fuzz_NAME) for SECONDS from its
# corpora (fuzz-corpus/NAME, where new inputs go, and SRCDIR's tests/fuzz/corpus/NAME),
# with crashes kept in fuzz-artifacts/, and prints one line: its executions, the edges
# covered and the inputs.  Exits 1 (after the log's tail) if the harness found anything.
target=$1 seconds=$2 srcdir=$3
name=${target##*/fuzz_}
mkdir -p "fuzz-corpus/$name" fuzz-artifacts
if "./$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="fuzz-artifacts/$name-" "fuzz-corpus/$name" "$srcdir/tests/fuzz/corpus/$name" \
	>"fuzz-$name.log" 2>&1; then
	res=ok
else
	res=FAILED
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-$name.log")
cov=$(grep -o 'cov: [0-9]*' "fuzz-$name.log" | tail -n 1)
corpus=$(ls "fuzz-corpus/$name" "$srcdir/tests/fuzz/corpus/$name" | wc -l)
echo "fuzz $name: $res, ${execs:-?} executions in $seconds s, ${cov:-cov: ?} edges, $corpus inputs"
[ "$res" = ok ] || { tail -n 40 "fuzz-$name.log"; exit 1; }
