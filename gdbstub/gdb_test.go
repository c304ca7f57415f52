package gdbstub

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
)

// newTarget starts bin under a target, its output discarded; it is
// closed when the test ends.
func newTarget(t *testing.T, bin string) *target.Target {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.New(f, target.Config{Args: []string{bin}, Env: []string{}, Cpus: 2, Stdout: io.Discard, Stderr: io.Discard, Warn: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	return tg
}

// serveOne serves one client on a loopback port with Serve(conn, tg),
// the connection closed after two minutes at the latest; it returns the
// address and Serve's result. The listener closes when the test ends.
func serveOne(t *testing.T, tg Target) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(2 * time.Minute))
		served <- Serve(nc, tg)
	}()
	return ln.Addr().String(), served
}

// runGDB serves tg on a loopback port and runs Debian's gdb in batch mode
// on bin against it, with cmds; it returns gdb's output and Serve's
// error. The test is skipped without gdb.
func runGDB(t *testing.T, tg *target.Target, bin string, cmds ...string) (string, error) {
	t.Helper()
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	addr, served := serveOne(t, tg)
	args := []string{"-nx", "-batch", "-iex", "set auto-load python-scripts off",
		"-ex", "set remotetimeout 30", "-ex", "set pagination off", "-ex", "target remote " + addr}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, append(args, bin)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = nil
	if err := cmd.Run(); err != nil {
		t.Fatalf("gdb: %v\n%s", err, out.Bytes())
	}
	t.Logf("gdb:\n%s", out.Bytes())
	select {
	case err = <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not end after gdb")
	}
	return out.String(), err
}

