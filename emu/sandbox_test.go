package emu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
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
	const rw = int(abi.ProtRead | abi.ProtWrite)
	const anon = abi.MAP_PRIVATE | abi.MAP_ANONYMOUS
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
			_, err := m.Mmap(res, 32*mb, rw, anon|abi.MAP_FIXED)
			return err
		}, nil, 32 * mb},
		{"a piece over the limit", func() error {
			_, err := m.Mmap(res+32*mb, 32*mb, rw, anon|abi.MAP_FIXED)
			return err
		}, abi.ENOMEM, 32 * mb},
		{"mprotect within the limit", func() error { return m.Mprotect(res+32*mb, 16*mb, rw) }, nil, 48 * mb},
		{"mprotect over the limit", func() error { return m.Mprotect(res+48*mb, 16*mb, rw) }, abi.ENOMEM, 48 * mb},
		{"munmap gives back", func() error { return m.Munmap(res, 32*mb) }, nil, 16 * mb},
		{"read-only mappings are free", func() error {
			_, err := m.Mmap(0, 512*mb, int(abi.ProtRead), anon)
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
	ret := m.Kernel().Dispatch(m, 9, [6]uint64{0, 64 * mb, uint64(rw), anon, ^uint64(0), 0}).RAX
	enomem := abi.ENOMEM
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

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// TestReadHost reads fake /proc and /sys trees (testdata/hosts) of the
// hosts gouth-emu meets: a desktop, containers on cgroup v1 and v2, a pod
// whose parent cgroup holds the limit, ulimit -v, strict overcommit, and
// a sandbox without /proc.
func TestReadHost(t *testing.T) {
	tests := []struct {
		tree string
		want Host
	}{
		{"debian-24g", Host{MemTotal: 24683664 * kib, VmSize: 1180000 * kib}},
		{"docker-v2-1g", Host{MemTotal: 65843217 * kib, Cgroup: 1 * gib, VmSize: 1180000 * kib}},
		// /proc/self/cgroup names /docker/3f2a9c, which the mount does
		// not show: its root is the container's cgroup.
		{"docker-v1-512m", Host{MemTotal: 16316229 * kib, Cgroup: 512 * mib, VmSize: 1180000 * kib}},
		// The container's own limit is v1's "unlimited"; its pod's binds.
		{"k8s-v1-pod-2g", Host{MemTotal: 32780311 * kib, Cgroup: 2 * gib, VmSize: 1180000 * kib}},
		{"docker-v2-48m", Host{MemTotal: 8040243 * kib, Cgroup: 48 * mib, VmSize: 1180000 * kib}},
		{"ulimit-4000000", Host{MemTotal: 24683664 * kib, AddrSpace: 4000000 * kib, VmSize: 1180000 * kib}},
		{"ulimit-2500000", Host{MemTotal: 24683663 * kib, AddrSpace: 2500000 * kib, VmSize: 1180000 * kib}},
		{"ulimit-1550000", Host{MemTotal: 24683665 * kib, AddrSpace: 1550000 * kib, VmSize: 1180000 * kib}},
		{"strict-3g", Host{MemTotal: 7813529 * kib, VmSize: 1180000 * kib, StrictCommit: true, CommitFree: 3 * gib}},
		{"strict-200m", Host{MemTotal: 7813529 * kib, VmSize: 1180000 * kib, StrictCommit: true, CommitFree: 200 * mib}},
		{"no-proc", Host{}},
	}
	for _, tt := range tests {
		if got := ReadHost("testdata/hosts/" + tt.tree); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.tree, got, tt.want)
		}
	}
}

// TestReadHostSelf checks ReadHost("/") against the system calls that
// report the same facts.
func TestReadHostSelf(t *testing.T) {
	h := ReadHost("/")
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		t.Fatal(err)
	}
	wantAS := rl.Cur
	if rl.Cur == ^uint64(0) { // RLIM_INFINITY
		wantAS = 0
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	if wantMem := uint64(si.Totalram) * uint64(si.Unit); h.AddrSpace != wantAS || h.MemTotal != wantMem || h.VmSize == 0 {
		t.Fatalf("ReadHost(\"/\") = %+v; want AddrSpace %d (getrlimit), MemTotal %d (sysinfo), VmSize > 0", h, wantAS, wantMem)
	}
}

