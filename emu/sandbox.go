package emu

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// What the guest may take from the host: memory (Config.MemLimit), the
// filesystem policy, and what /proc/self shows of the process.

// vsyscallPage is go1.11's legacy vsyscall page, outside the address space
// proper but listed in /proc/self/maps as on Linux.
const vsyscallPage = 0xffffffffff600000

// PhysSize is the size of the host reservation that backs a guest whose
// memory limit is limit: the limit, plus slack for what the accounting does
// not count (read-only data touched, page tables of the guest's own
// making), plus the vsyscall page. It is always a multiple of the page
// size, as Unicorn requires of every mapping. The reservation is address
// space only (MAP_NORESERVE); pages are committed on first touch.
func PhysSize(limit uint64) uint64 {
	limit = pageAlign(limit)
	return limit + pageAlign(max(limit/4, 64<<20)) + mem.PageSize
}

// pageAlign rounds n up to a multiple of the page size.
func pageAlign(n uint64) uint64 { return (n + mem.PageSize - 1) &^ (mem.PageSize - 1) }

// How big a machine this host can hold. Three host limits bound the guest's
// memory and what backs it: the host's (or its container's) memory, the
// address space RLIMIT_AS allows (ulimit -v), and, under strict overcommit
// (vm.overcommit_memory=2, where MAP_NORESERVE is ignored), what the
// kernel will still commit. Unicorn's translation buffer and gouth-emu's
// own Go runtime live in the same address space as the guest's
// reservation, so they are counted against the last two.
const (
	// MinMemLimit is the smallest memory limit gouth-emu will choose: about
	// what a Go hello world commits to start (go1.19 and later 56 MiB;
	// go1.11 needs 108 MiB, as it commits its 32 MiB arena map and its
	// first 64 MiB arena whole). Measured with --mem-limit.
	MinMemLimit = 64 << 20

	// maxDefaultLimit caps the default however large the host.
	maxDefaultLimit = 16 << 30

	// tcgMax and tcgMin bound Unicorn's translation buffer (Unicorn's own
	// default, 1 GiB, would not fit under a modest ulimit -v). A full
	// buffer is flushed and code is translated again: a cost, not an
	// error. Measured high-water marks: gofmt on net/http's server.go
	// 10 MiB, the Go compiler on a small package 36 MiB.
	tcgMax = 256 << 20
	tcgMin = 32 << 20

	// ownHeadroom is address space kept free for gouth-emu's own growth
	// once the machine is built: Go heap arenas (64 MiB each), thread
	// stacks (8 MiB each), the guest's page-table leaves (2 MiB each),
	// malloc arenas.
	ownHeadroom = 256 << 20
)

// Host holds the facts about the host that size a machine. ReadHost reads
// them; tests build them from fake /proc and /sys trees.
type Host struct {
	MemTotal uint64 // MemTotal in /proc/meminfo; 0 if unknown
	// Cgroup is the tightest memory limit of the process's cgroup and its
	// ancestors (v2 memory.max, v1 memory.limit_in_bytes); 0 if none.
	Cgroup    uint64
	AddrSpace uint64 // RLIMIT_AS's soft limit (/proc/self/limits); 0 if unlimited
	VmSize    uint64 // address space the process uses now (/proc/self/status)
	// StrictCommit is vm.overcommit_memory=2: every writable private
	// mapping is charged in full, MAP_NORESERVE or not, and CommitFree
	// (CommitLimit - Committed_AS) is what is left to charge.
	StrictCommit bool
	CommitFree   uint64
}

// Budget is how one machine uses the host: the guest's memory limit, the
// physical reservation that backs it (PhysSize(Limit)) and the size of
// Unicorn's translation buffer. All three are multiples of the page size.
type Budget struct {
	Limit, Phys, TCG uint64
}

// ResourceError says in one line which host limit a machine does not fit
// and what to do about it.
type ResourceError struct{ Msg string }

func (e *ResourceError) Error() string { return e.Msg }

func resourceErr(format string, args ...any) error {
	return &ResourceError{fmt.Sprintf(format, args...)}
}

