package gdbstub

import "github.com/gouth-emu/gouth-emu/abi"

// The remote protocol numbers signals its own way (gdb's "target signal"
// numbers, the same on every host), not Linux's: SIGUSR1 is 10 on Linux
// and 30 to gdb. Stop replies (T, X) and QPassSignals use gdb's numbers.

// gdbSignals maps Linux's standard signals to gdb's numbers. SIGSTKFLT
// has none: gdb calls it unknown.
var gdbSignals = map[int]int{
	abi.SIGHUP: 1, abi.SIGINT: 2, abi.SIGQUIT: 3, abi.SIGILL: 4, abi.SIGTRAP: 5,
	abi.SIGABRT: 6, abi.SIGFPE: 8, abi.SIGKILL: 9, abi.SIGBUS: 10, abi.SIGSEGV: 11,
	abi.SIGSYS: 12, abi.SIGPIPE: 13, abi.SIGALRM: 14, abi.SIGTERM: 15, abi.SIGURG: 16,
	abi.SIGSTOP: 17, abi.SIGTSTP: 18, abi.SIGCONT: 19, abi.SIGCHLD: 20, abi.SIGTTIN: 21,
	abi.SIGTTOU: 22, abi.SIGIO: 23, abi.SIGXCPU: 24, abi.SIGXFSZ: 25, abi.SIGVTALRM: 26,
	abi.SIGPROF: 27, abi.SIGWINCH: 28, abi.SIGUSR1: 30, abi.SIGUSR2: 31, abi.SIGPWR: 32,
}

// gdbUnknown is gdb's "unknown signal", for one with no gdb number.
const gdbUnknown = 143

// toGDBSignal returns gdb's number for Linux signal sig. The real-time
// signals are gdb's REALTIME_33 to _63 at 45 to 75, REALTIME_32 at 77 and
// REALTIME_64 at 78.
func toGDBSignal(sig int) int {
	if n, ok := gdbSignals[sig]; ok {
		return n
	}
	switch {
	case sig == 32:
		return 77
	case sig >= 33 && sig <= 63:
		return sig - 33 + 45
	case sig == 64:
		return 78
	}
	return gdbUnknown
}
