package syscalls

import (
	"encoding/binary"
	"os"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Process identity. The emulated process always has the same pid, and its
// threads count up from it, so traces do not depend on the host.
const (
	Pid  = 1000
	PPid = 1
)

func sysArchPrctl(c *Call) (uint64, error) {
	switch c.int32(0) {
	case abi.ARCH_SET_FS:
		if c.uint(1) >= 1<<47 {
			return 0, abi.EPERM
		}
		c.M.SetFSBase(c.uint(1))
		return 0, nil
	case abi.ARCH_GET_FS:
		return 0, c.writeU64(c.ptr(1), c.M.FSBase())
	case abi.ARCH_SET_GS, abi.ARCH_GET_GS:
		return 0, abi.EINVAL // Go never uses GS on linux/amd64
	}
	return 0, abi.EINVAL
}

func sysGettid(c *Call) (uint64, error)  { return uint64(c.Tid), nil }
func sysGetpid(c *Call) (uint64, error)  { return Pid, nil }
func sysGetppid(c *Call) (uint64, error) { return PPid, nil }
func sysGetuid(c *Call) (uint64, error)  { return uint64(os.Getuid()), nil }
func sysGetgid(c *Call) (uint64, error)  { return uint64(os.Getgid()), nil }
func sysGeteuid(c *Call) (uint64, error) { return uint64(os.Geteuid()), nil }
func sysGetegid(c *Call) (uint64, error) { return uint64(os.Getegid()), nil }

// threadFlags are the clone flags that make a thread rather than a process.
const threadFlags = abi.CLONE_VM | abi.CLONE_THREAD | abi.CLONE_SIGHAND

func sysClone(c *Call) (uint64, error) {
	flags, stack, ptid, ctid, tls := c.uint(0), c.uint(1), c.ptr(2), c.ptr(3), c.uint(4)
	if flags&threadFlags != threadFlags {
		shown := abi.SignalName(int(flags & abi.CSIGNAL)) // fork's clone: SIGCHLD alone
		if flags&^abi.CSIGNAL != 0 {
			shown = formatFlags(flags&^abi.CSIGNAL, cloneFlagNames)
			if flags&abi.CSIGNAL != 0 {
				shown += "|" + abi.SignalName(int(flags&abi.CSIGNAL))
			}
		}
		return 0, c.noProcesses("clone("+shown+")", "creating processes")
	}
	tid, err := c.M.Clone(flags, stack, tls)
	if err != nil {
		return 0, err
	}
	if flags&abi.CLONE_PARENT_SETTID != 0 {
		if err := c.writeU32(ptid, uint32(tid)); err != nil {
			return 0, err
		}
	}
	if flags&abi.CLONE_CHILD_SETTID != 0 {
		if err := c.writeU32(ctid, uint32(tid)); err != nil {
			return 0, err
		}
	}
	if flags&abi.CLONE_CHILD_CLEARTID != 0 {
		c.K.clearTID[tid] = ctid
	}
	c.K.Stats.Threads++
	return uint64(tid), nil
}

// noProcesses refuses a call that would create a process or run another
// program, with ENOSYS and one warning line the first time each call is
// made: the emulator runs a single process.
func (c *Call) noProcesses(what, action string) error {
	if !c.K.warned[c.Nr] {
		c.K.warned[c.Nr] = true
		c.K.warnf("warning: %s: %s is not emulated, returned ENOSYS", what, action)
	}
	return abi.ENOSYS
}

func sysFork(c *Call) (uint64, error)  { return 0, c.noProcesses("fork", "creating processes") }
func sysVfork(c *Call) (uint64, error) { return 0, c.noProcesses("vfork", "creating processes") }

func sysExecve(c *Call) (uint64, error) {
	return 0, c.noProcesses("execve", "running another program")
}

func sysExecveat(c *Call) (uint64, error) {
	return 0, c.noProcesses("execveat", "running another program")
}

// sysWait has no children to wait for: the guest cannot create any.
func sysWait(c *Call) (uint64, error) { return 0, abi.ECHILD }

func sysSetTidAddress(c *Call) (uint64, error) {
	c.K.clearTID[c.Tid] = c.ptr(0)
	return uint64(c.Tid), nil
}

// sysExit ends the calling thread. Like Linux, it clears and wakes the
// thread's clear_child_tid word first, which is how joiners learn of it.
func sysExit(c *Call) (uint64, error) {
	if addr, ok := c.K.clearTID[c.Tid]; ok && addr != 0 {
		if c.writeU32(addr, 0) == nil {
			c.M.FutexWake(addr, 1)
		}
		delete(c.K.clearTID, c.Tid)
	}
	return 0, c.exitThread(int(c.int32(0)) & 0xff)
}

func sysExitGroup(c *Call) (uint64, error) {
	return 0, c.exitGroup(int(c.int32(0)) & 0xff)
}

func sysSchedGetaffinity(c *Call) (uint64, error) {
	const maskBytes = 8 // the kernel's cpumask for up to 64 CPUs
	if c.uint(1) < maskBytes || c.uint(1)%8 != 0 {
		return 0, abi.EINVAL
	}
	n := c.K.cfg.Cpus
	if n > 64 {
		n = 64
	}
	mask := uint64(1)<<uint(n) - 1
	if n == 64 {
		mask = ^uint64(0)
	}
	var b [maskBytes]byte
	binary.LittleEndian.PutUint64(b[:], mask)
	c.outBuf = b[:]
	return maskBytes, c.write(c.ptr(2), b[:])
}

func sysSchedSetaffinity(c *Call) (uint64, error) { return 0, nil }

func sysSchedYield(c *Call) (uint64, error) { return 0, c.yield() }

// hostGroups are the host user's supplementary groups, which the guest
// inherits as a child process would.
func hostGroups() []uint32 {
	ids, _ := os.Getgroups()
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out
}

// ngroupsMax is Linux's NGROUPS_MAX.
const ngroupsMax = 65536

func sysGetgroups(c *Call) (uint64, error) {
	size, g := c.int32(0), c.K.groups
	switch {
	case size < 0:
		return 0, abi.EINVAL
	case size == 0:
		return uint64(len(g)), nil
	case int(size) < len(g):
		return 0, abi.EINVAL
	}
	b := make([]byte, 4*len(g))
	for i, id := range g {
		binary.LittleEndian.PutUint32(b[4*i:], id)
	}
	return uint64(len(g)), c.write(c.ptr(1), b)
}

// sysSetgroups changes the emulated identity's groups, which only root
// may (CAP_SETGID); the host process's own never change.
func sysSetgroups(c *Call) (uint64, error) {
	size := c.int32(0)
	if size < 0 || size > ngroupsMax {
		return 0, abi.EINVAL
	}
	b, err := c.read(c.ptr(1), int(size)*4)
	if err != nil {
		return 0, err
	}
	if os.Geteuid() != 0 {
		return 0, abi.EPERM
	}
	g := make([]uint32, size)
	for i := range g {
		g[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	c.K.groups = g
	return 0, nil
}

// rlimit is a (soft, hard) pair; ^0 is RLIM_INFINITY.
type rlimit struct{ cur, max uint64 }

// rlimNlimits is Linux's RLIM_NLIMITS: resources are numbered below it.
const rlimNlimits = 16

func defaultRlimits() map[int]rlimit {
	inf := ^uint64(0)
	return map[int]rlimit{
		abi.RLIMIT_STACK:  {8 << 20, inf},
		abi.RLIMIT_NOFILE: hostNofile(),
		abi.RLIMIT_AS:     {inf, inf},
	}
}

// hostNofile is the guest's RLIMIT_NOFILE to begin with: the host
// process's, at most maxFDs. (The emulator is a Go program too, so its
// runtime has already raised the soft limit to the hard one, as a Go guest's
// runtime would do natively.)
func hostNofile() rlimit {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return rlimit{1024, 1024}
	}
	return rlimit{min(r.Cur, maxFDs), min(r.Max, maxFDs)}
}

func (k *Kernel) rlimit(res int) rlimit {
	if r, ok := k.rlimits[res]; ok {
		return r
	}
	return rlimit{^uint64(0), ^uint64(0)}
}

func sysGetrlimit(c *Call) (uint64, error) {
	res := c.u32(0)
	if res >= rlimNlimits {
		return 0, abi.EINVAL
	}
	r := c.K.rlimit(int(res))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], r.cur)
	binary.LittleEndian.PutUint64(b[8:], r.max)
	return 0, c.write(c.ptr(1), b[:])
}

