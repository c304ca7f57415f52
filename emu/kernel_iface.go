package emu

import (
	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/emu/sched"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// This file implements syscalls.Machine. Every method runs on the run loop
// while the calling thread is on the CPU.

var _ syscalls.Machine = (*Machine)(nil)

const (
	pteR       = 1
	pteW       = 2
	pteX       = 4
	ptePresent = 8
)

// access copies between p and guest memory at addr. need is the permission
// the guest must have (pteR for reads, pteW for writes); 0 bypasses checks
// (the loader writing read-only segments).
func (m *Machine) access(addr uint64, p []byte, write bool, need uint64) error {
	for len(p) > 0 {
		if addr>>47 != 0 {
			return abi.EFAULT
		}
		e := m.eng.pte(addr)
		if e == nil {
			return abi.EFAULT
		}
		if need != 0 && (*e&ptePresent == 0 || *e&need == 0) {
			return abi.EFAULT
		}
		if need == 0 && *e&ptePresent == 0 {
			if _, ok := m.space.Find(addr); !ok {
				return abi.EFAULT
			}
		}
		off := addr & (mem.PageSize - 1)
		n := min(uint64(len(p)), mem.PageSize-off)
		pa, ok := m.eng.back(e)
		if !ok {
			return abi.ENOMEM
		}
		host := m.eng.phys[pa+off : pa+off+n]
		if write {
			copy(host, p[:n])
		} else {
			copy(p[:n], host)
		}
		p = p[n:]
		addr += n
	}
	return nil
}

// ReadMem implements syscalls.Machine.
func (m *Machine) ReadMem(addr uint64, p []byte) error { return m.access(addr, p, false, pteR) }

// WriteMem implements syscalls.Machine.
func (m *Machine) WriteMem(addr uint64, p []byte) error { return m.access(addr, p, true, pteW) }

// Access implements syscalls.Machine: it checks permissions page by page
// without backing or copying anything.
func (m *Machine) Access(addr, n uint64, write bool) error {
	need := uint64(pteR)
	if write {
		need = pteW
	}
	if n == 0 {
		return nil
	}
	if addr+n < addr {
		return abi.EFAULT
	}
	// Callers never copy more than this at once; past it, checking every
	// page would only cost time.
	n = min(n, 64<<20)
	for a := addr &^ (mem.PageSize - 1); a < addr+n; a += mem.PageSize {
		e := m.eng.pte(a)
		if e == nil || *e&ptePresent == 0 || *e&need == 0 {
			return abi.EFAULT
		}
	}
	return nil
}

// Peek reads guest memory regardless of protection (for the debugger).
func (m *Machine) Peek(addr uint64, p []byte) error { return m.access(addr, p, false, 0) }

// PeekPrefix reads as much of p as is readable from addr on, stopping at
// the first page that is not, and returns how many bytes it read. It is
// how instruction bytes are fetched near the end of a mapping.
func (m *Machine) PeekPrefix(addr uint64, p []byte) int {
	n := 0
	for n < len(p) {
		chunk := min(len(p)-n, int(mem.PageSize-(addr+uint64(n))%mem.PageSize))
		if m.Peek(addr+uint64(n), p[n:n+chunk]) != nil {
			break
		}
		n += chunk
	}
	return n
}

// toPerms gives the page-table bits for protection prot.
func toPerms(prot abi.Prot) uint64 {
	var p uint64
	if prot&abi.ProtRead != 0 {
		p |= pteR
	}
	if prot&abi.ProtWrite != 0 {
		p |= pteW | pteR // x86 pages cannot be write-only
	}
	if prot&abi.ProtExec != 0 {
		p |= pteX | pteR
	}
	return p
}

func memErr(err error) error {
	switch err {
	case nil:
		return nil
	case mem.ErrNoMem, mem.ErrCommit:
		return abi.ENOMEM
	case mem.ErrExist:
		return abi.EEXIST
	}
	return abi.EINVAL
}

// Mmap implements syscalls.Machine for anonymous mappings.
func (m *Machine) Mmap(addr, length uint64, prot, flags int) (uint64, error) {
	if prot&^int(abi.ProtAll) != 0 || flags&(abi.MAP_SHARED|abi.MAP_PRIVATE) == 0 {
		return 0, abi.EINVAL
	}
	how := mem.Hint
	switch {
	case flags&abi.MAP_FIXED != 0:
		how = mem.Fixed
	case flags&abi.MAP_FIXED_NOREPLACE != 0:
		how = mem.FixedNoReplace
	}
	start, replaced, err := m.space.Map(addr, length, abi.Prot(prot), how, "")
	if err != nil {
		return 0, memErr(err)
	}
	for _, r := range replaced {
		m.eng.clearRange(r[0], r[1])
	}
	end := start + (length+mem.PageSize-1)&^(mem.PageSize-1)
	if perms := toPerms(abi.Prot(prot)); perms != 0 {
		m.eng.setRange(start, end, perms)
	}
	if len(replaced) > 0 {
		m.eng.flushTLB()
	}
	return start, nil
}

// Munmap implements syscalls.Machine.
func (m *Machine) Munmap(addr, length uint64) error {
	gone, err := m.space.Unmap(addr, length)
	if err != nil {
		return memErr(err)
	}
	for _, r := range gone {
		m.eng.clearRange(r[0], r[1])
	}
	if len(gone) > 0 {
		m.eng.flushTLB()
	}
	return nil
}

// Mprotect implements syscalls.Machine.
func (m *Machine) Mprotect(addr, length uint64, prot int) error {
	if prot&^int(abi.ProtAll) != 0 {
		return abi.EINVAL
	}
	if err := m.space.Protect(addr, length, abi.Prot(prot)); err != nil {
		return memErr(err)
	}
	end := addr + (length+mem.PageSize-1)&^(mem.PageSize-1)
	m.eng.setRange(addr, end, toPerms(abi.Prot(prot)))
	m.eng.flushTLB()
	return nil
}

// Discard implements syscalls.Machine (MADV_DONTNEED): the range must be
// mapped; its pages read as zeros afterwards, as for private anonymous
// memory on Linux.
func (m *Machine) Discard(addr, length uint64) error {
	length = (length + mem.PageSize - 1) &^ (mem.PageSize - 1)
	if addr%mem.PageSize != 0 || addr+length < addr {
		return abi.EINVAL
	}
	for a := addr; a < addr+length; {
		v, ok := m.space.Find(a)
		if !ok {
			return abi.ENOMEM
		}
		a = v.End
	}
	m.eng.discardRange(addr, addr+length)
	m.eng.flushTLB()
	return nil
}

// Tid implements syscalls.Machine.
func (m *Machine) Tid() int { return m.cur.Tid }

// FSBase implements syscalls.Machine.
func (m *Machine) FSBase() uint64 { return m.eng.reg(uc.X86_REG_FS_BASE) }

// SetFSBase implements syscalls.Machine.
func (m *Machine) SetFSBase(v uint64) { m.eng.setReg(uc.X86_REG_FS_BASE, v) }

// Clone implements syscalls.Machine: the child is a copy of the caller's CPU
// state as it will be after the syscall, with RAX = 0, the new stack and TLS.
func (m *Machine) Clone(flags, stack, tls uint64) (int, error) {
	if m.sched.Len() >= maxThreads {
		return 0, abi.EAGAIN
	}
	parent, err := m.eng.newContext()
	if err != nil {
		return 0, abi.ENOMEM
	}
	defer parent.free()
	child, err := m.eng.newContext()
	if err != nil {
		return 0, abi.ENOMEM
	}
	m.eng.save(parent)
	m.eng.setReg(uc.X86_REG_RAX, 0)
	if stack != 0 {
		m.eng.setReg(uc.X86_REG_RSP, stack)
	}
	if flags&abi.CLONE_SETTLS != 0 {
		m.eng.setReg(uc.X86_REG_FS_BASE, tls)
	}
	m.eng.save(child)
	m.eng.restore(parent)
	m.nextTid++
	t := &sched.Thread{Tid: m.nextTid, Ctx: &thread{ctx: child}}
	m.sched.Add(t)
	m.kernel.ThreadCreated(m.cur.Tid, t.Tid)
	if m.cfg.Events != nil {
		m.cfg.Events.ThreadStart(t.Tid, m.cur.Tid, m.eng.insns())
	}
	return t.Tid, nil
}

// maxThreads bounds clone so a runaway guest cannot exhaust the host.
const maxThreads = 4096

// RSP implements syscalls.Machine.
func (m *Machine) RSP() uint64 { return m.eng.reg(uc.X86_REG_RSP) }

// HasThread implements syscalls.Machine: whether tid is a live thread of
// the guest (for kill and tgkill), without allocating.
func (m *Machine) HasThread(tid int) bool {
	return m.sched.Lookup(tid) != nil
}

// Regs implements syscalls.Machine.
func (m *Machine) Regs() syscalls.Regs { return m.regs() }

// FutexWake implements syscalls.Machine.
func (m *Machine) FutexWake(addr uint64, n int) int { return m.sched.FutexWake(addr, n) }

// Now implements syscalls.Machine.
func (m *Machine) Now() int64 { return m.sched.Now() }