// TestBudget checks the default memory limit and the sizes behind it on
// those hosts, and the one-line errors where nothing fits. The expected
// numbers are worked out by hand from the rules in Host.Budget: a quarter
// of min(MemTotal, cgroup), at least 64 MiB, at most 16 GiB; under a
// ulimit -v, what is left after VmSize, 256 MiB of headroom and the
// translation buffer (a quarter of the rest, 32 to 256 MiB).
func TestBudget(t *testing.T) {
	tests := []struct {
		tree    string
		limit   uint64 // --mem-limit; 0 for the default
		want    Budget
		wantErr string
	}{
		// 24683664 kB / 4 is page-aligned; its quarter, the slack, is not
		// (385682.25 pages): the fresh-machine bug.
		{tree: "debian-24g", want: Budget{6319017984, 6319017984 + 1579757568 + 4096, 256 * mib}},
		{tree: "docker-v2-1g", want: Budget{256 * mib, 256*mib + 64*mib + 4096, 256 * mib}},
		{tree: "docker-v1-512m", want: Budget{128 * mib, 128*mib + 64*mib + 4096, 256 * mib}},
		{tree: "k8s-v1-pod-2g", want: Budget{512 * mib, 512*mib + 128*mib + 4096, 256 * mib}},
		{tree: "docker-v2-48m", wantErr: "the cgroup's memory limit is 48 MiB, less than the 64 MiB a Go program needs to start; raise the container's memory limit"},
		// 4096000000 - 1208320000 - 256 MiB leaves 2619244544: 256 MiB
		// of translation buffer, 2350809088 for the reservation, whose
		// largest limit is 1880641536 (+ 470167552 + 4096).
		{tree: "ulimit-4000000", want: Budget{1880641536, 2350809088, 256 * mib}},
		{tree: "ulimit-2500000", want: Budget{651841536, 814809088, 256 * mib}},
		// 700 MiB needs a 875 MiB reservation: the buffer gives way, to
		// the 158 MiB left of 1083244544.
		{tree: "ulimit-2500000", limit: 700 * mib, want: Budget{700 * mib, 700*mib + 175*mib + 4096, 158 * mib}},
		{tree: "ulimit-4000000", limit: 1 * gib, want: Budget{1 * gib, 1*gib + 256*mib + 4096, 256 * mib}},
		// 1880641536 fits; the suggestion keeps 64 MiB to spare, in
		// whole 64 MiB.
		{tree: "ulimit-4000000", limit: 7 * gib, wantErr: "cannot reserve 8.8 GiB of address space for the guest (ulimit -v is 3.8 GiB); use --mem-limit 1728M"},
		// 1587200000 - 1208320000 - 256 MiB leaves 110444544: 32 MiB of
		// buffer, and a reservation of 76890112 holds a 9 MiB guest. The
		// remedy: 1208320000 + 256 MiB + 32 MiB + PhysSize(64 MiB) and
		// 64 MiB to spare, rounded up to 64 MiB (1703936 KiB); for
		// 512 MiB, PhysSize(512 MiB) instead (2228224 KiB).
		{tree: "ulimit-1550000", wantErr: "ulimit -v is 1.5 GiB, which leaves 9 MiB of address space for the guest, less than the 64 MiB a Go program needs to start; raise it with ulimit -v 1703936 or more"},
		{tree: "ulimit-1550000", limit: 512 * mib, wantErr: "cannot reserve 640 MiB of address space for the guest (ulimit -v is 1.5 GiB); raise it with ulimit -v 2228224 or more"},
		// 7813529 kB / 4 rounded down to a page; 3 GiB of commit holds it.
		{tree: "strict-3g", want: Budget{2000261120, 2000261120 + 500068352 + 4096, 256 * mib}},
		{tree: "strict-200m", wantErr: "vm.overcommit_memory=2 and only 200 MiB is left to commit, which leaves no room for the guest, less than the 64 MiB a Go program needs to start; free memory, raise vm.overcommit_ratio or set vm.overcommit_memory=0"},
		// Nothing known: a quarter of 16 GiB.
		{tree: "no-proc", want: Budget{4 * gib, 5*gib + 4096, 256 * mib}},
		{tree: "no-proc", limit: 100*mib + 1, want: Budget{100*mib + 4096, 100*mib + 4096 + 64*mib + 4096, 256 * mib}},
	}
	for _, tt := range tests {
		got, err := ReadHost("testdata/hosts/" + tt.tree).Budget(tt.limit)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("%s --mem-limit %d:\ngot  %+v %q\nwant %+v %q", tt.tree, tt.limit, got, gotErr, tt.want, tt.wantErr)
		}
	}
}

