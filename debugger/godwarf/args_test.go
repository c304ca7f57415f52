package godwarf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseLoc(t *testing.T) {
	reg0 := []byte{0x50}
	expr := func(e []byte) []byte { return append(binary.LittleEndian.AppendUint16(nil, uint16(len(e))), e...) }
	tests := []struct {
		name string
		sec  []byte
		off  uint64
		base uint64
		want []LocEntry
		err  bool
	}{
		{"relative to the unit base", cat(le64(0), le64(4), expr(reg0), le64(0), le64(0)), 0, 0x1000,
			[]LocEntry{{Lo: 0x1000, Hi: 0x1004, Expr: reg0}}, false},
		{"base selection entry", cat(le64(^uint64(0)), le64(0x2000), le64(1), le64(3), expr([]byte{0x9c}), le64(0), le64(0)), 0, 0x1000,
			[]LocEntry{{Lo: 0x2001, Hi: 0x2003, Expr: []byte{0x9c}}}, false},
		{"empty range dropped, at an offset", cat([]byte{9, 9}, le64(5), le64(5), expr(reg0), le64(6), le64(8), expr(reg0), le64(0), le64(0)), 2, 0,
			[]LocEntry{{Lo: 6, Hi: 8, Expr: reg0}}, false},
		{"truncated", cat(le64(0), le64(4), []byte{1}), 0, 0, nil, true},
		{"offset outside", cat(le64(0), le64(0)), 16, 0, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseLoc(tt.sec, tt.off, tt.base)
		if (err != nil) != tt.err {
			t.Errorf("%s: got error %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseLoclists(t *testing.T) {
	addrs := []uint64{0x40_0000, 0x41_0000}
	addrx := func(i uint64) (uint64, error) {
		if i >= uint64(len(addrs)) {
			return 0, errors.New("bad index")
		}
		return addrs[i], nil
	}
	e := func(b ...byte) []byte { return append(uleb(uint64(len(b))), b...) }
	tests := []struct {
		name string
		sec  []byte
		base uint64
		want []LocEntry
		err  bool
	}{
		{"base_addressx + offset_pair (what Go writes)",
			cat([]byte{lleBaseAddressx}, uleb(1), []byte{lleOffsetPair}, uleb(0), uleb(3), e(0x50), []byte{lleOffsetPair}, uleb(3), uleb(0x90), e(0x9c), []byte{lleEndOfList}), 0,
			[]LocEntry{{Lo: 0x41_0000, Hi: 0x41_0003, Expr: []byte{0x50}}, {Lo: 0x41_0003, Hi: 0x41_0090, Expr: []byte{0x9c}}}, false},
		{"offset_pair from the unit base", cat([]byte{lleOffsetPair}, uleb(2), uleb(4), e(0x53), []byte{lleEndOfList}), 0x1000,
			[]LocEntry{{Lo: 0x1002, Hi: 0x1004, Expr: []byte{0x53}}}, false},
		{"startx_endx, startx_length", cat([]byte{lleStartxEndx}, uleb(0), uleb(1), e(0x50), []byte{lleStartxLength}, uleb(1), uleb(8), e(0x51), []byte{lleEndOfList}), 0,
			[]LocEntry{{Lo: 0x40_0000, Hi: 0x41_0000, Expr: []byte{0x50}}, {Lo: 0x41_0000, Hi: 0x41_0008, Expr: []byte{0x51}}}, false},
		{"base_address, start_end, start_length, default",
			cat([]byte{lleBaseAddress}, le64(0x5000), []byte{lleOffsetPair}, uleb(1), uleb(2), e(0x50), []byte{lleStartEnd}, le64(0x10), le64(0x20), e(0x51),
				[]byte{lleStartLength}, le64(0x30), uleb(0x10), e(0x52), []byte{lleDefaultLocation}, e(0x53), []byte{lleEndOfList}), 0,
			[]LocEntry{{Lo: 0x5001, Hi: 0x5002, Expr: []byte{0x50}}, {Lo: 0x10, Hi: 0x20, Expr: []byte{0x51}}, {Lo: 0x30, Hi: 0x40, Expr: []byte{0x52}}, {Expr: []byte{0x53}, Default: true}}, false},
		{"bad address index", cat([]byte{lleBaseAddressx}, uleb(7), []byte{lleEndOfList}), 0, nil, true},
		{"unknown kind", []byte{0x2a, 0}, 0, nil, true},
		{"truncated expression", cat([]byte{lleOffsetPair}, uleb(0), uleb(1), uleb(5), []byte{0x50}), 0, nil, true},
		{"no end", cat([]byte{lleOffsetPair}, uleb(0), uleb(1), e(0x50)), 0, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseLoclists(tt.sec, 0, tt.base, addrx)
		if (err != nil) != tt.err {
			t.Errorf("%s: got error %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	list := []LocEntry{{Lo: 10, Hi: 20, Expr: []byte{1}}, {Expr: []byte{2}, Default: true}}
	for _, c := range []struct {
		pc   uint64
		want []byte
	}{{10, []byte{1}}, {19, []byte{1}}, {20, []byte{2}}, {5, []byte{2}}} {
		if got, ok := Find(list, c.pc); !ok || !bytes.Equal(got, c.want) {
			t.Errorf("Find(pc %d): got %v, %v, want %v", c.pc, got, ok, c.want)
		}
	}
	if _, ok := Find(list[:1], 20); ok {
		t.Errorf("Find(pc 20) without a default: got a location, want none")
	}
}

type fakeMem map[uint64]byte

func (m fakeMem) Peek(addr uint64, p []byte) error {
	for i := range p {
		b, ok := m[addr+uint64(i)]
		if !ok {
			return fmt.Errorf("unmapped %#x", addr+uint64(i))
		}
		p[i] = b
	}
	return nil
}

func TestEvalLocation(t *testing.T) {
	regs := func(n int) (uint64, bool) { return uint64(0x100 + n), n < 8 }
	mem := fakeMem{}
	for i, b := range le64(0xfeed) {
		mem[0x2000+uint64(i)] = b
	}
	fr := Frame{CFA: 0x1000, Reg: regs, Mem: mem}
	sleb := func(v int64) []byte { // small values only
		return []byte{byte(v) & 0x7f}
	}
	tests := []struct {
		name string
		expr []byte
		fr   Frame
		want []Piece
		err  error
	}{
		{"call_frame_cfa", []byte{opCallFrameCFA}, fr, []Piece{{Kind: PieceMemory, Addr: 0x1000, FromCFA: true}}, nil},
		{"fbreg -8", append([]byte{opFbreg}, sleb(-8)...), fr, []Piece{{Kind: PieceMemory, Addr: 0xff8, FromCFA: true}}, nil},
		{"cfa plus_uconst", append([]byte{opCallFrameCFA, opPlusUconst}, uleb(16)...), fr, []Piece{{Kind: PieceMemory, Addr: 0x1010, FromCFA: true}}, nil},
		{"consts plus", cat([]byte{opConstu}, uleb(0x30), []byte{opConsts}, sleb(-16), []byte{opPlus}), fr, []Piece{{Kind: PieceMemory, Addr: 0x20}}, nil},
		{"addr", cat([]byte{opAddr}, le64(0x4c1f28)), fr, []Piece{{Kind: PieceMemory, Addr: 0x4c1f28}}, nil},
		{"reg3", []byte{opReg0 + 3}, fr, []Piece{{Kind: PieceReg, Reg: 3}}, nil},
		{"regx 12", cat([]byte{opRegx}, uleb(12)), fr, []Piece{{Kind: PieceReg, Reg: 12}}, nil},
		{"string in two registers", cat([]byte{opReg0, opPiece}, uleb(8), []byte{opReg0 + 3, opPiece}, uleb(8)), fr,
			[]Piece{{Kind: PieceReg, Reg: 0, Size: 8}, {Kind: PieceReg, Reg: 3, Size: 8}}, nil},
		{"register then memory then optimized out", cat([]byte{opReg0, opPiece}, uleb(8), []byte{opCallFrameCFA, opPiece}, uleb(8), []byte{opPiece}, uleb(8)), fr,
			[]Piece{{Kind: PieceReg, Size: 8}, {Kind: PieceMemory, Addr: 0x1000, Size: 8, FromCFA: true}, {Kind: PieceUnknown, Size: 8}}, nil},
		{"breg known", append([]byte{opBreg0 + 7}, sleb(8)...), fr, []Piece{{Kind: PieceMemory, Addr: 0x107 + 8}}, nil},
		{"deref", cat([]byte{opConstu}, uleb(0x2000), []byte{opDeref}), fr, []Piece{{Kind: PieceMemory, Addr: 0xfeed}}, nil},
		{"stack value", []byte{opLit0 + 7, opStackValue}, fr, []Piece{{Kind: PieceValue, Value: 7}}, nil},
		{"empty: optimized out", nil, fr, nil, nil},
		{"breg unknown register", append([]byte{opBreg0 + 9}, sleb(0)...), fr, nil, ErrUnknownRegister},
		{"breg in an outer frame", append([]byte{opBreg0 + 7}, sleb(0)...), Frame{CFA: 1}, nil, ErrUnknownRegister},
	}
	for _, tt := range tests {
		got, err := EvalLocation(tt.expr, tt.fr)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: got error %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.want)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, bad := range [][]byte{{opPlus}, {0xe0}, {opReg0, opLit0}, {opFbreg}, {opCallFrameCFA, opPiece}} {
		if _, err := EvalLocation(bad, fr); err == nil {
			t.Errorf("EvalLocation(% x): got no error, want one", bad)
		}
	}
	if _, err := EvalLocation([]byte{opCallFrameCFA}, Frame{NoCFA: true}); err == nil {
		t.Errorf("call_frame_cfa without a CFA: got no error, want one")
	}
}

// readelfEntry is one entry of a location list as binutils prints it.
type readelfEntry struct {
	begin, end uint64
	ops        string
}

var (
	readelfLine = regexp.MustCompile(`^\s+([0-9a-f]{8}) ([0-9a-f]{16}) ([0-9a-f]{16}) \((.*)\)`)
	readelfOp   = regexp.MustCompile(`DW_OP_[a-z0-9_]+(: -?[0-9]+)?`)
)

// readelfLists runs readelf --debug-dump=loc on bin and returns its lists
// by offset: absolute addresses for DWARF 4 (readelf adds the base),
// offsets from the base for DWARF 5 (readelf does not resolve
// DW_LLE_base_addressx).
func readelfLists(t *testing.T, bin string) map[uint64][]readelfEntry {
	t.Helper()
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("readelf not installed (binutils)")
	}
	out, err := exec.Command("readelf", "--debug-dump=loc", bin).Output()
	if err != nil {
		t.Fatalf("readelf: %v", err)
	}
	lists := map[uint64][]readelfEntry{}
	start := int64(-1)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		off, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			continue
		}
		if start < 0 {
			start = int64(off)
			lists[off] = nil
		}
		if f[1] == "<End" {
			start = -1
			continue
		}
		m := readelfLine.FindStringSubmatch(l)
		if m == nil || strings.Contains(l, "(start == end)") || strings.Contains(l, "(base address)") {
			continue // a base address entry, or an empty range
		}
		b, _ := strconv.ParseUint(m[2], 16, 64)
		e, _ := strconv.ParseUint(m[3], 16, 64)
		lists[uint64(start)] = append(lists[uint64(start)], readelfEntry{b, e, strings.Join(readelfOp.FindAllString(m[4], -1), "; ")})
	}
	return lists
}

// opsText renders an expression as readelf names its operations, for the
// operations Go writes in location lists.
func opsText(expr []byte) string {
	r := &reader{b: expr}
	var ops []string
	for r.off < len(r.b) && r.err == nil {
		op := r.u8()
		switch {
		case op >= opReg0 && op <= opReg0+31:
			ops = append(ops, fmt.Sprintf("DW_OP_reg%d", op-opReg0))
		case op == opCallFrameCFA:
			ops = append(ops, "DW_OP_call_frame_cfa")
		case op == opFbreg:
			ops = append(ops, fmt.Sprintf("DW_OP_fbreg: %d", r.sleb()))
		case op == opPiece:
			ops = append(ops, fmt.Sprintf("DW_OP_piece: %d", r.uleb()))
		case op == opRegx:
			ops = append(ops, fmt.Sprintf("DW_OP_regx: %d", r.uleb()))
		case op == opPlusUconst:
			ops = append(ops, fmt.Sprintf("DW_OP_plus_uconst: %d", r.uleb()))
		case op == opConsts:
			ops = append(ops, fmt.Sprintf("DW_OP_consts: %d", r.sleb()))
		case op == opPlus:
			ops = append(ops, "DW_OP_plus")
		default:
			ops = append(ops, fmt.Sprintf("op %#x", op))
			r.off = len(r.b)
		}
	}
	return strings.Join(ops, "; ")
}

// toolchainBinaries are a guest built by each toolchain the tests cover.
var toolchainBinaries = []struct {
	name string
	bin  func(t *testing.T) string
}{
	{"current", func(t *testing.T) string { return buildGuest(t, goTool(t)) }},
	{"go1.19", func(t *testing.T) string { return buildGuest(t, need119(t)) }},
	{"go1.17", go117Binary},
	{"go1.11", func(t *testing.T) string {
		root, err := testbin.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		return testbin.Go111Guest(t, root, "argkinds", t.TempDir())
	}},
}

// TestLocListsMatchReadelf parses the location lists of the parameters and
// local variables of a sample of functions and compares them with binutils' reading of the
// same binary: ranges and operations. For DWARF 5, where readelf shows
// offsets from an unresolved base, the base is checked instead by every
// range lying inside its function.
func TestLocListsMatchReadelf(t *testing.T) {
	for _, tc := range toolchainBinaries {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.bin(t)
			_, in := open(t, bin)
			want := readelfLists(t, bin)
			in.sections()
			dwarf5 := in.loclists != nil
			checked := 0
			for i := 0; i < len(in.funcs); i += 7 {
				fn, ok := in.FuncAt(in.funcs[i].lo)
				if !ok {
					continue
				}
				vars := append([]Param(nil), fn.Params...)
				for _, l := range fn.Locals {
					vars = append(vars, l.Param)
				}
				for _, p := range vars {
					if !p.hasList {
						continue
					}
					if p.listErr != nil {
						t.Fatalf("function at %#x, param %s: %v", fn.Lo, p.Name, p.listErr)
					}
					off := p.listOff
					w, ok := want[off]
					if !ok {
						t.Fatalf("readelf has no list at %#x", off)
					}
					if len(w) != len(p.list) {
						t.Fatalf("list at %#x: got %d entries %v, want %d %v", off, len(p.list), p.list, len(w), w)
					}
					for k, le := range p.list {
						lo, hi := le.Lo, le.Hi
						if dwarf5 {
							base := le.Lo - w[k].begin
							if k > 0 && base != p.list[0].Lo-w[0].begin {
								t.Errorf("list at %#x: entry %d has base %#x, entry 0 %#x", off, k, base, p.list[0].Lo-w[0].begin)
							}
							if lo < fn.Lo || hi > fn.Hi {
								t.Errorf("list at %#x: range [%#x,%#x) outside its function [%#x,%#x)", off, lo, hi, fn.Lo, fn.Hi)
							}
							lo, hi = lo-base, hi-base
						}
						if lo != w[k].begin || hi != w[k].end || opsText(le.Expr) != w[k].ops {
							t.Errorf("list at %#x entry %d: got [%#x,%#x) %s, want [%#x,%#x) %s", off, k, lo, hi, opsText(le.Expr), w[k].begin, w[k].end, w[k].ops)
						}
					}
					checked++
				}
			}
			if checked < 50 {
				t.Errorf("checked %d lists, want at least 50", checked)
			}
		})
	}
}

// TestLocals checks the local variables read for runtime.main, whose
// needUnlock has been there since go1.5, on every toolchain: declared on
// a line inside the function, in scope at some pc of it, and every
// lexical block's range inside the function.
func TestLocals(t *testing.T) {
	for _, tc := range toolchainBinaries {
		t.Run(tc.name, func(t *testing.T) {
			f, in := open(t, tc.bin(t))
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			sym, ok := syms.Func("runtime.main")
			if !ok {
				t.Fatal("no runtime.main")
			}
			fn, ok := in.FuncAt(sym.Addr)
			if !ok {
				t.Fatal("no DWARF for runtime.main")
			}
			_, entryLine, _ := syms.LineForPC(sym.Addr)
			var found bool
			for _, l := range fn.Locals {
				for _, r := range l.Ranges {
					if r[0] < fn.Lo || r[1] > fn.Hi || r[0] >= r[1] {
						t.Errorf("local %s: block [%#x,%#x) not inside runtime.main [%#x,%#x)", l.Name, r[0], r[1], fn.Lo, fn.Hi)
					}
				}
				if l.Name != "needUnlock" {
					continue
				}
				found = true
				if l.DeclLine <= entryLine {
					t.Errorf("needUnlock declared at line %d, want after runtime.main's first line %d", l.DeclLine, entryLine)
				}
				inScope := false
				for pc := fn.Lo; pc < fn.Hi; pc++ {
					if l.InScope(pc) {
						inScope = true
						break
					}
				}
				if !inScope {
					t.Error("needUnlock is in scope nowhere in runtime.main")
				}
			}
			if !found {
				names := []string{}
				for _, l := range fn.Locals {
					names = append(names, l.Name)
				}
				t.Errorf("runtime.main locals %v, want needUnlock among them", names)
			}
		})
	}
}