func sysSetrlimit(c *Call) (uint64, error) {
	if c.u32(0) >= rlimNlimits {
		return 0, abi.EINVAL
	}
	return 0, c.setrlimit(int(c.u32(0)), c.ptr(1))
}

// setrlimit sets a limit from the struct rlimit at ptr, with Linux's
// errors: EINVAL for soft above hard, EPERM for raising the hard limit
// unless the identity is root (CAP_SYS_RESOURCE) or RLIMIT_NOFILE above the
// emulator's cap (Linux's fs.nr_open). The descriptor table follows
// RLIMIT_NOFILE's soft limit.
func (c *Call) setrlimit(res int, ptr uint64) error {
	b, err := c.read(ptr, 16)
	if err != nil {
		return err
	}
	old := c.K.rlimit(res)
	n := rlimit{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
	switch {
	case n.cur > n.max:
		return abi.EINVAL
	case n.max > old.max && os.Geteuid() != 0:
		return abi.EPERM
	case res == abi.RLIMIT_NOFILE && n.max > maxFDs:
		return abi.EPERM
	}
	c.K.rlimits[res] = n
	if res == abi.RLIMIT_NOFILE {
		c.K.fds.max = int(n.cur)
	}
	return nil
}

func sysPrlimit64(c *Call) (uint64, error) {
	if pid := c.int32(0); pid != 0 && pid != Pid {
		return 0, abi.ESRCH
	}
	res := c.u32(1)
	if res >= rlimNlimits {
		return 0, abi.EINVAL
	}
	old := c.K.rlimit(int(res))
	if c.ptr(2) != 0 {
		if err := c.setrlimit(int(res), c.ptr(2)); err != nil {
			return 0, err
		}
	}
	if c.ptr(3) != 0 {
		var b [16]byte
		binary.LittleEndian.PutUint64(b[0:], old.cur)
		binary.LittleEndian.PutUint64(b[8:], old.max)
		return 0, c.write(c.ptr(3), b[:])
	}
	return 0, nil
}

func sysPrctl(c *Call) (uint64, error) {
	switch c.int32(0) {
	case abi.PR_SET_NAME:
		name, err := c.readString(c.ptr(1), 16)
		if err != nil && err != abi.ERANGE {
			return 0, err
		}
		c.K.threadNames[c.Tid] = name
		return 0, nil
	case abi.PR_GET_NAME:
		b := make([]byte, 16)
		copy(b, c.K.threadNames[c.Tid])
		return 0, c.write(c.ptr(1), b)
	case abi.PR_SET_KEEPCAPS:
		// Kept across a setuid to non-root, which cannot happen here; only
		// the flag is kept, per thread.
		if c.uint(1) > 1 {
			return 0, abi.EINVAL
		}
		c.K.keepCaps[c.Tid] = c.uint(1) == 1
		return 0, nil
	case abi.PR_GET_KEEPCAPS:
		if c.K.keepCaps[c.Tid] {
			return 1, nil
		}
		return 0, nil
	}
	// PR_SET_VMA (naming anonymous mappings) and the rest: like a kernel
	// built without them.
	return 0, abi.EINVAL
}

func sysUname(c *Call) (uint64, error) {
	const field = 65
	b := make([]byte, 6*field)
	for i, s := range []string{"Linux", "gouth-emu", "6.1.0-gouth", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "(none)"} {
		copy(b[i*field:], s)
	}
	return 0, c.write(c.ptr(0), b)
}

// sysGetrandom fills the buffer from a deterministic stream seeded by the
// configuration, so that map iteration and hash seeds in the guest are the
// same on every run.
func sysGetrandom(c *Call) (uint64, error) {
	if c.u32(2)&^0x7 != 0 { // GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE
		return 0, abi.EINVAL
	}
	if err := c.userRange(c.ptr(0), c.uint(1)); err != nil {
		return 0, err
	}
	n := clampIO(c.uint(1))
	b := make([]byte, n)
	c.K.random(b)
	// Like Linux, a buffer that becomes unwritable part way gets what fits.
	done := 0
	for done < n {
		chunk := min(n-done, int(4096-(c.ptr(0)+uint64(done))%4096))
		if c.write(c.ptr(0)+uint64(done), b[done:done+chunk]) != nil {
			if done == 0 {
				return 0, abi.EFAULT
			}
			break
		}
		done += chunk
	}
	return uint64(done), nil
}

// random fills b from the kernel's splitmix64 stream.
func (k *Kernel) random(b []byte) {
	for i := 0; i < len(b); i += 8 {
		k.rng += 0x9e3779b97f4a7c15
		z := k.rng
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], z)
		copy(b[i:], w[:])
	}
}

// Random gives the emulator bytes from the same deterministic stream, for
// the auxiliary vector's AT_RANDOM.
func (k *Kernel) Random(b []byte) { k.random(b) }