// TestBudgetAligned sweeps host memory sizes (odd kB counts among them),
// address-space limits and --mem-limit values that are not page
// multiples: every size handed to Unicorn is page-aligned, the
// reservation is the one PhysSize gives for the limit, and under a
// ulimit -v everything fits with the headroom kept and the limit is the
// largest that does.
func TestBudgetAligned(t *testing.T) {
	var totals []uint64 // kB
	for kb := uint64(1 << 16); kb < 1<<31; kb = kb*3/2 + 7 {
		totals = append(totals, kb, kb+1, kb+63, kb+64)
	}
	totals = append(totals, 24683664, 24683665, 2047999, 1031571)
	addrSpaces := []uint64{0, 2000000 * kib, 2500000 * kib, 4000000 * kib, 8 * gib, 100*gib + 12345}
	limits := []uint64{0, 1, 4095, 64*mib + 1, 100_000_000, 3*gib - 1, 12345678901}
	n := 0
	for _, kb := range totals {
		for _, as := range addrSpaces {
			for _, limit := range limits {
				h := Host{MemTotal: kb * kib, AddrSpace: as, VmSize: 1180000 * kib}
				b, err := h.Budget(limit)
				if err != nil {
					var re *ResourceError
					if !errors.As(err, &re) || as == 0 {
						t.Fatalf("%+v limit %d: %v, want a ResourceError and only under a ulimit -v", h, limit, err)
					}
					continue
				}
				n++
				if b.Limit%mem.PageSize != 0 || b.Phys%mem.PageSize != 0 || b.TCG%mem.PageSize != 0 {
					t.Fatalf("%+v limit %d: %+v has a size that is not a page multiple", h, limit, b)
				}
				if b.Phys != PhysSize(b.Limit) || b.Limit < min(limit, MinMemLimit) || b.TCG < tcgMin || b.TCG > tcgMax {
					t.Fatalf("%+v limit %d: got %+v, want Phys = PhysSize(Limit) = %d, Limit >= %d, TCG in [%d, %d]",
						h, limit, b, PhysSize(b.Limit), min(limit, MinMemLimit), tcgMin, tcgMax)
				}
				if limit != 0 && b.Limit != pageAlign(limit) {
					t.Fatalf("%+v limit %d: got limit %d, want it rounded up to a page, %d", h, limit, b.Limit, pageAlign(limit))
				}
				if as == 0 {
					continue
				}
				used := h.VmSize + ownHeadroom + b.TCG + b.Phys
				if used > as {
					t.Fatalf("%+v limit %d: %+v needs %d bytes of address space with the process and its headroom, over the limit %d", h, limit, b, used, as)
				}
				room := as - h.VmSize - ownHeadroom - b.TCG
				if limit == 0 && b.Limit < min(kb*kib/4, maxDefaultLimit)&^(mem.PageSize-1) && PhysSize(b.Limit+mem.PageSize) <= room {
					t.Fatalf("%+v: default limit %d is not the largest that fits: %d fits too", h, b.Limit, b.Limit+mem.PageSize)
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d budgets checked, want at least 1000", n)
	}
}

// TestNewOnOddHosts builds real machines for hosts whose memory sizes
// made the old slack unaligned: Unicorn takes every size, and its
// translation buffer is the size the budget asked for.
func TestNewOnOddHosts(t *testing.T) {
	for _, kb := range []uint64{24683664, 2047999, 16316229, 1031571} {
		h := Host{MemTotal: kb * kib}
		want, err := h.Budget(0)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(rawFile(exitGroupEDI), Config{Args: []string{"test"}, Host: &h})
		if err != nil {
			t.Fatalf("MemTotal %d kB: New: %v", kb, err)
		}
		got, tcg := m.Budget(), m.eng.tcgSize()
		x, err := m.Run()
		m.Close()
		if got != want || tcg != want.TCG || err != nil || x.Status != 0 {
			t.Errorf("MemTotal %d kB: budget %+v, Unicorn's buffer %d, run %v %v; want %+v, buffer %d, exit 0", kb, got, tcg, x, err, want, want.TCG)
		}
	}
}

// TestReserveFallback runs New in a child process under a real ulimit -v
// that the host facts it is given do not show, as under strict overcommit,
// where the kernel refuses reservations no limit predicts: the default
// limit falls back by halves until the reservation fits and the guest
// runs; a limit the user chose is not shrunk but named in the error.
func TestReserveFallback(t *testing.T) {
	if os.Getenv("GOUTH_EMU_RESERVE_CHILD") == "1" {
		reserveChild()
		return
	}
	cmd := exec.Command("sh", "-c", `ulimit -v 3000000 && exec "$0" -test.run='^TestReserveFallback$' -test.count=1`, os.Args[0])
	cmd.Env = append(os.Environ(), "GOUTH_EMU_RESERVE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var limit, addrSpace uint64
	var status int
	var chosenErr string
	for _, line := range strings.Split(string(out), "\n") {
		fmt.Sscanf(line, "addrspace: %d", &addrSpace)
		if rest, ok := strings.CutPrefix(line, "default: "); ok {
			fmt.Sscanf(rest, "limit %d status %d", &limit, &status)
		}
		if rest, ok := strings.CutPrefix(line, "chosen: "); ok {
			chosenErr = rest
		}
	}
	if addrSpace != 3000000*kib {
		t.Errorf("ReadHost under ulimit -v 3000000: AddrSpace %d, want %d", addrSpace, 3000000*kib)
	}
	// 16 GiB halved until it fits in 3000000 KiB with the test binary.
	if limit < MinMemLimit || limit > 1*gib || (16*gib)%limit != 0 || status != 0 {
		t.Fatalf("default under ulimit -v 3000000: limit %d, status %d; want 16 GiB halved to at most 1 GiB, status 0\n%s", limit, status, out)
	}
	want := "cannot reserve 20.0 GiB of memory for the guest (mmap: cannot allocate memory); use --mem-limit " + flagSize(limit)
	if chosenErr != want {
		t.Fatalf("--mem-limit 16G under ulimit -v 3000000:\ngot  %q\nwant %q", chosenErr, want)
	}
}

// reserveChild is TestReserveFallback's child: the host facts claim
// 64 GiB and no limits.
func reserveChild() {
	fmt.Printf("addrspace: %d\n", ReadHost("/").AddrSpace)
	h := Host{MemTotal: 64 * gib}
	m, err := New(rawFile(exitGroupEDI), Config{Args: []string{"test"}, Host: &h})
	if err != nil {
		fmt.Println("default: error", err)
	} else {
		x, err := m.Run()
		if err != nil {
			fmt.Println("default: run error", err)
		} else {
			fmt.Printf("default: limit %d status %d\n", m.Budget().Limit, x.Status)
		}
		m.Close()
	}
	_, err = New(rawFile(exitGroupEDI), Config{Args: []string{"test"}, Host: &h, MemLimit: 16 * gib})
	fmt.Printf("chosen: %v\n", err)
}
