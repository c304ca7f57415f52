package unwind

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

// chainSrc is a guest with a known call chain main.main → main.f → main.g
// and a call of add inlined into main.f. Line numbers matter: add is on
// line 7, the calls in f on line 21, the call of f on line 25.
const chainSrc = `package main

import "os"

var sink int

func add(a, b int) int { return a*b + sink }

//go:noinline
func g(x int) int {
	var buf [64]byte
	for i := range buf {
		buf[i] = byte(x + i)
	}
	sink += int(buf[x&63])
	return sink
}

//go:noinline
func f(x int) int {
	return add(g(x+1), 2)
}

func main() {
	os.Exit(f(len(os.Args)) & 0)
}
`

// buildChain builds chainSrc with the toolchain, once per run.
func buildChain(t *testing.T, tc *testbin.Toolchain) string {
	t.Helper()
	return testbin.Build(t, tc.Need(t), map[string]string{"main.go": chainSrc}, tc.Env())
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.RemoveBuilds()
	os.Exit(code)
}

func goTool(t *testing.T) string { return testbin.GoTool(t) }

// go117Binary decodes the go1.17 hello world shipped in GOROOT.
func go117Binary(t *testing.T) string { return testbin.Go117Binary(t, goTool(t)) }

// chainBinaries are the toolchains chainSrc is built with.
var chainBinaries = testbin.Toolchains

// insn is an instruction from go tool objdump, an independent decoder.
type insn = testbin.Insn

func objdump(t *testing.T, path, re string) map[string][]insn {
	t.Helper()
	code, _ := testbin.Objdump(t, goTool(t), path, re)
	return code
}

// returnAddr returns the address after the first call of callee in
// caller's code.
func returnAddr(t *testing.T, code map[string][]insn, caller, callee string) uint64 {
	t.Helper()
	for _, in := range code[caller] {
		if in.Asm == "CALL "+callee+"(SB)" {
			return in.Addr + in.Size
		}
	}
	t.Fatalf("no call of %s in %s", callee, caller)
	return 0
}

// bodyPC returns the first pc of fn where its whole frame is allocated
// (the largest stack pointer delta).
func bodyPC(t *testing.T, f *loader.File, code map[string][]insn, name string) uint64 {
	t.Helper()
	best, bestDelta := uint64(0), int64(-1)
	for _, in := range code[name] {
		if d, ok := f.SPDelta(in.Addr); ok && d > bestDelta {
			best, bestDelta = in.Addr, d
		}
	}
	if bestDelta <= 0 {
		t.Fatalf("%s: no frame", name)
	}
	return best
}

// stack is a fake guest memory of 8-byte words.
type stack map[uint64]uint64

func (s stack) Peek(addr uint64, p []byte) error {
	for i := 0; i < len(p); i += 8 {
		w, ok := s[addr+uint64(i)]
		if !ok || len(p)-i < 8 {
			return fmt.Errorf("unmapped address %#x", addr+uint64(i))
		}
		binary.LittleEndian.PutUint64(p[i:], w)
	}
	return nil
}

const stackTop = 0xc000100000

// build lays out a stack for the innermost pc and a list of return
// addresses: each return address goes where the pcsp table of the frame
// below it says. It returns the stack and each frame's SP.
func build(t *testing.T, f *loader.File, pc uint64, rets []uint64, injected map[int]bool) (stack, []uint64) {
	t.Helper()
	mem := stack{}
	sp := uint64(stackTop - 0x1000)
	sps := []uint64{sp}
	for i, ret := range rets {
		at := pc
		if i > 0 && !injected[i-1] {
			at = pc - 1
		}
		d, ok := f.SPDelta(at)
		if !ok {
			t.Fatalf("no SPDelta at %#x", at)
		}
		mem[sp+uint64(d)] = ret
		sp += uint64(d) + 8
		sps = append(sps, sp)
		pc = ret
	}
	return mem, sps
}

type want struct {
	fn      string
	pc, sp  uint64
	callPC  uint64
	inlined bool
	line    int // 0: as gosym's LineForPC(callPC) says
}

func check(t *testing.T, f *loader.File, got []Frame, wants []want) {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wants) {
		t.Errorf("got %d frames, want %d", len(got), len(wants))
	}
	for i := 0; i < len(got) && i < len(wants); i++ {
		g, w := got[i], wants[i]
		wfile, wline, _ := syms.LineForPC(w.callPC)
		if w.line != 0 {
			wline = w.line
		}
		if g.Func != w.fn || g.PC != w.pc || g.SP != w.sp || g.CallPC != w.callPC || g.Inlined != w.inlined || g.Line != wline {
			t.Errorf("frame %d: got %s pc %#x sp %#x call pc %#x inlined %v line %d, want %s pc %#x sp %#x call pc %#x inlined %v line %d",
				i, g.Func, g.PC, g.SP, g.CallPC, g.Inlined, g.Line, w.fn, w.pc, w.sp, w.callPC, w.inlined, wline)
		}
		if !w.inlined && g.File != wfile {
			t.Errorf("frame %d (%s): file %s, want %s", i, g.Func, g.File, wfile)
		}
		if fn, ok := f.FuncAt(w.callPC); !ok || g.Entry != fn.Entry {
			t.Errorf("frame %d (%s): entry %#x", i, g.Func, g.Entry)
		}
	}
}

