package emu

import (
	"errors"
	"fmt"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/syscalls"
)

// Signal delivery into the guest is not emulated yet: a synchronous fault
// ends the process the way Linux ends one without a handler, with status
// 128+N and one line naming the signal, the PC and the fault address.

// intrSignal maps an x86 exception vector to the signal Linux sends.
func intrSignal(intno uint32) int {
	switch intno {
	case 0: // #DE divide error
		return syscalls.SIGFPE
	case 1, 3: // #DB, #BP (int3)
		return syscalls.SIGTRAP
	case 6: // #UD
		return syscalls.SIGILL
	case 13, 14: // #GP, #PF
		return syscalls.SIGSEGV
	}
	return syscalls.SIGSEGV
}

// fault handles an error returned by the engine.
func (m *Machine) fault(err error) {
	var ue uc.UcError
	if errors.As(err, &ue) && int(ue) == uc.ERR_INSN_INVALID {
		m.fatalSignal(syscalls.SIGILL, 0, false)
		return
	}
	addr, _, oom := m.eng.fault()
	if oom {
		m.exited = &Exit{Status: 124, Limit: "mem-limit",
			Detail: fmt.Sprintf("guest memory limit of %d MiB reached (touching %#x)", m.cfg.MemLimit>>20, addr)}
		return
	}
	m.fatalSignal(syscalls.SIGSEGV, addr, true)
}

// fatalSignal ends the guest as killed by sig at the current PC.
func (m *Machine) fatalSignal(sig int, addr uint64, hasAddr bool) {
	pc := m.eng.reg(uc.X86_REG_RIP)
	detail := fmt.Sprintf("guest killed by %s at %#x%s", syscalls.SignalName(sig), pc, m.symbolize(pc))
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