// hexes returns the first submatch of re in out, as numbers, for each
// match.
func hexes(t *testing.T, out, re string) []uint64 {
	t.Helper()
	var vs []uint64
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseUint(m[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// TestGDBSession drives gdb through the stub on the hello guest of go1.11.1
// and of the machine's go: a breakpoint on runtime.schedinit, continue,
// registers, bt, threads, memory at rsp, stepi, kill. Each answer is
// checked against a second target on the same binary run to the same
// breakpoint and stepped the same way.
func TestGDBSession(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []*testbin.Toolchain{testbin.Go111, testbin.Machine} {
		t.Run(tc.Short, func(t *testing.T) {
			if _, err := exec.LookPath("gdb"); err != nil {
				t.Skip("gdb is not installed")
			}
			bin := tc.BuildGuest(t, root, "hello", t.TempDir())
			out, err := runGDB(t, newTarget(t, bin), bin,
				"break runtime.schedinit", "continue",
				"info registers rip rsp",
				"bt", "info threads", "x/4gx $rsp",
				"stepi", "info registers rip rsp",
				"kill")
			if err != ErrKilled {
				t.Errorf("Serve: %v, want ErrKilled (gdb's kill)", err)
			}
			for _, bad := range []string{"Remote failure", "Ignoring packet error", "warning: Invalid", "not in executable format", "unknown architecture"} {
				if bytes.Contains([]byte(out), []byte(bad)) {
					t.Errorf("gdb's output has %q", bad)
				}
			}
			bps := hexes(t, out, `Breakpoint 1 at 0x([0-9a-f]+)`)
			rips := hexes(t, out, `(?m)^rip\s+0x([0-9a-f]+)`)
			rsps := hexes(t, out, `(?m)^rsp\s+0x([0-9a-f]+)`)
			var words []uint64 // x/4gx: two lines of two words
			for _, m := range regexp.MustCompile(`(?m)^0x[0-9a-f]+:\s+0x([0-9a-f]{16})\s+0x([0-9a-f]{16})$`).FindAllStringSubmatch(out, -1) {
				for _, h := range m[1:] {
					v, _ := strconv.ParseUint(h, 16, 64)
					words = append(words, v)
				}
			}
			var tids []string // gdb numbers threads by tid, in decimal
			for _, m := range regexp.MustCompile(`Thread (\d+) `).FindAllStringSubmatch(out, -1) {
				tids = append(tids, m[1])
			}
			if len(bps) != 1 || len(rips) != 2 || len(rsps) != 2 || len(words) != 4 || len(tids) == 0 {
				t.Fatalf("cannot read gdb's output: breakpoint %x, rip %x, rsp %x, x/4gx %x, threads %x", bps, rips, rsps, words, tids)
			}
			if !regexp.MustCompile(`(?m)^#0\s+(0x[0-9a-f]+ in )?runtime\.schedinit \(\)`).MatchString(out) ||
				!regexp.MustCompile(`(?m)^#1\s+0x[0-9a-f]+ in runtime\.rt0_go \(\)`).MatchString(out) {
				t.Errorf("bt is not schedinit called from rt0_go")
			}
			if !regexp.MustCompile(`Breakpoint 1(\.\d+)?, (0x[0-9a-f]+ in )?runtime\.schedinit \(\)`).MatchString(out) {
				t.Errorf("gdb did not report the breakpoint")
			}

			// The same point reached directly. gdb may have put the
			// breakpoint in more than one place (schedinit and a copy
			// inlined elsewhere): the first it reports and the one it
			// stopped at are set, and the run must stop at the latter.
			ref := newTarget(t, bin)
			at := []uint64{bps[0]}
			if rips[0] != bps[0] {
				at = append(at, rips[0])
			}
			for _, a := range at {
				if err := ref.AddBreakpoint(a, target.User); err != nil {
					t.Fatal(err)
				}
			}
			st := ref.Continue(target.Resume{})
			if st.Kind != target.StopBreakpoint || st.PC != rips[0] {
				t.Fatalf("reference run: stop %v at %#x, want the breakpoint at %#x", st.Kind, st.PC, rips[0])
			}
			ref.Select(st.Tid)
			if got, want := rips[0], ref.Reg(abi.RIP); got != want {
				t.Errorf("rip at the breakpoint: gdb %#x, target %#x", got, want)
			}
			if got, want := rsps[0], ref.Reg(abi.RSP); got != want {
				t.Errorf("rsp at the breakpoint: gdb %#x, target %#x", got, want)
			}
			mem := make([]byte, 32)
			if err := ref.Peek(ref.Reg(abi.RSP), mem); err != nil {
				t.Fatal(err)
			}
			for i, w := range words {
				if want := binary.LittleEndian.Uint64(mem[8*i:]); w != want {
					t.Errorf("x/4gx $rsp word %d: gdb %#x, target %#x", i, w, want)
				}
			}
			var want []string
			for _, th := range ref.Threads() {
				want = append(want, fmt.Sprint(th.Tid))
			}
			if fmt.Sprint(tids) != fmt.Sprint(want) {
				t.Errorf("info threads: gdb lists threads %v, the target has %v", tids, want)
			}
			for _, a := range at {
				if err := ref.RemoveBreakpoint(a, target.User); err != nil {
					t.Fatal(err)
				}
			}
			if st := ref.StepInstruction(1); st.Kind != target.StopStep {
				t.Fatalf("reference stepi: stop %v", st.Kind)
			}
			if got, want := rips[1], ref.Reg(abi.RIP); got != want {
				t.Errorf("rip after stepi: gdb %#x, target %#x", got, want)
			}
			if got, want := rsps[1], ref.Reg(abi.RSP); got != want {
				t.Errorf("rsp after stepi: gdb %#x, target %#x", got, want)
			}
		})
	}
}

// TestGDBWatchAndExit sets a write watchpoint through gdb on a variable
// the runtime sets after schedinit starts, continues to it, then
// continues to the guest's end.
func TestGDBWatchAndExit(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb is not installed")
	}
	bin := testbin.Go111.BuildGuest(t, root, "hello", t.TempDir())
	out, err := runGDB(t, newTarget(t, bin), bin,
		"break runtime.schedinit", "continue", "delete",
		"set language c", "watch *(int *)&'runtime.gomaxprocs'", "continue",
		"info registers rip", "delete", "continue")
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	for _, want := range []string{
		`Hardware watchpoint 2: \*\(int \*\)&'runtime.gomaxprocs'`,
		`Old value = 0\s+New value = 2`,
		`runtime\.procresize`,
		`\[Inferior 1 \(Remote target\) exited normally\]`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("gdb's output lacks %#q", want)
		}
	}
}

// TestGDBSignalNumbers has gdb name the signal of each stop reply: a fake
// target stops with every Linux signal in turn, and gdb must call each by
// its Linux name, which checks the translation to gdb's numbers.
func TestGDBSignalNumbers(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	var sigs []int
	for sig := 1; sig <= abi.NSIG; sig++ {
		// SIGSTKFLT has no gdb number (it is gdb's unknown signal, as
		// under gdbserver); SIGINT and SIGTRAP are not reported by name.
		if sig != abi.SIGKILL && sig != abi.SIGSTOP && sig != abi.SIGINT && sig != abi.SIGTRAP && sig != abi.SIGSTKFLT {
			sigs = append(sigs, sig)
		}
	}
	fk := newFake()
	for _, sig := range sigs {
		st := stopAt(target.StopSignal, 1000, 0x1000)
		st.Signal = sig
		fk.stops = append(fk.stops, st)
	}
	fk.stops = append(fk.stops, exitStop(0, 0))
	addr, served := serveOne(t, fk)
	args := []string{"-nx", "-batch", "-ex", "set remotetimeout 30", "-ex", "target remote " + addr,
		"-ex", "handle all stop print"}
	for range sigs {
		args = append(args, "-ex", "continue")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gdb, append(args, "-ex", "continue")...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`received signal (SIG\w+)`).FindAllSubmatch(out, -1) {
		got = append(got, string(m[1]))
	}
	var want []string
	for _, sig := range sigs {
		name := abi.SignalName(sig)
		if sig >= 32 {
			name = fmt.Sprintf("SIG%d", sig) // gdb's names for real-time signals
		}
		want = append(want, name)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("gdb named the signals\n%v\nwant\n%v\n%s", got, want, out)
	}
}

// signalingTarget tells running when a Continue starts.
type signalingTarget struct {
	*target.Target
	running chan struct{}
}

func (s signalingTarget) Continue(r target.Resume) target.Stop {
	select {
	case s.running <- struct{}{}:
	default:
	}
	return s.Target.Continue(r)
}

// TestGDBInterrupt interrupts gdb's continue on a guest that never ends
// with SIGINT to gdb, which sends Ctrl-C: gdb reports SIGINT where a thread is
// (main.main's loop, mostly), and the kill that follows ends the session.
func TestGDBInterrupt(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := testbin.Machine.BuildGuest(t, root, "spin", t.TempDir())
	tg := signalingTarget{newTarget(t, bin), make(chan struct{}, 1)}
	addr, served := serveOne(t, tg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, "-nx", "-batch", "-iex", "set auto-load python-scripts off",
		"-ex", "set remotetimeout 30", "-ex", "target remote "+addr,
		"-ex", "break main.main", "-ex", "continue", "-ex", "delete", "-ex", "continue",
		"-ex", "bt 1", "-ex", "kill", bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-tg.running // to main.main
		<-tg.running // the endless continue
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(os.Interrupt)
	}()
	err = cmd.Wait()
	t.Logf("gdb:\n%s", out.Bytes())
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	if err := <-served; err != ErrKilled {
		t.Errorf("Serve: %v, want ErrKilled", err)
	}
	// The interrupt stops whichever thread is on the CPU: the spinning
	// main goroutine's, or an M that the scheduler ran for a moment.
	for _, want := range []string{`received signal SIGINT`, `(?m)^#0\s+\S`, `\[Inferior 1 \(Remote target\) killed\]`} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("gdb's output lacks %#q", want)
		}
	}
}