// DefaultMemLimit is the memory limit when none is given, on this host:
// see Host.Budget. It is 0 if no machine fits.
func DefaultMemLimit() uint64 {
	b, err := ReadHost("/").Budget(0)
	if err != nil {
		return 0
	}
	return b.Limit
}

// Budget sizes a machine whose memory limit is limit, or, if limit is 0,
// chooses the limit: a quarter of the memory the process may have (the
// smaller of MemTotal and the cgroup limit; 16 GiB if neither is known),
// at least MinMemLimit and at most 16 GiB, but never more than the
// address space (RLIMIT_AS) or commit (strict overcommit) left after
// gouth-emu itself, its headroom and the translation buffer. The error,
// a *ResourceError, names the limit that does not fit and the remedy.
func (h Host) Budget(limit uint64) (Budget, error) {
	limit = pageAlign(limit)
	room, bound := h.room()
	// A quarter of the room for translated code, within bounds, but the
	// guest first: its limit, or the minimum when it is to be chosen.
	want := PhysSize(max(limit, MinMemLimit))
	tcg := uint64(tcgMax)
	if room < tcgMax*4 {
		tcg = max(room/4&^(1<<20-1), tcgMin)
	}
	if room >= want+tcgMin && room-tcg < want {
		tcg = (room - want) &^ (1<<20 - 1)
	}
	fit := uint64(0) // the largest limit whose reservation fits, 0 if none does
	if room > tcg {
		fit = limitFor(room - tcg)
	}
	if limit != 0 {
		if limit > fit {
			if fit < MinMemLimit {
				return Budget{}, resourceErr("cannot reserve %s of %s for the guest (%s); %s", sizeText(want), bound.what, bound.text, h.remedy(want))
			}
			return Budget{}, resourceErr("cannot reserve %s of %s for the guest (%s); use --mem-limit %s", sizeText(want), bound.what, bound.text, flagSize(suggestLimit(fit)))
		}
		return Budget{limit, PhysSize(limit), tcg}, nil
	}
	total := h.MemTotal
	if total == 0 {
		total = 16 << 30
	}
	if h.Cgroup != 0 && h.Cgroup < total {
		total = h.Cgroup
		if total < MinMemLimit {
			return Budget{}, resourceErr("the cgroup's memory limit is %s, less than the %s a Go program needs to start; raise the container's memory limit", sizeText(total), sizeText(MinMemLimit))
		}
	}
	limit = min(max(total/4, MinMemLimit), maxDefaultLimit) &^ (mem.PageSize - 1)
	if limit > fit {
		if fit < MinMemLimit {
			left := "no room"
			if fit > 0 {
				left = sizeText(fit) + " of " + bound.what
			}
			return Budget{}, resourceErr("%s, which leaves %s for the guest, less than the %s a Go program needs to start; %s",
				bound.text, left, sizeText(MinMemLimit), h.remedy(want))
		}
		limit = fit
	}
	return Budget{limit, PhysSize(limit), tcg}, nil
}

// reserve builds the engine for b. Where the host refuses a mapping the
// budget expected to fit (strict overcommit charges the whole
// reservation, and other processes take commit too), it tries again with
// half the memory limit or half the translation buffer, down to
// MinMemLimit and tcgMin, and fails only when nothing fits. A limit the
// user chose is not shrunk behind their back: the error names the largest
// that fits instead.
func reserve(h Host, b Budget, chosen bool) (*engine, Budget, error) {
	try := b
	var first *reserveError
	for {
		eng, err := newEngine(try)
		var re *reserveError
		if !errors.As(err, &re) {
			if err == nil && chosen && try != b {
				eng.close()
				return nil, b, resourceErr("cannot reserve %s of memory for the guest (%s); use --mem-limit %s", sizeText(b.Phys), h.refusal(first.errno), flagSize(try.Limit))
			}
			return eng, try, err
		}
		if first == nil {
			first = re
		}
		switch {
		case re.tcg && try.TCG > tcgMin:
			try.TCG = max(try.TCG/2&^(1<<20-1), tcgMin)
		case !re.tcg && try.Limit/2 >= MinMemLimit:
			try.Limit = try.Limit / 2 &^ (mem.PageSize - 1)
			try.Phys = PhysSize(try.Limit)
		case re.tcg && (re.errno == syscall.EACCES || re.errno == syscall.EPERM):
			return nil, b, resourceErr("cannot map %s of writable, executable memory for Unicorn's translation buffer: %v; allow it for gouth-emu (SELinux deny_execmem, PaX MPROTECT)", sizeText(re.size), re.errno)
		default:
			return nil, b, resourceErr("%v (%s); %s", re, h.refusal(re.errno), h.remedy(PhysSize(MinMemLimit)))
		}
	}
}

