package mem

import (
	"reflect"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

const top = 0x7f0000000000

func vmas(s *Space) [][3]uint64 {
	var out [][3]uint64
	for _, v := range s.VMAs() {
		out = append(out, [3]uint64{v.Start, v.End, uint64(v.Prot)})
	}
	return out
}

func TestMapPlacement(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*Space)
		addr   uint64
		length uint64
		how    Placement
		want   uint64
		err    error
	}{
		{"top-down first", nil, 0, 0x2000, Hint, top - 0x2000, nil},
		{"free hint honoured", nil, 0xc000000000, 64 << 20, Hint, 0xc000000000, nil},
		{"unaligned hint rounded", nil, 0xc000000123, 0x1000, Hint, 0xc000000000, nil},
		{"busy hint falls back", func(s *Space) { s.Map(0xc000000000, 0x1000, abi.ProtRead, Fixed, "") }, 0xc000000000, 0x1000, Hint, top - 0x1000, nil},
		{"below the previous top-down", func(s *Space) { s.Map(0, 0x3000, abi.ProtRead, Hint, "") }, 0, 0x1000, Hint, top - 0x4000, nil},
		{"fits a hole", func(s *Space) {
			s.Map(top-0x1000, 0x1000, abi.ProtRead, Fixed, "")
			s.Map(top-0x4000, 0x1000, abi.ProtRead, Fixed, "")
		}, 0, 0x2000, Hint, top - 0x3000, nil},
		{"fixed replaces", func(s *Space) { s.Map(0x400000, 0x3000, abi.ProtRead, Fixed, "") }, 0x401000, 0x1000, Fixed, 0x401000, nil},
		{"fixed unaligned", nil, 0x400001, 0x1000, Fixed, 0, ErrInval},
		{"fixed below min", nil, 0x1000, 0x1000, Fixed, 0, ErrNoMem},
		{"noreplace busy", func(s *Space) { s.Map(0x400000, 0x1000, abi.ProtRead, Fixed, "") }, 0x400000, 0x1000, FixedNoReplace, 0, ErrExist},
		{"zero length", nil, 0, 0, Hint, 0, ErrInval},
		{"huge length", nil, 0, ^uint64(0) - 10, Hint, 0, ErrInval},
		{"beyond user space", nil, 0, 1 << 48, Hint, 0, ErrNoMem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(top)
			if tt.setup != nil {
				tt.setup(s)
			}
			got, _, err := s.Map(tt.addr, tt.length, abi.ProtRead|abi.ProtWrite, tt.how, "")
			if err != tt.err {
				t.Fatalf("Map(%#x, %#x): err = %v, want %v", tt.addr, tt.length, err, tt.err)
			}
			if err == nil && got != tt.want {
				t.Fatalf("Map(%#x, %#x) = %#x, want %#x", tt.addr, tt.length, got, tt.want)
			}
		})
	}
}

func TestFixedReportsReplaced(t *testing.T) {
	s := New(top)
	s.Map(0x400000, 0x3000, abi.ProtRead, Fixed, "")
	_, gone, err := s.Map(0x401000, 0x4000, abi.ProtRead|abi.ProtWrite, Fixed, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]uint64{{0x401000, 0x403000}}; !reflect.DeepEqual(gone, want) {
		t.Fatalf("replaced = %#x, want %#x", gone, want)
	}
	want := [][3]uint64{{0x400000, 0x401000, 1}, {0x401000, 0x405000, 3}}
	if got := vmas(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("vmas = %#x, want %#x", got, want)
	}
}

func TestPartialUnmap(t *testing.T) {
	s := New(top)
	s.Map(0x400000, 0x10000, abi.ProtRead|abi.ProtWrite, Fixed, "")
	gone, err := s.Unmap(0x404000, 0x2000)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]uint64{{0x404000, 0x406000}}; !reflect.DeepEqual(gone, want) {
		t.Fatalf("unmapped = %#x, want %#x", gone, want)
	}
	want := [][3]uint64{{0x400000, 0x404000, 3}, {0x406000, 0x410000, 3}}
	if got := vmas(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("vmas = %#x, want %#x", got, want)
	}
	// Unmapping a hole is not an error, as on Linux.
	if gone, err := s.Unmap(0x500000, 0x1000); err != nil || len(gone) != 0 {
		t.Fatalf("Unmap(hole) = %v, %v; want nothing, nil", gone, err)
	}
	if _, err := s.Unmap(0x400001, 0x1000); err != ErrInval {
		t.Fatalf("Unmap(unaligned) err = %v, want %v", err, ErrInval)
	}
	// Spanning several mappings.
	gone, _ = s.Unmap(0x402000, 0x6000)
	if want := [][2]uint64{{0x402000, 0x404000}, {0x406000, 0x408000}}; !reflect.DeepEqual(gone, want) {
		t.Fatalf("unmapped = %#x, want %#x", gone, want)
	}
}

