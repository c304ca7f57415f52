package emu

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/loader"
)

// Hand-assembled x86-64 snippets, so these tests pin the machine's behaviour
// without depending on a Go toolchain.
var (
	exitGroupEDI = []byte{0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05} // mov eax, 231; syscall
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// rawFile is an executable with code at 0x400000 (r-x) and a data page at
// 0x600000 (rw-).
func rawFile(code []byte) *loader.File {
	return &loader.File{
		Path:  "/raw/test",
		Entry: 0x400000,
		Segments: []loader.Segment{
			{Vaddr: 0x400000, Memsz: uint64(len(code)), Filesz: uint64(len(code)), Prot: abi.ProtRead | abi.ProtExec, Data: code},
			{Vaddr: 0x600000, Memsz: 0x1000, Prot: abi.ProtRead | abi.ProtWrite},
		},
		Phdr: 0x400040, Phent: 56, Phnum: 2,
	}
}

func runRaw(t *testing.T, code []byte) (*Exit, string) {
	t.Helper()
	var out bytes.Buffer
	m, err := New(rawFile(code), Config{Args: []string{"test"}, Stdout: &out, Stderr: &out, Warn: &out, MaxInsns: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	x, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return x, out.String()
}

// TestCPUIDHidesAVX asserts the CPU model the guest sees: SSE2 present and
// no AVX, AVX2 or FMA, which Unicorn's TCG cannot execute. Go picks its code
// paths from these bits.
func TestCPUIDHidesAVX(t *testing.T) {
	code := cat(
		[]byte{0xb8, 0x01, 0x00, 0x00, 0x00}, // mov eax, 1
		[]byte{0x31, 0xc9},                   // xor ecx, ecx
		[]byte{0x0f, 0xa2},                   // cpuid
		[]byte{0x31, 0xff},                   // xor edi, edi
		[]byte{0x0f, 0xba, 0xe1, 0x1c},       // bt ecx, 28 (AVX)
		[]byte{0x83, 0xd7, 0x00},             // adc edi, 0
		[]byte{0x0f, 0xba, 0xe1, 0x0c},       // bt ecx, 12 (FMA)
		[]byte{0x83, 0xd7, 0x00},             // adc edi, 0
		[]byte{0x0f, 0xba, 0xe2, 0x1a},       // bt edx, 26 (SSE2)
		[]byte{0x83, 0xd7, 0x00},             // adc edi, 0   -> 1 when only SSE2
		[]byte{0x89, 0xfe},                   // mov esi, edi
		[]byte{0xb8, 0x07, 0x00, 0x00, 0x00}, // mov eax, 7
		[]byte{0x31, 0xc9},                   // xor ecx, ecx
		[]byte{0x0f, 0xa2},                   // cpuid
		[]byte{0x89, 0xf7},                   // mov edi, esi
		[]byte{0x0f, 0xba, 0xe3, 0x05},       // bt ebx, 5 (AVX2)
		[]byte{0x83, 0xd7, 0x00},             // adc edi, 0
		exitGroupEDI,
	)
	x, out := runRaw(t, code)
	if x.Status != 1 {
		t.Fatalf("SSE2 + AVX + FMA + AVX2 bits = %d (%s), want 1: SSE2 only", x.Status, out)
	}
}

func TestVsyscallPage(t *testing.T) {
	code := cat(
		[]byte{0x48, 0x83, 0xec, 0x20}, // sub rsp, 32
		[]byte{0x48, 0x89, 0xe7},       // mov rdi, rsp
		[]byte{0x31, 0xf6},             // xor esi, esi
		[]byte{0x48, 0xb8, 0x00, 0x00, 0x60, 0xff, 0xff, 0xff, 0xff, 0xff}, // mov rax, 0xffffffffff600000
		[]byte{0xff, 0xd0},                         // call rax (gettimeofday)
		[]byte{0x89, 0xc7},                         // mov edi, eax
		[]byte{0x48, 0x8b, 0x04, 0x24},             // mov rax, [rsp] (tv_sec)
		[]byte{0x48, 0x3d, 0x00, 0x00, 0x00, 0x69}, // cmp rax, 0x69000000 (2025-12)
		[]byte{0x83, 0xd7, 0x00},                   // adc edi, 0: +1 if tv_sec is before
		exitGroupEDI,
	)
	x, out := runRaw(t, code)
	if x.Status != 0 {
		t.Fatalf("gettimeofday through the vsyscall page: status %d (%s), want 0 and a 2026 time", x.Status, out)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		code   []byte
		status int
		detail string
	}{
		{"nil load", []byte{0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00}, 139,
			"guest killed by SIGSEGV at 0x400000, fault address 0x0"},
		{"store to text", []byte{0xc6, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x90}, 139,
			"guest killed by SIGSEGV at 0x400000, fault address 0x400000"},
		{"jump to data", cat([]byte{0x48, 0xc7, 0xc0, 0x00, 0x00, 0x60, 0x00}, []byte{0xff, 0xe0}), 139,
			"guest killed by SIGSEGV at 0x600000, fault address 0x600000"},
		{"ud2", []byte{0x90, 0x0f, 0x0b}, 132, "guest killed by SIGILL at 0x400001"},
		{"int3", []byte{0xcc}, 133, "guest killed by SIGTRAP"},
		{"divide by zero", []byte{0x31, 0xc9, 0xf7, 0xf1}, 136, "guest killed by SIGFPE at 0x400002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, _ := runRaw(t, tt.code)
			if x.Status != tt.status || !strings.HasPrefix(x.Detail, tt.detail) {
				t.Fatalf("got status %d %q, want %d %q", x.Status, x.Detail, tt.status, tt.detail)
			}
		})
	}
}

func TestMaxInsns(t *testing.T) {
	x, _ := runRaw(t, []byte{0xeb, 0xfe}) // jmp .
	if x.Status != 124 || x.Limit != "max-insns" {
		t.Fatalf("spinning guest: got status %d limit %q, want 124 max-insns", x.Status, x.Limit)
	}
}

// TestRDTSCIsVirtual checks that the time-stamp counter counts executed
// instructions instead of showing the host's TSC.
func TestRDTSCIsVirtual(t *testing.T) {
	code := cat(
		[]byte{0x90, 0x90, 0x90},       // nop x3
		[]byte{0x0f, 0x31},             // rdtsc
		[]byte{0x48, 0xc1, 0xe2, 0x20}, // shl rdx, 32
		[]byte{0x48, 0x09, 0xd0},       // or rax, rdx
		[]byte{0x48, 0x89, 0xc7},       // mov rdi, rax
		exitGroupEDI,
	)
	var statuses []int
	for i := 0; i < 2; i++ {
		x, out := runRaw(t, code)
		statuses = append(statuses, x.Status)
		if x.Status == 0 || x.Status > 64 {
			t.Fatalf("rdtsc after a few instructions = %d (%s), want a small instruction count", x.Status, out)
		}
	}
	if statuses[0] != statuses[1] {
		t.Fatalf("rdtsc differs between runs: %v", statuses)
	}
}

// TestWatch watches 4 bytes of the data page and checks where Continue
// stops: right after each store that changes them (not after one that
// rewrites the same value), after a syscall that writes them, and that
// the instruction count is the same as without the watch.
func TestWatch(t *testing.T) {
	const addr = 0x600010
	movTo := func(v byte) []byte { // mov dword [0x600010], v
		return []byte{0xc7, 0x04, 0x25, 0x10, 0x00, 0x60, 0x00, v, 0x00, 0x00, 0x00}
	}
	code := cat(
		movTo(1), []byte{0x90}, // 0x400000, nop at 0x40000b
		movTo(1),                             // 0x40000c: the same value again
		movTo(2),                             // 0x400017
		[]byte{0x90},                         // 0x400022
		[]byte{0xb8, 0x3e, 0x01, 0x00, 0x00}, // 0x400023: mov eax, 318 (getrandom)
		[]byte{0xbf, 0x10, 0x00, 0x60, 0x00}, // mov edi, 0x600010
		[]byte{0xbe, 0x04, 0x00, 0x00, 0x00}, // mov esi, 4
		[]byte{0x31, 0xd2},                   // xor edx, edx
		[]byte{0x0f, 0x05},                   // 0x400034: syscall
		[]byte{0x31, 0xff},                   // 0x400036: xor edi, edi
		exitGroupEDI,
	)
	run := func(watch bool) ([]Stop, uint64) {
		var out bytes.Buffer
		m, err := New(rawFile(code), Config{Args: []string{"test"}, Stdout: &out, Stderr: &out, Warn: &out, MaxInsns: 1_000_000})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if watch {
			if err := m.AddWatch(addr, 4); err != nil {
				t.Fatal(err)
			}
		}
		var stops []Stop
		for {
			st := m.Continue(Resume{})
			stops = append(stops, st)
			if st.Kind == StopExited || len(stops) > 10 {
				return stops, m.Insns()
			}
		}
	}
	stops, insns := run(true)
	want := []struct {
		kind StopKind
		pc   uint64
	}{{StopWatch, 0x40000b}, {StopWatch, 0x400022}, {StopWatch, 0x400036}, {StopExited, 0}}
	if len(stops) != len(want) {
		t.Fatalf("got %d stops %+v, want %d", len(stops), stops, len(want))
	}
	for i, w := range want {
		st := stops[i]
		if st.Kind != w.kind || st.Kind == StopWatch && (st.PC != w.pc || st.Watch != addr || st.Tid != 1000) {
			t.Errorf("stop %d: got kind %d pc %#x watch %#x tid %d, want kind %d pc %#x watch %#x tid 1000", i, st.Kind, st.PC, st.Watch, st.Tid, w.kind, w.pc, addr)
		}
	}
	if _, plain := run(false); insns != plain {
		t.Errorf("instructions with the watch: got %d, want %d as without", insns, plain)
	}

	var out bytes.Buffer
	m, err := New(rawFile(code), Config{Args: []string{"test"}, Stdout: &out, Stderr: &out, Warn: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, n := range []int{0, 257} {
		if err := m.AddWatch(addr, n); err == nil {
			t.Errorf("AddWatch(%d bytes): no error", n)
		}
	}
	m.AddWatch(addr, 4)
	m.RemoveWatch(addr)
	if st := m.Continue(Resume{}); st.Kind != StopExited {
		t.Errorf("after RemoveWatch: got stop kind %d at %#x, want the exit", st.Kind, st.PC)
	}
}