// chain is what the tests need from a build of chainSrc.
type chain struct {
	f                *loader.File
	code             map[string][]insn
	retF, retG       uint64 // after the calls of main.f in main.main, of main.g in main.f
	pcG              uint64 // in main.g, after the prologue
	goexit           uint64 // runtime.goexit+1, where goroutines "return"
	entryG, inlinedF uint64 // main.g's entry; a pc of add inlined in main.f
}

func loadChain(t *testing.T, tc *testbin.Toolchain) *chain {
	t.Helper()
	path := buildChain(t, tc)
	f, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	code := objdump(t, path, `^(main\.(main|f|g)|runtime\.(goexit|sigpanic|systemstack))(\.abi0)?$`)
	c := &chain{f: f, code: code}
	c.retF = returnAddr(t, code, "main.main", "main.f")
	c.retG = returnAddr(t, code, "main.f", "main.g")
	c.pcG = bodyPC(t, f, code, "main.g")
	c.entryG = code["main.g"][0].Addr
	goexit := code["runtime.goexit"]
	if goexit == nil {
		goexit = code["runtime.goexit.abi0"]
	}
	c.goexit = goexit[0].Addr + 1
	for _, in := range code["main.f"] {
		if in.Pos == "main.go:7" {
			c.inlinedF = in.Addr
			break
		}
	}
	if c.inlinedF == 0 {
		t.Fatal("add is not inlined into main.f")
	}
	return c
}

func TestUnwindChain(t *testing.T) {
	for _, tc := range chainBinaries {
		t.Run(tc.Short, func(t *testing.T) {
			c := loadChain(t, tc)
			mem, sps := build(t, c.f, c.pcG, []uint64{c.retG, c.retF, c.goexit}, nil)
			frames, err := Unwind(c.f, mem, c.pcG, sps[0], 0)
			if err != nil {
				t.Errorf("Unwind: %v", err)
			}
			check(t, c.f, frames, []want{
				{fn: "main.g", pc: c.pcG, sp: sps[0], callPC: c.pcG},
				{fn: "main.f", pc: c.retG, sp: sps[1], callPC: c.retG - 1, line: 21},
				{fn: "main.main", pc: c.retF, sp: sps[2], callPC: c.retF - 1, line: 25},
				{fn: "runtime.goexit", pc: c.goexit, sp: sps[3], callPC: c.goexit - 1},
			})
		})
	}
}

func TestUnwindInlined(t *testing.T) {
	for _, tc := range chainBinaries {
		t.Run(tc.Short, func(t *testing.T) {
			c := loadChain(t, tc)
			mem, sps := build(t, c.f, c.inlinedF, []uint64{c.retF, c.goexit}, nil)
			frames, err := Unwind(c.f, mem, c.inlinedF, sps[0], 0)
			if err != nil {
				t.Errorf("Unwind: %v", err)
			}
			check(t, c.f, frames, []want{
				{fn: "main.add", pc: c.inlinedF, sp: sps[0], callPC: c.inlinedF, inlined: true, line: 7},
				{fn: "main.f", pc: c.inlinedF, sp: sps[0], callPC: c.inlinedF, line: 21},
				{fn: "main.main", pc: c.retF, sp: sps[1], callPC: c.retF - 1, line: 25},
				{fn: "runtime.goexit", pc: c.goexit, sp: sps[2], callPC: c.goexit - 1},
			})
			if len(frames) > 0 && !strings.HasSuffix(frames[0].File, "/main.go") {
				t.Errorf("inlined frame file %s", frames[0].File)
			}
		})
	}
}

