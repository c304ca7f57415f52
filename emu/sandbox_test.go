package emu

import (
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// TestMemLimit checks the commit accounting behind --mem-limit: writable
// mappings count whether touched or not, PROT_NONE reservations do not,
// and a mapping over the limit fails with ENOMEM.
func TestMemLimit(t *testing.T) {
	const mb = 1 << 20
	m, err := New(rawFile(exitGroupEDI), Config{Args: []string{"test"}, MemLimit: 64 * mb})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	image := uint64(mem.PageSize + stackSize) // the rw- data page and the stack
	if got := m.Space().Committed(); got != image {
		t.Fatalf("committed after loading = %d, want %d (writable segment + stack)", got, image)
	}
	const rw = syscalls.PROT_READ | syscalls.PROT_WRITE
	const anon = syscalls.MAP_PRIVATE | syscalls.MAP_ANONYMOUS
	res, err := m.Mmap(0, 1<<30, 0, anon)
	if err != nil {
		t.Fatalf("reserving 1 GiB PROT_NONE under a 64 MiB limit: %v, want success", err)
	}
	steps := []struct {
		name string
		op   func() error
		want error
		used uint64 // committed beyond the image
	}{
		{"RW piece of the reservation", func() error {
			_, err := m.Mmap(res, 32*mb, rw, anon|syscalls.MAP_FIXED)
			return err
		}, nil, 32 * mb},
		{"a piece over the limit", func() error {
			_, err := m.Mmap(res+32*mb, 32*mb, rw, anon|syscalls.MAP_FIXED)
			return err
		}, syscalls.ENOMEM, 32 * mb},
		{"mprotect within the limit", func() error { return m.Mprotect(res+32*mb, 16*mb, rw) }, nil, 48 * mb},
		{"mprotect over the limit", func() error { return m.Mprotect(res+48*mb, 16*mb, rw) }, syscalls.ENOMEM, 48 * mb},
		{"munmap gives back", func() error { return m.Munmap(res, 32*mb) }, nil, 16 * mb},
		{"read-only mappings are free", func() error {
			_, err := m.Mmap(0, 512*mb, syscalls.PROT_READ, anon)
			return err
		}, nil, 16 * mb},
	}
	for _, st := range steps {
		err := st.op()
		if err != st.want || m.Space().Committed() != image+st.used {
			t.Fatalf("%s: got err %v, %d MiB committed; want err %v, %d MiB", st.name, err, (m.Space().Committed()-image)/mb, st.want, st.used/mb)
		}
	}
	// Through the syscall table: the guest sees -ENOMEM.
	ret, _ := m.Kernel().Dispatch(m, 9, [6]uint64{0, 64 * mb, rw, anon, ^uint64(0), 0})
	enomem := syscalls.ENOMEM
	if want := -uint64(enomem); ret != want {
		t.Fatalf("mmap over the limit returned %#x, want -ENOMEM", ret)
	}
}

func TestMemLimitTooSmallForImage(t *testing.T) {
	_, err := New(rawFile(exitGroupEDI), Config{Args: []string{"test"}, MemLimit: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "memory limit") {
		t.Fatalf("New with a 1 MiB limit: got %v, want an error about the memory limit (the stack takes 8 MiB)", err)
	}
}

func TestProcMaps(t *testing.T) {
	m, err := New(rawFile(exitGroupEDI), Config{Args: []string{"test", "x"}, Env: []string{"A=b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p := m.Proc()
	want := "00400000-00401000 r-xp 00000000 00:00 0                                  /raw/test\n" +
		"00600000-00601000 rw-p 00000000 00:00 0 \n" +
		"7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n" +
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
	if p.Maps != want {
		t.Fatalf("maps:\n%s\nwant:\n%s", p.Maps, want)
	}
	if p.Threads != 1 || p.VmSize != 2*mem.PageSize+stackSize || strings.Join(p.Args, " ") != "test x" || len(p.Env) != 1 {
		t.Fatalf("Proc() = %+v, want 1 thread, VmSize %d, args [test x], env [A=b]", p, 2*mem.PageSize+stackSize)
	}
}
