#!/usr/bin/env bash
# check-demo.sh COMMAND...: runs the README's demo command, shows its output
# as it comes, and fails unless it exited 0 and printed what the README
# promises: the guest's "hello, world", its exit_group(0) in the --strace
# output, and the --stats lines.
set -uo pipefail
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
[ "$status" = 0 ] || fail "the command exited with status $status"
check() { # check DESCRIPTION EXTENDED-REGEX
	grep -Eq "$2" "$out" || fail "no $1 in the output (want a line matching $2)"
}
check "guest output" '^hello, world$'
check "write of the guest's line" '^\[[0-9]+\] write\(1, "hello, world\\n", 13\) = 13$'
check "exit_group(0) line" '^\[[0-9]+\] exit_group\(0\) = \?$'
check "instruction counts" '^gouth-emu: stats: [0-9]+ instructions, [0-9]+ blocks, [0-9]+ syscalls, [0-9]+ threads created$'
check "time and memory stats" '^gouth-emu: stats: virtual time .*, wall time .*, peak guest memory [0-9]+ KiB$'
check "syscall counts" '^gouth-emu: stats: syscalls by name: .*exit_group 1'
check "startup times" '^gouth-emu: stats: startup wall time .* to the first instruction'
echo "demo: ok (hello, world; exit_group(0); stats)"