// TestGDBServerCommand runs gouth-emu gdbserver (GOUTH_EMU; skipped
// without it) on --listen 127.0.0.1:0 with the hello guest: it prints the
// target remote line, gdb continues the guest to its end, the guest's
// output is the command's and the command exits 0.
func TestGDBServerCommand(t *testing.T) {
	emu := os.Getenv("GOUTH_EMU")
	if emu == "" {
		t.Skip("GOUTH_EMU is not set")
	}
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := testbin.Go111.BuildGuest(t, root, "hello", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server := exec.CommandContext(ctx, emu, "gdbserver", "--listen", "127.0.0.1:0", bin)
	var stdout bytes.Buffer
	server.Stdout = &stdout
	stderr, err := server.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	var banner []byte
	addr := ""
	buf := make([]byte, 256)
	for addr == "" {
		n, err := stderr.Read(buf)
		banner = append(banner, buf[:n]...)
		if m := regexp.MustCompile(`target remote (127\.0\.0\.1:\d+)\n`).FindSubmatch(banner); m != nil {
			addr = string(m[1])
		}
		if err != nil {
			t.Fatalf("gdbserver's banner %q: %v", banner, err)
		}
	}
	out, err := exec.CommandContext(ctx, gdb, "-nx", "-batch", "-iex", "set auto-load python-scripts off",
		"-ex", "target remote "+addr, "-ex", "continue", bin).CombinedOutput()
	t.Logf("gdbserver: %s\ngdb:\n%s", banner, out)
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	rest, _ := io.ReadAll(stderr)
	if err := server.Wait(); err != nil {
		t.Errorf("gdbserver: %v\n%s", err, rest)
	}
	if !bytes.Contains(out, []byte("exited normally")) {
		t.Errorf("gdb did not see the guest exit normally")
	}
	if got := stdout.String(); got != "hello, world\n" {
		t.Errorf("guest output %q, want \"hello, world\\n\"", got)
	}
}

// TestGDBFault continues the nilpanic guest: gdb stops at the guest's
// SIGSEGV in main.get before the runtime's handler runs, and continuing
// lets the handler turn it into the panic that exits with status 2.
func TestGDBFault(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb is not installed")
	}
	bin := testbin.Machine.BuildGuest(t, root, "nilpanic", t.TempDir())
	out, err := runGDB(t, newTarget(t, bin), bin, "continue", "bt 1", "continue")
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	for _, want := range []string{
		`Thread 1 received signal SIGSEGV, Segmentation fault\.\s+main\.get \(`,
		`(?m)^#0\s+main\.get \(`,
		`\[Inferior 1 \(Remote target\) exited with code 02\]`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("gdb's output lacks %#q", want)
		}
	}
}
