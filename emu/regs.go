package emu

import (
	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/abi"
)

// ucRegs translates our register names to Unicorn's ids: the one place
// where Unicorn's numbering meets the rest of the emulator.
var ucRegs = [abi.NumRegs]int{
	abi.RAX: uc.X86_REG_RAX, abi.RBX: uc.X86_REG_RBX, abi.RCX: uc.X86_REG_RCX, abi.RDX: uc.X86_REG_RDX,
	abi.RSI: uc.X86_REG_RSI, abi.RDI: uc.X86_REG_RDI, abi.RBP: uc.X86_REG_RBP, abi.RSP: uc.X86_REG_RSP,
	abi.R8: uc.X86_REG_R8, abi.R9: uc.X86_REG_R9, abi.R10: uc.X86_REG_R10, abi.R11: uc.X86_REG_R11,
	abi.R12: uc.X86_REG_R12, abi.R13: uc.X86_REG_R13, abi.R14: uc.X86_REG_R14, abi.R15: uc.X86_REG_R15,
	abi.RIP: uc.X86_REG_RIP, abi.EFLAGS: uc.X86_REG_EFLAGS,
	abi.CS: uc.X86_REG_CS, abi.SS: uc.X86_REG_SS, abi.DS: uc.X86_REG_DS,
	abi.ES: uc.X86_REG_ES, abi.FS: uc.X86_REG_FS, abi.GS: uc.X86_REG_GS,
	abi.FSBase: uc.X86_REG_FS_BASE, abi.GSBase: uc.X86_REG_GS_BASE,
}

// Reg reads register r of the thread on the CPU.
func (m *Machine) Reg(r abi.Reg) uint64 { return m.eng.reg(ucRegs[r]) }
