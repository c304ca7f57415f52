//go:build cgo && !nocapstone

package disasm

import (
	"fmt"
	"strings"
	"sync"

	"github.com/knightsc/gapstone"
)

// backendName names the decoder behind the Intel and AT&T syntaxes, for
// diagnostics and tests.
const backendName = "capstone"

// csEngine is one lazily opened Capstone handle. A Capstone handle keeps
// per-call state (the last error, the detail buffer), so one handle must
// not be used by two goroutines at once; each syntax gets its own handle
// because the syntax is a handle option.
type csEngine struct {
	mu     sync.Mutex
	tried  bool // open was attempted; eng and err are final
	eng    gapstone.Engine
	err    error
	option uint // CS_OPT_SYNTAX value
}

var csEngines = map[Syntax]*csEngine{
	Intel: {option: gapstone.CS_OPT_SYNTAX_INTEL},
	ATT:   {option: gapstone.CS_OPT_SYNTAX_ATT},
}

// csResult is what decodeNative needs from Capstone, copied out so that the
// Symbolizer runs without the handle's lock held (it may well decode
// something itself).
type csResult struct {
	mnemonic, opStr string
	size            int
	target          uint64
	ripAddrs        []uint64
}

// open opens the handle on first use. The handle is never closed: there
// are at most two and they live as long as the process.
func (e *csEngine) open() error {
	if e.tried {
		return e.err
	}
	e.tried = true
	eng, err := gapstone.New(gapstone.CS_ARCH_X86, gapstone.CS_MODE_64)
	if err != nil {
		e.err = fmt.Errorf("capstone: open: %w", err)
		return e.err
	}
	// Detail mode gives the operands, from which we take branch targets
	// and RIP-relative addresses instead of parsing Capstone's text.
	if err := eng.SetOption(gapstone.CS_OPT_DETAIL, gapstone.CS_OPT_ON); err != nil {
		eng.Close()
		e.err = fmt.Errorf("capstone: detail option: %w", err)
		return e.err
	}
	if err := eng.SetOption(gapstone.CS_OPT_SYNTAX, e.option); err != nil {
		eng.Close()
		e.err = fmt.Errorf("capstone: syntax option: %w", err)
		return e.err
	}
	e.eng = eng
	return nil
}

// decode runs Capstone on one instruction. It reports available == false
// when the handle cannot be used at all, so that the caller falls back to
// x86asm rather than calling every instruction undecodable.
func (e *csEngine) decode(code []byte, pc uint64) (r csResult, available bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// gapstone is thin Go glue over C; a bug in it (an index out of range
	// on an odd detail record) must cost one instruction, not the
	// debugger. The deferred Unlock still runs.
	defer func() {
		if p := recover(); p != nil {
			r, available, err = csResult{}, true, fmt.Errorf("capstone: panic: %v", p)
		}
	}()
	if err := e.open(); err != nil {
		return csResult{}, false, err
	}
	insns, err := e.eng.Disasm(code, pc, 1)
	if len(insns) == 0 {
		// Capstone leaves its error code at CS_ERR_OK for bytes that are
		// simply not an instruction.
		if err == nil || err == gapstone.ErrOK {
			err = errInvalid
		} else {
			err = fmt.Errorf("capstone: %w", err)
		}
		return csResult{}, true, err
	}
	in := &insns[0]
	if in.Mnemonic == "" {
		// A "diet" Capstone build has no text at all.
		return csResult{}, false, fmt.Errorf("capstone: library built without instruction text")
	}
	r = csResult{mnemonic: in.Mnemonic, opStr: in.OpStr, size: int(in.Size)}
	if in.X86 == nil {
		return r, true, nil
	}
	branch := false
	for _, g := range in.Groups {
		switch g {
		case gapstone.X86_GRP_JUMP, gapstone.X86_GRP_CALL, gapstone.X86_GRP_BRANCH_RELATIVE:
			branch = true
		}
	}
	for _, op := range in.X86.Operands {
		switch {
		case branch && op.Type == gapstone.X86_OP_IMM:
			// Capstone has already added the displacement to the
			// address of the next instruction.
			r.target = uint64(op.Imm)
		case op.Type == gapstone.X86_OP_MEM && op.Mem.Base == gapstone.X86_REG_RIP:
			r.ripAddrs = append(r.ripAddrs, pc+uint64(in.Size)+uint64(op.Mem.Disp))
		}
	}
	return r, true, nil
}

// decodeNative decodes one instruction for the Intel and AT&T syntaxes.
func decodeNative(code []byte, pc uint64, syn Syntax, sym Symbolizer) (Inst, error) {
	e := csEngines[syn]
	r, available, err := e.decode(code, pc)
	if !available {
		return decodeX86asm(code, pc, syn, sym)
	}
	if err != nil {
		return Inst{}, &DecodeError{PC: pc, Err: err}
	}
	if r.size <= 0 || r.size > len(code) {
		return Inst{}, &DecodeError{PC: pc, Err: fmt.Errorf("capstone: bad length %d", r.size)}
	}
	var b strings.Builder
	b.WriteString(r.mnemonic)
	if r.opStr != "" {
		b.WriteByte(' ')
		b.WriteString(r.opStr)
	}
	if c := symComment(r.target, sym); r.target != 0 && c != "" {
		b.WriteByte(' ')
		b.WriteString(c)
	}
	for _, a := range r.ripAddrs {
		b.WriteString(ripComment(a, sym))
	}
	return Inst{
		PC:     pc,
		Len:    r.size,
		Bytes:  append([]byte(nil), code[:r.size]...),
		Text:   b.String(),
		Target: r.target,
	}, nil
}
