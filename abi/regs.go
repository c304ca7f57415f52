// Package abi holds the facts of the x86-64 Linux ABI that the machine, the
// kernel and the front ends share, under our own names, so that none of
// them needs another's numbering (Unicorn's register ids stay inside emu).
package abi

// Reg is an x86-64 register by our own numbering, which is gdb's amd64
// register numbering: the value of a Reg is its number in a gdb remote
// register packet.
type Reg int

// The registers a thread's context holds. The order is gdb's (rax, rbx,
// rcx, rdx, ...), not the hardware encoding's.
const (
	RAX Reg = iota
	RBX
	RCX
	RDX
	RSI
	RDI
	RBP
	RSP
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
	RIP
	EFLAGS
	CS
	SS
	DS
	ES
	FS
	GS
	FSBase
	GSBase

	NumRegs = iota // number of registers
)

// regInfo is one register's names and numbers in the other numberings.
type regInfo struct {
	name string // gdb's name (also what $name means in an expression)
	// gdb is the register's number in gdb's amd64-linux target description
	// (core, x87, sse, linux, segments features in that order): 0-23 as in
	// gdb's enum amd64_regnum, then fs_base and gs_base after the x87 (24-39),
	// SSE (40-56) and orig_rax (57) registers.
	gdb int
	// dwarf is the DWARF register number (System V x86-64 psABI, "DWARF
	// Register Number Mapping"); 16 is the return-address column, read as
	// RIP. -1: none.
	dwarf int
	// greg is the index in mcontext_t's gregs, the order of a signal
	// frame's saved registers (uapi/asm/sigcontext.h); -1: not saved there.
	greg int
	// enc is the hardware encoding (ModRM/REX register field); -1: none.
	enc int
}

// regs is the one table of register names and numbers.
var regs = [NumRegs]regInfo{
	RAX:    {"rax", 0, 0, 13, 0},
	RBX:    {"rbx", 1, 3, 11, 3},
	RCX:    {"rcx", 2, 2, 14, 1},
	RDX:    {"rdx", 3, 1, 12, 2},
	RSI:    {"rsi", 4, 4, 9, 6},
	RDI:    {"rdi", 5, 5, 8, 7},
	RBP:    {"rbp", 6, 6, 10, 5},
	RSP:    {"rsp", 7, 7, 15, 4},
	R8:     {"r8", 8, 8, 0, 8},
	R9:     {"r9", 9, 9, 1, 9},
	R10:    {"r10", 10, 10, 2, 10},
	R11:    {"r11", 11, 11, 3, 11},
	R12:    {"r12", 12, 12, 4, 12},
	R13:    {"r13", 13, 13, 5, 13},
	R14:    {"r14", 14, 14, 6, 14},
	R15:    {"r15", 15, 15, 7, 15},
	RIP:    {"rip", 16, 16, 16, -1},
	EFLAGS: {"eflags", 17, 49, 17, -1},
	CS:     {"cs", 18, 51, -1, -1},
	SS:     {"ss", 19, 52, -1, -1},
	DS:     {"ds", 20, 53, -1, -1},
	ES:     {"es", 21, 50, -1, -1},
	FS:     {"fs", 22, 54, -1, -1},
	GS:     {"gs", 23, 55, -1, -1},
	FSBase: {"fs_base", 58, 58, -1, -1},
	GSBase: {"gs_base", 59, 59, -1, -1},
}

// aliases are gdb's other names for registers ($pc, $sp).
var aliases = map[string]Reg{"pc": RIP, "sp": RSP}

// NumGregs is the number of registers in Gregs.
const NumGregs = 18

// Gregs lists the registers a signal frame saves, in mcontext_t's order
// (r8 ... r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags).
var Gregs = func() (g [NumGregs]Reg) {
	for r, info := range regs {
		if info.greg >= 0 {
			g[info.greg] = Reg(r)
		}
	}
	return g
}()

// String returns the register's gdb name, "rax".
func (r Reg) String() string {
	if r < 0 || r >= NumRegs {
		return "reg?"
	}
	return regs[r].name
}

// GDB returns r's number in gdb's amd64-linux register numbering.
func (r Reg) GDB() int { return regs[r].gdb }

// ByName returns the register named name ("rax", "fs_base", or one of
// gdb's aliases "pc" and "sp"); names are lower case.
func ByName(name string) (Reg, bool) {
	if r, ok := aliases[name]; ok {
		return r, true
	}
	for r, info := range regs {
		if info.name == name {
			return Reg(r), true
		}
	}
	return 0, false
}

// ByDWARF returns the register DWARF numbers n (16, the return-address
// column, is RIP).
func ByDWARF(n int) (Reg, bool) {
	for r, info := range regs {
		if info.dwarf == n && n >= 0 {
			return Reg(r), true
		}
	}
	return 0, false
}

// ByEncoding returns the general-purpose register whose hardware encoding
// (ModRM/REX register number, 0-15: rax, rcx, rdx, rbx, rsp, ...) is n.
func ByEncoding(n int) (Reg, bool) {
	for r, info := range regs {
		if info.enc == n && n >= 0 {
			return Reg(r), true
		}
	}
	return 0, false
}