// refusal says why the host may have refused a mapping with errno, for
// messages.
func (h Host) refusal(errno syscall.Errno) string {
	switch {
	case h.StrictCommit:
		return "vm.overcommit_memory=2 and " + sizeText(h.CommitFree) + " left to commit"
	case h.AddrSpace != 0:
		return "ulimit -v is " + sizeText(h.AddrSpace)
	}
	return "mmap: " + errno.Error()
}

// Budget returns the host resources behind the guest: its memory limit,
// the physical reservation and Unicorn's translation buffer.
func (m *Machine) Budget() Budget { return m.sizes }

// bound describes the host limit that bounds a machine, for messages.
type bound struct{ what, text string }

// room is the address space or commit left for the guest's reservation
// and the translation buffer: ^0 if neither is limited. bound and remedy
// describe the tighter limit.
func (h Host) room() (room uint64, b bound) {
	room = ^uint64(0)
	if h.AddrSpace != 0 {
		room = sub(h.AddrSpace, h.VmSize+ownHeadroom)
		b = bound{"address space", "ulimit -v is " + sizeText(h.AddrSpace)}
	}
	// Under strict overcommit gouth-emu's own heap is charged as it
	// grows, like its address space under RLIMIT_AS.
	if h.StrictCommit {
		if r := sub(h.CommitFree, ownHeadroom); r < room {
			room = r
			b = bound{"memory", "vm.overcommit_memory=2 and only " + sizeText(h.CommitFree) + " is left to commit"}
		}
	}
	return room, b
}

// remedy says what gives the host room for a reservation of phys bytes.
func (h Host) remedy(phys uint64) string {
	if _, b := h.room(); b.what == "memory" {
		return "free memory, raise vm.overcommit_ratio or set vm.overcommit_memory=0"
	} else if b.what == "" {
		return "free some memory and try again"
	}
	// The process's own size varies by tens of MiB from run to run
	// (thread stacks, heap arenas): ask for 64 MiB more than it needs.
	need := (h.VmSize + ownHeadroom + tcgMin + phys + 64<<20 + 64<<20 - 1) &^ (64<<20 - 1)
	return fmt.Sprintf("raise it with ulimit -v %d or more", need>>10)
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// limitFor is the largest page-aligned limit whose reservation fits in
// room bytes, or 0 if none does.
func limitFor(room uint64) uint64 {
	if room < PhysSize(0) {
		return 0
	}
	n := sort.Search(int(min(room, 1<<50)/mem.PageSize)+1, func(i int) bool {
		return PhysSize(uint64(i)*mem.PageSize) > room
	})
	return uint64(n-1) * mem.PageSize
}

// suggestLimit is the --mem-limit to suggest when fit is the largest
// that fits now: 64 MiB less, in whole 64 MiB, since the process's own
// size varies from run to run; at least MinMemLimit.
func suggestLimit(fit uint64) uint64 {
	return max(sub(fit, 64<<20)&^(64<<20-1), MinMemLimit)
}

// sizeText renders n bytes for messages: "7.4 GiB", "512 MiB".
func sizeText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// flagSize renders a limit as --mem-limit takes it, rounded down to
// whole MiB: "512M", "2G", "1748M".
func flagSize(n uint64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%dG", n>>30)
	}
	return fmt.Sprintf("%dM", n>>20)
}

