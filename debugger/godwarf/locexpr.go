package godwarf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame is what is known of a stack frame when a DWARF location
// expression is evaluated in it.
type Frame struct {
	// CFA is the canonical frame address: the caller's stack pointer just
	// before the CALL that entered the function (the return address slot
	// + 8). Go's frame base (DW_AT_frame_base) is DW_OP_call_frame_cfa.
	CFA uint64
	// NoCFA says the CFA is not known (no stack pointer delta at pc):
	// expressions that need it fail.
	NoCFA bool
	// SP is the frame's stack pointer at its pc, 0 if not known. A
	// location computed from the CFA that lies below it is not on the
	// stack yet: go1.17 describes some arguments by their spill slot from
	// the function's first instruction, before the prologue has made room
	// for it and stored them (ParamValue shows those as unknown).
	SP uint64
	// Reg returns DWARF register n (x86-64 numbering: 0 rax, 1 rdx, 2 rcx,
	// 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15, 16 rip), false when
	// its value in this frame is not known. Nil means no register is
	// known, as for every frame but the innermost.
	Reg func(n int) (uint64, bool)
	// Mem is read by DW_OP_deref; nil fails such expressions.
	Mem Memory
}

func (fr Frame) reg(n int) (uint64, bool) {
	if fr.Reg == nil {
		return 0, false
	}
	return fr.Reg(n)
}

// PieceKind says where a piece of a value is.
type PieceKind int

const (
	PieceUnknown PieceKind = iota // optimized out: the expression gives no location
	PieceMemory                   // at Addr
	PieceReg                      // in DWARF register Reg
	PieceValue                    // the value itself is Value (DW_OP_stack_value)
)

// Piece is one part of a value's location. Size is its size in bytes (0
// for a location that is not split into pieces: the whole value).
type Piece struct {
	Kind  PieceKind
	Size  uint64
	Addr  uint64
	Reg   int
	Value uint64
	// FromCFA says a PieceMemory address was computed from the CFA
	// (DW_OP_fbreg, DW_OP_call_frame_cfa): a stack slot of the frame.
	FromCFA bool
}

// ErrUnknownRegister is wrapped by EvalLocation's error when an
// expression computes an address from a register whose value is not known
// in the frame (DW_OP_bregN in an outer frame).
var ErrUnknownRegister = errors.New("register value not known in this frame")

// maxExprStack bounds the evaluation stack.
const maxExprStack = 64