// TestUnwindSigpanic checks a frame below an injected call: the signal
// handler makes a fault at main.g's first instruction look like a call of
// runtime.sigpanic from there, so the "return address" is main.g's entry
// and must not be moved back into the function before it.
func TestUnwindSigpanic(t *testing.T) {
	for _, tc := range chainBinaries {
		t.Run(tc.Short, func(t *testing.T) {
			c := loadChain(t, tc)
			pc := bodyPC(t, c.f, c.code, "runtime.sigpanic")
			mem, sps := build(t, c.f, pc, []uint64{c.entryG, c.retG, c.retF, c.goexit}, map[int]bool{0: true})
			frames, err := Unwind(c.f, mem, pc, sps[0], 0)
			if err != nil {
				t.Errorf("Unwind: %v", err)
			}
			check(t, c.f, frames, []want{
				{fn: "runtime.sigpanic", pc: pc, sp: sps[0], callPC: pc},
				{fn: "main.g", pc: c.entryG, sp: sps[1], callPC: c.entryG, line: 10},
				{fn: "main.f", pc: c.retG, sp: sps[2], callPC: c.retG - 1, line: 21},
				{fn: "main.main", pc: c.retF, sp: sps[3], callPC: c.retF - 1, line: 25},
				{fn: "runtime.goexit", pc: c.goexit, sp: sps[4], callPC: c.goexit - 1},
			})
		})
	}
}

func TestUnwindStops(t *testing.T) {
	for _, tc := range chainBinaries {
		t.Run(tc.Short, func(t *testing.T) {
			c := loadChain(t, tc)
			full, sps := build(t, c.f, c.pcG, []uint64{c.retG, c.retF, c.goexit}, nil)
			without := func(sp uint64) stack {
				s := stack{}
				for k, v := range full {
					if k < sp {
						s[k] = v
					}
				}
				return s
			}
			names := func(frames []Frame) string {
				var s []string
				for _, fr := range frames {
					s = append(s, fr.Func)
				}
				return strings.Join(s, " ")
			}

			// Memory ends below main.main's return address.
			frames, err := Unwind(c.f, without(sps[2]), c.pcG, sps[0], 0)
			if !errors.Is(err, ErrIncomplete) || names(frames) != "main.g main.f main.main" {
				t.Errorf("unreadable stack: got %s, %v", names(frames), err)
			}

			// A return address outside the text.
			bad := without(sps[2])
			for k := range full {
				if k >= sps[1] && k < sps[2] {
					bad[k] = 0x10
				}
			}
			frames, err = Unwind(c.f, bad, c.pcG, sps[0], 0)
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(fmt.Sprint(err), "not in any function") || names(frames) != "main.g main.f" {
				t.Errorf("bad return address: got %s, %v", names(frames), err)
			}

			// At most two frames.
			frames, err = Unwind(c.f, full, c.pcG, sps[0], 2)
			if err != ErrMaxFrames || names(frames) != "main.g main.f" {
				t.Errorf("max 2: got %s, %v", names(frames), err)
			}
			// Exactly as many as there are.
			frames, err = Unwind(c.f, full, c.pcG, sps[0], 4)
			if err != nil || len(frames) != 4 {
				t.Errorf("max 4: got %s, %v", names(frames), err)
			}

			// A pc outside any function.
			frames, err = Unwind(c.f, full, 0x10, sps[0], 0)
			if !errors.Is(err, ErrIncomplete) || frames != nil {
				t.Errorf("pc 0x10: got %s, %v", names(frames), err)
			}

			// main.g called by runtime.systemstack, on the system
			// stack: the walk cannot go on past the stack switch.
			sys := c.code["runtime.systemstack"]
			if sys == nil {
				sys = c.code["runtime.systemstack.abi0"]
			}
			var ret uint64
			for _, in := range sys {
				if strings.HasPrefix(in.Asm, "CALL") && ret == 0 && strings.Contains(in.Asm, "DI") {
					ret = in.Addr + in.Size
				}
			}
			if ret == 0 {
				t.Fatal("no indirect call in runtime.systemstack")
			}
			mem, sps := build(t, c.f, c.pcG, []uint64{ret, c.goexit}, nil)
			frames, err = Unwind(c.f, mem, c.pcG, sps[0], 0)
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(fmt.Sprint(err), "switches stacks") || names(frames) != "main.g runtime.systemstack" {
				t.Errorf("systemstack: got %s, %v", names(frames), err)
			}
			var sw *SwitchError
			if !errors.As(err, &sw) || sw.Func != "runtime.systemstack" {
				t.Errorf("systemstack: error %#v is not a SwitchError for runtime.systemstack", err)
			}
		})
	}
}

// TestWalkReturn starts a walk at a saved return address, as a goroutine
// switched out by runtime.mcall or morestack leaves in g.sched: the frame
// is main.f's at the call of main.g, as when unwinding from main.g.
func TestWalkReturn(t *testing.T) {
	for _, tc := range chainBinaries {
		t.Run(tc.Short, func(t *testing.T) {
			c := loadChain(t, tc)
			mem, sps := build(t, c.f, c.pcG, []uint64{c.retG, c.retF, c.goexit}, nil)
			frames, err := Walk(c.f, mem, Start{PC: c.retG, SP: sps[1], Return: true}, 0)
			if err != nil {
				t.Errorf("Walk: %v", err)
			}
			check(t, c.f, frames, []want{
				{fn: "main.f", pc: c.retG, sp: sps[1], callPC: c.retG - 1, line: 21},
				{fn: "main.main", pc: c.retF, sp: sps[2], callPC: c.retF - 1, line: 25},
				{fn: "runtime.goexit", pc: c.goexit, sp: sps[3], callPC: c.goexit - 1},
			})
			// Without Return, the pc is the next instruction's.
			frames, _ = Walk(c.f, mem, Start{PC: c.retG, SP: sps[1]}, 1)
			if len(frames) != 1 || frames[0].CallPC != c.retG {
				t.Errorf("Walk without Return: %+v", frames)
			}
		})
	}
}

