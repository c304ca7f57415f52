// Package disasm disassembles guest x86-64 code for the debugger, in Go's
// Plan 9 syntax (as go tool objdump prints it), Intel syntax or AT&T syntax
// (both close to binutils objdump).
//
// The Go syntax comes from golang.org/x/arch/x86/x86asm, the decoder go
// tool objdump itself uses, at the version in go.mod; the toolchain vendors
// its own, possibly older, copy, so the two can differ where x86asm has
// since been fixed (VEX registers, negative displacements). The Intel and
// AT&T syntaxes come from Capstone 4 (gapstone, cgo, -lcapstone) when the
// package is built with cgo, because Capstone's text is closer to binutils'
// than x86asm's Intel and GNU printers (je rather than jz, no "ptr" on an
// lea operand). Without cgo, with the nocapstone build tag (the linux/arm64
// build), or if Capstone cannot open a handle at run time, x86asm's
// IntelSyntax and GNUSyntax print them instead; backendName says which is
// compiled in.
package disasm

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Syntax selects the assembly dialect.
type Syntax int

// The syntaxes Decode can print.
const (
	Go    Syntax = iota // Plan 9 syntax, as go tool objdump and the runtime's .s files
	Intel               // Intel syntax, as objdump -M intel
	ATT                 // AT&T syntax, as objdump's default
)

var syntaxNames = [...]string{Go: "go", Intel: "intel", ATT: "att"}

// ParseSyntax returns the Syntax named by s ("go", "intel" or "att",
// case-insensitive), as a --syntax flag or a debugger command spells it.
func ParseSyntax(s string) (Syntax, error) {
	for i, name := range syntaxNames {
		if strings.EqualFold(s, name) {
			return Syntax(i), nil
		}
	}
	return 0, fmt.Errorf("unknown disassembly syntax %q (want go, intel or att)", s)
}

// String returns the name ParseSyntax accepts for s.
func (s Syntax) String() string {
	if s >= 0 && int(s) < len(syntaxNames) {
		return syntaxNames[s]
	}
	return fmt.Sprintf("Syntax(%d)", int(s))
}

// Symbolizer names addresses for branch targets and RIP-relative operands.
// It returns the name of the symbol containing addr and the symbol's start
// address, or ok == false if addr is in no symbol. It must be safe to call
// from the goroutine calling Decode.
type Symbolizer func(addr uint64) (name string, base uint64, ok bool)

// Inst is one decoded instruction.
type Inst struct {
	PC    uint64
	Len   int
	Bytes []byte // a copy of the instruction's bytes
	// Text is the instruction in the requested syntax, with symbols where
	// the Symbolizer knows them, for example
	//	Go:    CALL runtime.schedinit(SB)
	//	Intel: call 0x44a300 <runtime.schedinit>
	//	AT&T:  callq 0x44a300 <runtime.schedinit>
	Text   string
	Target uint64 // branch/call target if direct, else 0
}

// maxInstLen is the architectural limit on an x86 instruction's length.
// Decoders never need more bytes than this.
const maxInstLen = 15

// ErrEmpty is returned by Decode when it is given no bytes.
var ErrEmpty = errors.New("disasm: no code")

// errInvalid is the reason given for bytes a backend rejects without
// saying why.
var errInvalid = errors.New("invalid instruction")