// EvalLocation evaluates a DWARF location expression in fr and returns the
// value's location: one piece of Size 0 for an unsplit value, or the
// pieces DW_OP_piece delimits, in order. An empty expression gives no
// pieces (the value was optimized out). It knows the operations Go
// writes, and the common arithmetic: DW_OP_addr, DW_OP_const*, DW_OP_lit*,
// DW_OP_dup, drop, plus, plus_uconst, minus, deref, DW_OP_reg0..31,
// regx, breg0..31, bregx, fbreg (the frame base is the CFA),
// call_frame_cfa, stack_value, piece and nop; any other is an error.
// A register location is reported as such, whether or not fr knows the
// register; an address computed from an unknown register is an error
// wrapping ErrUnknownRegister.
func EvalLocation(expr []byte, fr Frame) ([]Piece, error) {
	r := &reader{b: expr}
	var (
		stack  []uint64
		pieces []Piece
		// the location described since the last piece: a register, a
		// stack value, or (neither) the address on top of the stack
		isReg, isValue bool
		regNo          int
		fromCFA        bool // the address on the stack came from the CFA
	)
	push := func(v uint64) error {
		if len(stack) == maxExprStack {
			return errors.New("DWARF expression stack overflow")
		}
		stack = append(stack, v)
		return nil
	}
	pop := func() (uint64, error) {
		if len(stack) == 0 {
			return 0, errors.New("DWARF expression stack underflow")
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return v, nil
	}
	cfa := func() (uint64, error) {
		if fr.NoCFA {
			return 0, errors.New("frame address not known at this pc")
		}
		return fr.CFA, nil
	}
	breg := func(n int, off int64) error {
		v, ok := fr.reg(n)
		if !ok {
			return fmt.Errorf("%w: DWARF register %d", ErrUnknownRegister, n)
		}
		return push(v + uint64(off))
	}
	// location ends the current simple location as a piece of size n.
	location := func(n uint64) (Piece, error) {
		var p Piece
		switch {
		case isReg:
			p = Piece{Kind: PieceReg, Reg: regNo, Size: n}
		case isValue:
			v, err := pop()
			if err != nil {
				return p, err
			}
			p = Piece{Kind: PieceValue, Value: v, Size: n}
		case len(stack) > 0:
			a, _ := pop()
			p = Piece{Kind: PieceMemory, Addr: a, Size: n, FromCFA: fromCFA}
		default:
			p = Piece{Kind: PieceUnknown, Size: n}
		}
		stack, isReg, isValue, fromCFA = stack[:0], false, false, false
		return p, nil
	}
	for r.off < len(r.b) {
		op := r.u8()
		if isReg && op != opPiece {
			return nil, fmt.Errorf("DWARF operation %#x after a register location", op)
		}
		var err error
		switch {
		case op == opAddr:
			err = push(r.u64())
		case op == opConst1u:
			err = push(uint64(r.u8()))
		case op == opConst1s:
			err = push(uint64(int64(int8(r.u8()))))
		case op == opConst2u, op == opConst2s:
			b := r.bytes(2)
			if len(b) == 2 {
				v := uint64(binary.LittleEndian.Uint16(b))
				if op == opConst2s {
					v = uint64(int64(int16(v)))
				}
				err = push(v)
			}
		case op == opConst4u, op == opConst4s:
			b := r.bytes(4)
			if len(b) == 4 {
				v := uint64(binary.LittleEndian.Uint32(b))
				if op == opConst4s {
					v = uint64(int64(int32(v)))
				}
				err = push(v)
			}
		case op == opConst8u, op == opConst8s:
			err = push(r.u64())
		case op == opConstu:
			err = push(r.uleb())
		case op == opConsts:
			err = push(uint64(r.sleb()))
		case op >= opLit0 && op <= opLit0+31:
			err = push(uint64(op - opLit0))
		case op == opDup:
			var v uint64
			if v, err = pop(); err == nil {
				push(v)
				err = push(v)
			}
		case op == opDrop:
			_, err = pop()
		case op == opPlus, op == opMinus:
			var a, b uint64
			if b, err = pop(); err == nil {
				if a, err = pop(); err == nil {
					if op == opPlus {
						err = push(a + b)
					} else {
						err = push(a - b)
					}
				}
			}
		case op == opPlusUconst:
			var a uint64
			n := r.uleb()
			if a, err = pop(); err == nil {
				err = push(a + n)
			}
		case op == opDeref:
			var a uint64
			if a, err = pop(); err == nil {
				if fr.Mem == nil {
					err = errors.New("DW_OP_deref: no memory")
				} else {
					var w uint64
					if w, err = readWord(fr.Mem, a); err == nil {
						err = push(w)
					}
				}
			}
		case op >= opReg0 && op <= opReg0+31:
			isReg, regNo = true, int(op-opReg0)
		case op == opRegx:
			isReg, regNo = true, int(r.uleb())
		case op >= opBreg0 && op <= opBreg0+31:
			err = breg(int(op-opBreg0), r.sleb())
		case op == opBregx:
			n := int(r.uleb())
			err = breg(n, r.sleb())
		case op == opFbreg:
			off := r.sleb()
			var base uint64
			if base, err = cfa(); err == nil {
				fromCFA = true
				err = push(base + uint64(off))
			}
		case op == opCallFrameCFA:
			var base uint64
			if base, err = cfa(); err == nil {
				fromCFA = true
				err = push(base)
			}
		case op == opStackValue:
			isValue = true
		case op == opPiece:
			n := r.uleb()
			var p Piece
			if p, err = location(n); err == nil {
				pieces = append(pieces, p)
			}
		case op == opNop:
		default:
			return nil, fmt.Errorf("unsupported DWARF operation %#x", op)
		}
		if err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, fmt.Errorf("DWARF expression truncated")
		}
		if isValue && op != opStackValue && op != opPiece {
			return nil, fmt.Errorf("DWARF operation %#x after DW_OP_stack_value", op)
		}
	}
	if len(pieces) > 0 {
		if isReg || isValue || len(stack) > 0 {
			return nil, errors.New("DWARF expression has a location after its last piece")
		}
		return pieces, nil
	}
	if !isReg && !isValue && len(stack) == 0 {
		return nil, nil
	}
	p, err := location(0)
	if err != nil {
		return nil, err
	}
	return []Piece{p}, nil
}

// DWARF expression operations (DW_OP_*).
const (
	opAddr         = 0x03
	opDeref        = 0x06
	opConst1u      = 0x08
	opConst1s      = 0x09
	opConst2u      = 0x0a
	opConst2s      = 0x0b
	opConst4u      = 0x0c
	opConst4s      = 0x0d
	opConst8u      = 0x0e
	opConst8s      = 0x0f
	opConstu       = 0x10
	opConsts       = 0x11
	opDup          = 0x12
	opDrop         = 0x13
	opMinus        = 0x1c
	opPlus         = 0x22
	opPlusUconst   = 0x23
	opLit0         = 0x30
	opReg0         = 0x50
	opBreg0        = 0x70
	opRegx         = 0x90
	opFbreg        = 0x91
	opBregx        = 0x92
	opPiece        = 0x93
	opNop          = 0x96
	opCallFrameCFA = 0x9c
	opStackValue   = 0x9f
)