// TestUnwindSigtramp checks that a walk ends at runtime.sigtramp, the
// entry of signal handlers, even where the binary does not flag it as a
// top frame (go1.17): above it is the kernel's signal frame, whose first
// word, the restorer's address, is no return address.
func TestUnwindSigtramp(t *testing.T) {
	bins := []struct {
		name string
		path func(*testing.T) string
	}{
		{"go1.17", go117Binary},
	}
	for _, tc := range testbin.Toolchains {
		bins = append(bins, struct {
			name string
			path func(*testing.T) string
		}{tc.Short, func(t *testing.T) string { return buildChain(t, tc) }})
	}
	for _, b := range bins {
		t.Run(b.name, func(t *testing.T) {
			path := b.path(t)
			f, err := loader.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			code := objdump(t, path, `^runtime\.(sigtramp|sigreturn|sigreturn__sigaction)(\.abi0)?$`)
			name := "runtime.sigtramp"
			if code[name] == nil {
				name += ".abi0"
			}
			var restorer uint64
			for n, c := range code {
				if strings.HasPrefix(n, "runtime.sigreturn") {
					restorer = c[0].Addr
				}
			}
			if code[name] == nil || restorer == 0 {
				t.Fatalf("no sigtramp or sigreturn in %s", path)
			}
			pc := bodyPC(t, f, code, name)
			mem, sps := build(t, f, pc, []uint64{restorer}, nil)
			frames, err := Unwind(f, mem, pc, sps[0], 0)
			if err != nil || len(frames) != 1 || frames[0].Func != "runtime.sigtramp" {
				t.Errorf("got %+v, %v; want runtime.sigtramp alone", frames, err)
			}
		})
	}
}

// TestUnwindRuntime unwinds a chain in the runtime, present in every
// version: runtime.makechan called by runtime.gcenable called by
// runtime.main, the first function of the main goroutine.
func TestUnwindRuntime(t *testing.T) {
	bins := []struct {
		name string
		path func(*testing.T) string
	}{
		{"go1.17", go117Binary},
	}
	for _, tc := range testbin.Toolchains {
		bins = append(bins, struct {
			name string
			path func(*testing.T) string
		}{tc.Short, func(t *testing.T) string { return buildChain(t, tc) }})
	}
	for _, b := range bins {
		t.Run(b.name, func(t *testing.T) {
			path := b.path(t)
			f, err := loader.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			code := objdump(t, path, `^runtime\.(main|gcenable|makechan|goexit)(\.abi0)?$`)
			retMain := returnAddr(t, code, "runtime.main", "runtime.gcenable")
			retGC := returnAddr(t, code, "runtime.gcenable", "runtime.makechan")
			pc := bodyPC(t, f, code, "runtime.makechan")
			goexit := code["runtime.goexit"]
			if goexit == nil {
				goexit = code["runtime.goexit.abi0"]
			}
			mem, sps := build(t, f, pc, []uint64{retGC, retMain, goexit[0].Addr + 1}, nil)
			frames, err := Unwind(f, mem, pc, sps[0], 0)
			if err != nil {
				t.Errorf("Unwind: %v", err)
			}
			check(t, f, frames, []want{
				{fn: "runtime.makechan", pc: pc, sp: sps[0], callPC: pc},
				{fn: "runtime.gcenable", pc: retGC, sp: sps[1], callPC: retGC - 1},
				{fn: "runtime.main", pc: retMain, sp: sps[2], callPC: retMain - 1},
				{fn: "runtime.goexit", pc: goexit[0].Addr + 1, sp: sps[3], callPC: goexit[0].Addr},
			})
		})
	}
}

// TestStackPeek checks the fake memory itself.
func TestStackPeek(t *testing.T) {
	s := stack{0x1000: 0x1122334455667788}
	var b [8]byte
	if err := s.Peek(0x1000, b[:]); err != nil || !bytes.Equal(b[:], []byte{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}) {
		t.Errorf("Peek: %x, %v", b, err)
	}
	if err := s.Peek(0x1008, b[:]); err == nil {
		t.Error("Peek of an unmapped word succeeded")
	}
}