// ReadHost reads the host facts from the /proc and /sys under root ("/"
// on a real host). What cannot be read is left zero: unknown or unlimited.
func ReadHost(root string) Host {
	var h Host
	meminfo := readKV(filepath.Join(root, "proc/meminfo"))
	h.MemTotal = meminfo["MemTotal"]
	h.VmSize = readKV(filepath.Join(root, "proc/self/status"))["VmSize"]
	h.AddrSpace = readAddrSpaceLimit(filepath.Join(root, "proc/self/limits"))
	h.Cgroup = readCgroupLimit(root)
	if b, err := os.ReadFile(filepath.Join(root, "proc/sys/vm/overcommit_memory")); err == nil && strings.TrimSpace(string(b)) == "2" {
		h.StrictCommit = true
		h.CommitFree = sub(meminfo["CommitLimit"], meminfo["Committed_AS"])
	}
	return h
}

// readKV reads a file of "Key: value kB" lines (/proc/meminfo,
// /proc/self/status) into bytes; lines of other shapes are skipped.
func readKV(path string) map[string]uint64 {
	kv := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return kv
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text()) // "MemTotal:  24684084 kB"
		if len(fields) != 3 || fields[2] != "kB" || !strings.HasSuffix(fields[0], ":") {
			continue
		}
		if kb, err := strconv.ParseUint(fields[1], 10, 64); err == nil && kb < 1<<50 {
			kv[strings.TrimSuffix(fields[0], ":")] = kb << 10
		}
	}
	return kv
}

// readAddrSpaceLimit reads RLIMIT_AS's soft limit from /proc/self/limits
// ("Max address space  unlimited  unlimited  bytes"); 0 if unlimited.
func readAddrSpaceLimit(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Max address space")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 1 {
			return 0
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil { // "unlimited"
			return 0
		}
		return n
	}
	return 0
}

// cgroupUnlimited is where cgroup v1's "no limit" starts (it reports
// 2^63-1 rounded down to a page) and far above any real limit.
const cgroupUnlimited = 1 << 62

// readCgroupLimit finds the process's memory cgroup in /proc/self/cgroup
// and returns the tightest limit on it or its ancestors under
// /sys/fs/cgroup (a parent's limit binds its children too); 0 if none.
// Inside a container the cgroup's path may not exist below the mount
// (the mount is the container's own cgroup): its ancestors that do exist,
// the mount's root included, are read.
func readCgroupLimit(root string) uint64 {
	b, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	limit := uint64(0)
	tighten := func(dir, file string) {
		v, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 64)
		if err != nil || n >= cgroupUnlimited { // v2's "max"
			return
		}
		if limit == 0 || n < limit {
			limit = n
		}
	}
	cgroups := filepath.Join(root, "sys/fs/cgroup")
	for _, line := range strings.Split(string(b), "\n") {
		// "0::/user.slice" (v2) or "4:memory:/docker/abc" (v1)
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		controllers, path, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(path, "/") {
			continue
		}
		var mount, file string
		switch {
		case id == "0" && controllers == "":
			mount, file = cgroups, "memory.max"
		case slices.Contains(strings.Split(controllers, ","), "memory"):
			mount, file = filepath.Join(cgroups, "memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path; ; p = filepath.Dir(p) {
			tighten(filepath.Join(mount, p), file)
			if p == "/" {
				break
			}
		}
	}
	return limit
}

// Proc implements syscalls.Machine.
func (m *Machine) Proc() syscalls.ProcInfo {
	vsyscall := mem.VMA{Start: vsyscallPage, End: vsyscallPage + mem.PageSize, Prot: abi.ProtExec, Name: "[vsyscall]"}
	return syscalls.ProcInfo{
		Args:    m.cfg.Args,
		Env:     m.cfg.Env,
		Maps:    m.space.Maps() + vsyscall.MapsLine(),
		Threads: m.sched.Len(),
		VmSize:  m.space.Size(),
		VmRSS:   m.eng.committed() * mem.PageSize,
	}
}