func TestProtect(t *testing.T) {
	s := New(top)
	s.Map(0x400000, 0x4000, 0, Fixed, "")
	if err := s.Protect(0x401000, 0x1000, abi.ProtRead|abi.ProtWrite); err != nil {
		t.Fatal(err)
	}
	want := [][3]uint64{{0x400000, 0x401000, 0}, {0x401000, 0x402000, 3}, {0x402000, 0x404000, 0}}
	if got := vmas(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("vmas = %#x, want %#x", got, want)
	}
	// Back to one protection: the pieces merge again.
	s.Protect(0x401000, 0x1000, 0)
	if got, want := vmas(s), [][3]uint64{{0x400000, 0x404000, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("vmas after re-protect = %#x, want %#x", got, want)
	}
	// A range with a hole fails and changes nothing.
	if err := s.Protect(0x403000, 0x2000, abi.ProtRead); err != ErrNoMem {
		t.Fatalf("Protect across a hole: err = %v, want %v", err, ErrNoMem)
	}
	if got, want := vmas(s), [][3]uint64{{0x400000, 0x404000, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("vmas after failed protect = %#x, want %#x", got, want)
	}
}

func TestFind(t *testing.T) {
	s := New(top)
	s.Map(0x400000, 0x1000, abi.ProtRead|abi.ProtExec, Fixed, "text")
	if v, ok := s.Find(0x400fff); !ok || v.Name != "text" {
		t.Fatalf("Find(0x400fff) = %v, %v; want text", v, ok)
	}
	if _, ok := s.Find(0x401000); ok {
		t.Fatal("Find(0x401000) found a mapping past the end")
	}
}

// TestCommitAccounting follows Linux's strict overcommit rules: only
// writable mappings commit memory, whether touched or not.
func TestCommitAccounting(t *testing.T) {
	const mb = 1 << 20
	s := New(top)
	s.SetCommitLimit(64 * mb)
	steps := []struct {
		name string
		op   func() error
		want uint64 // committed afterwards
		err  error
	}{
		{"PROT_NONE reservation is free", func() error {
			_, _, err := s.Map(0xc000000000, 256*mb, 0, Fixed, "")
			return err
		}, 0, nil},
		{"RW piece in the reservation", func() error {
			_, _, err := s.Map(0xc000000000, 16*mb, abi.ProtRead|abi.ProtWrite, Fixed, "")
			return err
		}, 16 * mb, nil},
		{"read-only mapping is free", func() error {
			_, _, err := s.Map(0, 128*mb, abi.ProtRead, Hint, "")
			return err
		}, 16 * mb, nil},
		{"mprotect adds write", func() error { return s.Protect(0xc001000000, 32*mb, abi.ProtRead|abi.ProtWrite) }, 48 * mb, nil},
		{"mprotect of a writable range counts once", func() error { return s.Protect(0xc000000000, 48*mb, abi.ProtRead|abi.ProtWrite) }, 48 * mb, nil},
		{"over the limit", func() error {
			_, _, err := s.Map(0, 17*mb, abi.ProtRead|abi.ProtWrite, Hint, "")
			return err
		}, 48 * mb, ErrCommit},
		{"mprotect over the limit", func() error { return s.Protect(0xc003000000, 17*mb, abi.ProtRead|abi.ProtWrite) }, 48 * mb, ErrCommit},
		{"exactly at the limit", func() error {
			_, _, err := s.Map(0, 16*mb, abi.ProtRead|abi.ProtWrite, Hint, "")
			return err
		}, 64 * mb, nil},
		{"MAP_FIXED over writable memory replaces it", func() error {
			_, _, err := s.Map(0xc000000000, 8*mb, abi.ProtRead|abi.ProtWrite, Fixed, "")
			return err
		}, 64 * mb, nil},
		{"MAP_FIXED PROT_NONE gives it back", func() error {
			_, _, err := s.Map(0xc000000000, 8*mb, 0, Fixed, "")
			return err
		}, 56 * mb, nil},
		{"mprotect removing write", func() error { return s.Protect(0xc000800000, 8*mb, abi.ProtRead) }, 48 * mb, nil},
		{"munmap across pieces", func() error {
			_, err := s.Unmap(0xc000000000, 256*mb)
			return err
		}, 16 * mb, nil},
	}
	for _, st := range steps {
		err := st.op()
		if err != st.err || s.Committed() != st.want {
			t.Fatalf("%s: got err %v, committed %d MiB; want err %v, %d MiB", st.name, err, s.Committed()/mb, st.err, st.want/mb)
		}
	}
	// A failed mapping changes nothing.
	before := vmas(s)
	if _, _, err := s.Map(0x400000, 64*mb, abi.ProtRead|abi.ProtWrite, Fixed, ""); err != ErrCommit {
		t.Fatalf("Map over the limit: got err %v, want %v", err, ErrCommit)
	}
	if got := vmas(s); !reflect.DeepEqual(got, before) {
		t.Fatalf("vmas after a failed Map = %#x, want %#x", got, before)
	}
}

func TestMapsFormat(t *testing.T) {
	s := New(top)
	s.MapFile(0x400000, 0x2000, abi.ProtRead|abi.ProtExec, Fixed, "/bin/x", 0)
	s.MapFile(0x402000, 0x1000, abi.ProtRead|abi.ProtWrite, Fixed, "/bin/x", 0x2000)
	s.Map(0x403000, 0x1000, abi.ProtRead|abi.ProtWrite, Fixed, "")
	s.Map(0x7ffffffde000, 0x21000, abi.ProtRead|abi.ProtWrite, Fixed, "[stack]")
	s.Unmap(0x400000, 0x1000) // the remaining text keeps its file offset
	want := "00401000-00402000 r-xp 00001000 00:00 0                                  /bin/x\n" +
		"00402000-00403000 rw-p 00002000 00:00 0                                  /bin/x\n" +
		"00403000-00404000 rw-p 00000000 00:00 0 \n" +
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	if got := s.Maps(); got != want {
		t.Fatalf("Maps:\n%q\nwant:\n%q", got, want)
	}
	v := VMA{Start: 0xffffffffff600000, End: 0xffffffffff601000, Prot: abi.ProtExec, Name: "[vsyscall]"}
	if got, want := v.MapsLine(), "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"; got != want {
		t.Fatalf("vsyscall line = %q, want %q", got, want)
	}
}
