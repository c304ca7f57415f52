#!/usr/bin/env bash
# fuzz.sh PKG TARGET TIME runs one fuzz target for a fixed time.
#
# go1.26's fuzzing coordinator sometimes stops getting results from its
# workers and then ends the run with "context deadline exceeded" although
# no input failed. That is reported as a warning, not a failure; a failing
# input ("Failing input written to ...") or any other error still fails.
set -uo pipefail
pkg=$1 target=$2 time=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run=NONE -fuzz="^${target}\$" -fuzztime="$time" "$pkg" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] && grep -q "context deadline exceeded" "$out" &&
	! grep -q "Failing input written" "$out" && ! grep -q "^panic:" "$out"; then
	echo "fuzz.sh: warning: $target: the fuzzing coordinator timed out waiting for its workers (a Go toolchain problem); no failing input was found"
	exit 0
fi
exit "$status"
