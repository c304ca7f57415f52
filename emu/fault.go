package emu

import (
	"encoding/binary"
	"errors"
	"fmt"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"
	"golang.org/x/arch/x86/x86asm"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/emu/sched"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// Synchronous faults become signals for the faulting thread, delivered at
// once with the faulting instruction's context, as Linux does: a handler
// (Go's sigtramp) sees the exact PC and address; without one the process
// dies with 128+N and one line naming the signal, the PC and the address.

// Unicorn memory access types, as the TLB fill reports them.
const (
	accessRead  = 16 // UC_MEM_READ
	accessWrite = 17 // UC_MEM_WRITE
	accessFetch = 18 // UC_MEM_FETCH
)

// exception handles a CPU exception or interrupt vector.
func (m *Machine) exception(intno uint32) {
	pc := m.eng.reg(uc.X86_REG_RIP)
	switch intno {
	case 0: // #DE divide error
		m.syncSignal(abi.SIGFPE, abi.FPE_INTDIV, pc, 0)
	case 1, 3: // #DB, #BP (int3): RIP is past the instruction
		m.syncSignal(abi.SIGTRAP, abi.SI_KERNEL, 0, intno)
	case 6: // #UD
		m.syncSignal(abi.SIGILL, abi.ILL_ILLOPN, pc, 6)
	default: // #GP and the rest: Linux sends SIGSEGV with si_addr 0
		m.syncSignal(abi.SIGSEGV, abi.SI_KERNEL, 0, intno)
	}
}

// fault handles an error returned by the engine: a failed translation.
func (m *Machine) fault(err error) {
	var ue uc.UcError
	if errors.As(err, &ue) && int(ue) == uc.ERR_INSN_INVALID {
		m.exception(6)
		return
	}
	page, access, oom := m.eng.fault()
	if oom {
		m.exited = &Exit{Status: 124, Limit: "mem-limit",
			Detail: fmt.Sprintf("guest memory limit of %d MiB reached (touching %#x)", m.cfg.MemLimit>>20, page)}
		return
	}
	if page>>47 != 0 && page != vsyscallPage {
		m.generalProtection(access)
		return
	}
	code := int32(abi.SEGV_MAPERR)
	if _, ok := m.space.Find(page); ok {
		code = abi.SEGV_ACCERR
	}
	addr := page
	if access != accessFetch {
		addr = m.dataFaultAddr(page)
	} else if pc := m.eng.reg(uc.X86_REG_RIP); pc&^(mem.PageSize-1) == page {
		addr = pc
	}
	m.syncSignal(abi.SIGSEGV, code, addr, 14)
}

// generalProtection handles an access to a non-canonical address. The CPU
// raises #GP on the instruction itself, and Linux reports SIGSEGV with
// SI_KERNEL and address 0. Unicorn has already moved RIP to the target of
// a CALL to such an address, so the call is found again from the return
// address it pushed, and undone.
func (m *Machine) generalProtection(access int) {
	if access == accessFetch {
		sp := m.eng.reg(uc.X86_REG_RSP)
		var b [8]byte
		if m.Peek(sp, b[:]) == nil {
			ret := binary.LittleEndian.Uint64(b[:])
			for k := uint64(2); k <= 7; k++ {
				code := make([]byte, k)
				if m.Peek(ret-k, code) != nil {
					continue
				}
				inst, err := x86asm.Decode(code, 64)
				if err == nil && uint64(inst.Len) == k && inst.Op == x86asm.CALL {
					m.eng.setReg(uc.X86_REG_RIP, ret-k)
					m.eng.setReg(uc.X86_REG_RSP, sp+8)
					break
				}
			}
		}
	}
	m.syncSignal(abi.SIGSEGV, abi.SI_KERNEL, 0, 13)
}

// syncSignal delivers a fault signal to the current thread now.
func (m *Machine) syncSignal(sig int, code int32, addr uint64, trapno uint32) {
	tid := m.cur.Tid
	m.kernel.ForceSynchronous(tid, sig)
	if m.kernel.Disposition(sig) != syscalls.Handle {
		m.fatalSignal(sig, addr, sig != abi.SIGTRAP)
		return
	}
	regs := m.regs()
	regs.Trapno = uint64(trapno)
	if sig == abi.SIGSEGV {
		regs.CR2 = addr
		regs.Err = 4 // user-mode access
	}
	info := syscalls.SigInfo{Signo: sig, Code: code, Addr: addr}
	if m.stopAtSignal(info, regs) {
		return
	}
	m.enterHandler(info, regs)
}

// dataFaultAddr finds the exact address a faulting load or store used: the
// TLB only reports its page. It decodes the instruction at RIP and computes
// its memory operand; if that does not land in the faulting page (string
// instructions, pushes), the page's address is the answer.
func (m *Machine) dataFaultAddr(page uint64) uint64 {
	pc := m.eng.reg(uc.X86_REG_RIP)
	code := make([]byte, 15)
	n := m.PeekPrefix(pc, code)
	inst, err := x86asm.Decode(code[:n], 64)
	if err != nil {
		return page
	}
	for _, a := range inst.Args {
		op, ok := a.(x86asm.Mem)
		if !ok {
			continue
		}
		ea := uint64(op.Disp)
		if op.Base == x86asm.RIP {
			ea += pc + uint64(inst.Len)
		} else if op.Base != 0 {
			ea += m.gpr(op.Base)
		}
		if op.Index != 0 {
			ea += m.gpr(op.Index) * uint64(op.Scale)
		}
		switch op.Segment {
		case x86asm.FS:
			ea += m.eng.reg(uc.X86_REG_FS_BASE)
		case x86asm.GS:
			ea += m.eng.reg(uc.X86_REG_GS_BASE)
		}
		if inst.AddrSize == 32 {
			ea &= 0xffffffff
		}
		if ea>>12 == page>>12 {
			return ea
		}
	}
	return page
}

// gpr reads a 64- or 32-bit general register named by the decoder (whose
// order within each width is the hardware encoding's); 0 for any other.
func (m *Machine) gpr(r x86asm.Reg) uint64 {
	var n int
	switch {
	case r >= x86asm.RAX && r <= x86asm.R15:
		n = int(r - x86asm.RAX)
	case r >= x86asm.EAX && r <= x86asm.R15L:
		n = int(r - x86asm.EAX)
	default:
		return 0
	}
	reg, _ := abi.ByEncoding(n)
	v := m.Reg(reg)
	if r <= x86asm.R15L {
		v &= 0xffffffff
	}
	return v
}

// fatalSignal ends the guest as killed by sig at the current PC.
func (m *Machine) fatalSignal(sig int, addr uint64, hasAddr bool) {
	pc := m.eng.reg(uc.X86_REG_RIP)
	detail := fmt.Sprintf("guest killed by %s at %#x%s", abi.SignalName(sig), pc, m.symbolize(pc))
	if hasAddr {
		detail += fmt.Sprintf(", fault address %#x", addr)
	}
	m.exited = &Exit{Status: 128 + sig, Signal: sig, Detail: detail}
}

// symbolize renders " (fn+0x14, file.go:9)" for pc, or "" when unknown.
func (m *Machine) symbolize(pc uint64) string {
	syms, err := m.file.Symbols()
	if err != nil {
		return ""
	}
	s, off, ok := syms.ByAddr(pc)
	if !ok {
		return ""
	}
	file, line, _ := syms.LineForPC(pc)
	if file == "" {
		return fmt.Sprintf(" (%s+%#x)", s.Name, off)
	}
	return fmt.Sprintf(" (%s+%#x, %s:%d)", s.Name, off, file, line)
}

// asDeadlock returns err as a *sched.DeadlockError, or nil. The run loop
// asks after every stop: errors.As's target escapes, so it is only
// reached with an error.
func asDeadlock(err error) *sched.DeadlockError {
	if err == nil {
		return nil
	}
	var dl *sched.DeadlockError
	if errors.As(err, &dl) {
		return dl
	}
	return nil
}
