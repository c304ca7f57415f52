package syscalls

import (
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// TestHistory checks the debugger's syscall history against the strace
// trace of the same calls: the same lines, oldest first, the last N only,
// and paths as the call saw them though the guest rewrote them later.
func TestHistory(t *testing.T) {
	tk := &testKernel{m: newFake()}
	tk.Kernel = NewKernel(Config{Cpus: 2, ExePath: "/guest/hello", FS: FSReadOnly,
		Stdout: &tk.stdout, Stderr: &tk.stderr, Warn: &tk.warn, Trace: &tk.trace, History: 3})
	path := uint64(0x10100)
	tk.m.putStr(path, "/no/such/file")
	tk.call(t, "getpid")
	tk.call(t, "openat", uint64(abi.AT_FDCWD&0xffffffff)|0xffffffff00000000, path, 0, 0)
	tk.m.putStr(path, "/rewritten!!!")
	tk.call(t, "close", 99)
	tk.call(t, "sched_yield")

	trace := strings.Split(strings.TrimSpace(tk.trace.String()), "\n")
	if len(trace) != 4 {
		t.Fatalf("trace has %d lines, want 4:\n%s", len(trace), tk.trace.String())
	}
	tests := []struct {
		n    int
		want []string
	}{
		{1, trace[3:]},
		{3, trace[1:]},
		{10, trace[1:]}, // the ring keeps 3
	}
	for _, tt := range tests {
		got := tk.History(tt.n)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("History(%d):\ngot  %q\nwant %q", tt.n, got, tt.want)
		}
	}
	if !strings.Contains(trace[1], `"/no/such/file"`) || !strings.Contains(trace[1], "ENOENT") {
		t.Errorf("openat traced as %q, want the original path and ENOENT", trace[1])
	}
}