// DecodeError reports bytes that do not form a valid instruction.
type DecodeError struct {
	PC  uint64
	Err error // the backend's reason
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("disasm: cannot decode instruction at %#x: %v", e.PC, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decode disassembles one instruction at pc from code. sym may be nil. It
// returns a *DecodeError if code does not start with a valid instruction
// (which includes one cut short by the end of code), and ErrEmpty if code
// is empty.
func Decode(code []byte, pc uint64, syn Syntax, sym Symbolizer) (Inst, error) {
	if len(code) == 0 {
		return Inst{}, ErrEmpty
	}
	if len(code) > maxInstLen {
		code = code[:maxInstLen]
	}
	switch syn {
	case Go:
		return decodeX86asm(code, pc, syn, sym)
	case Intel, ATT:
		return decodeNative(code, pc, syn, sym)
	}
	return Inst{}, fmt.Errorf("disasm: unknown syntax %v", syn)
}

// DecodeAll disassembles code from pc until it runs out. Undecodable bytes
// become a ".byte 0x.." pseudo-instruction of length 1, so that a listing
// always covers every byte and resynchronises after garbage, as objdump
// does.
func DecodeAll(code []byte, pc uint64, syn Syntax, sym Symbolizer) []Inst {
	var out []Inst
	for len(code) > 0 {
		inst, err := Decode(code, pc, syn, sym)
		if err != nil {
			inst = byteInst(code[0], pc)
		}
		out = append(out, inst)
		code = code[inst.Len:]
		pc += uint64(inst.Len)
	}
	return out
}

// byteInst is the pseudo-instruction for an undecodable byte.
func byteInst(b byte, pc uint64) Inst {
	return Inst{PC: pc, Len: 1, Bytes: []byte{b}, Text: fmt.Sprintf(".byte %#02x", b)}
}

// lookup adapts a Symbolizer to x86asm's SymLookup, which signals "no
// symbol" with an empty name.
func (sym Symbolizer) lookup() x86asm.SymLookup {
	if sym == nil {
		return nil
	}
	return func(addr uint64) (string, uint64) {
		name, base, ok := sym(addr)
		if !ok {
			return "", 0
		}
		return name, base
	}
}

// decodeX86asm decodes with x86asm and prints in any syntax: Go always,
// Intel and AT&T when Capstone is unavailable.
func decodeX86asm(code []byte, pc uint64, syn Syntax, sym Symbolizer) (Inst, error) {
	inst, err := x86asm.Decode(code, 64)
	// go tool objdump treats a zero Op or Len as undecodable too.
	if err != nil || inst.Len == 0 || inst.Op == 0 {
		if err == nil {
			err = errInvalid
		}
		return Inst{}, &DecodeError{PC: pc, Err: err}
	}
	if inst.Op == x86asm.VZEROUPPER || inst.Op == x86asm.VZEROALL {
		// x86asm v0.33.0 decodes these as if they had a ModR/M byte
		// when another byte follows (c5 f8 77 c3 comes out as one 4-byte
		// VZEROUPPER, swallowing memmove's RET), although VEX 0F 77 has
		// none; given exactly the instruction, it gets the length right.
		if short, err := x86asm.Decode(code[:inst.Len-1], 64); err == nil && short.Op == inst.Op && short.Len == inst.Len-1 {
			inst = short
		}
	}
	out := Inst{PC: pc, Len: inst.Len, Bytes: append([]byte(nil), code[:inst.Len]...)}
	for _, a := range inst.Args {
		if rel, ok := a.(x86asm.Rel); ok {
			out.Target = pc + uint64(inst.Len) + uint64(int64(rel))
		}
	}
	switch syn {
	case Go:
		out.Text = x86asm.GoSyntax(inst, pc, sym.lookup())
	case Intel:
		// x86asm's own symbol printing differs from objdump's; print bare
		// addresses and add the same comments as the Capstone path.
		out.Text = x86asm.IntelSyntax(inst, pc, nil)
	default:
		out.Text = x86asm.GNUSyntax(inst, pc, nil)
	}
	if syn != Go {
		if c := symComment(out.Target, sym); out.Target != 0 && c != "" {
			out.Text += " " + c
		}
		for _, a := range inst.Args {
			if m, ok := a.(x86asm.Mem); ok && m.Base == x86asm.RIP && m.Index == 0 {
				out.Text += ripComment(pc+uint64(inst.Len)+uint64(m.Disp), sym)
			}
		}
	}
	return out, nil
}

// symComment returns objdump's "<name>" or "<name+0xoff>" for addr, or ""
// if sym does not know it.
func symComment(addr uint64, sym Symbolizer) string {
	if sym == nil {
		return ""
	}
	name, base, ok := sym(addr)
	if !ok || name == "" || addr < base {
		return ""
	}
	if addr == base {
		return "<" + name + ">"
	}
	return fmt.Sprintf("<%s+%#x>", name, addr-base)
}

// ripComment returns the comment objdump appends to an instruction with a
// RIP-relative operand: the effective address and, if known, its symbol.
// Reading the address off the comment saves the reader adding the
// displacement to the next instruction's address.
func ripComment(addr uint64, sym Symbolizer) string {
	s := fmt.Sprintf("  # %#x", addr)
	if c := symComment(addr, sym); c != "" {
		s += " " + c
	}
	return s
}
