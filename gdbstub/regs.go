package gdbstub

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
)

// regDesc is one register of the target description: what gdb is told
// about it, and where its value comes from.
type regDesc struct {
	name    string
	num     int // the register's number in p/P packets (regnum in the XML)
	bits    int
	typ     string
	group   string  // "" for gdb's default (general)
	feature string  // the target-description feature it belongs to
	reg     abi.Reg // its value; noReg: always unavailable
}

// noReg marks a register gdb's amd64 architecture needs described but the
// target does not keep (the x87 state, orig_rax): it reads as "xx".
const noReg abi.Reg = -1

// The feature names are those gdb's manual documents for i386/amd64
// ("i386 Features"): core is required, linux and segments are optional.
const (
	featCore     = "org.gnu.gdb.i386.core"
	featLinux    = "org.gnu.gdb.i386.linux"
	featSegments = "org.gnu.gdb.i386.segments"
)

// origRAXNum is orig_rax's number: after the x87 (24-39) and SSE (40-56)
// registers in gdb's amd64-linux numbering, which abi.Reg.GDB follows, so
// that adding SSE later keeps every number.
const origRAXNum = 57

// registers is the register table, in number order: the g packet holds
// them in this order, p and P address them by num.
var registers = func() []regDesc {
	var rs []regDesc
	for r := abi.RAX; r <= abi.GS; r++ {
		d := regDesc{name: r.String(), num: r.GDB(), bits: 64, typ: "int64", feature: featCore, reg: r}
		switch {
		case r == abi.RBP || r == abi.RSP:
			d.typ = "data_ptr"
		case r == abi.RIP:
			d.typ = "code_ptr"
		case r == abi.EFLAGS:
			d.bits, d.typ = 32, "i386_eflags"
		case r >= abi.CS:
			d.bits, d.typ = 32, "int32"
		}
		rs = append(rs, d)
	}
	num := int(abi.GS.GDB()) + 1
	for i := 0; i < 8; i++ {
		rs = append(rs, regDesc{name: fmt.Sprintf("st%d", i), num: num, bits: 80, typ: "i387_ext", group: "float", feature: featCore, reg: noReg})
		num++
	}
	for _, n := range []string{"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"} {
		rs = append(rs, regDesc{name: n, num: num, bits: 32, typ: "int", group: "float", feature: featCore, reg: noReg})
		num++
	}
	rs = append(rs, regDesc{name: "orig_rax", num: origRAXNum, bits: 64, typ: "int", feature: featLinux, reg: noReg})
	for _, r := range []abi.Reg{abi.FSBase, abi.GSBase} {
		rs = append(rs, regDesc{name: r.String(), num: r.GDB(), bits: 64, typ: "int", feature: featSegments, reg: r})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].num < rs[j].num })
	return rs
}()

// regByNum returns the register numbered n in p and P packets.
func regByNum(n uint64) (regDesc, bool) {
	for _, d := range registers {
		if uint64(d.num) == n {
			return d, true
		}
	}
	return regDesc{}, false
}

// eflagsFields are the named bits of EFLAGS, for gdb's display of the
// register as [ ZF PF ... ].
var eflagsFields = []struct {
	name string
	bit  int
}{
	{"CF", 0}, {"PF", 2}, {"AF", 4}, {"ZF", 6}, {"SF", 7}, {"TF", 8}, {"IF", 9},
	{"DF", 10}, {"OF", 11}, {"NT", 14}, {"RF", 16}, {"VM", 17}, {"AC", 18},
	{"VIF", 19}, {"VIP", 20}, {"ID", 21},
}

// targetXML is the target description gdb reads with
// qXfer:features:read:target.xml: x86-64 Linux, and the registers of the
// table with their numbers.
var targetXML = func() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n")
	b.WriteString(`<!DOCTYPE target SYSTEM "gdb-target.dtd">` + "\n")
	b.WriteString("<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n<osabi>GNU/Linux</osabi>\n")
	for _, feat := range []string{featCore, featLinux, featSegments} {
		fmt.Fprintf(&b, "<feature name=%q>\n", feat)
		if feat == featCore {
			b.WriteString(`<flags id="i386_eflags" size="4">` + "\n")
			for _, f := range eflagsFields {
				fmt.Fprintf(&b, "  <field name=%q start=\"%d\" end=\"%d\"/>\n", f.name, f.bit, f.bit)
			}
			b.WriteString("</flags>\n")
		}
		for _, d := range registers {
			if d.feature != feat {
				continue
			}
			fmt.Fprintf(&b, "  <reg name=%q bitsize=\"%d\" type=%q regnum=\"%d\"", d.name, d.bits, d.typ, d.num)
			if d.group != "" {
				fmt.Fprintf(&b, " group=%q", d.group)
			}
			b.WriteString("/>\n")
		}
		b.WriteString("</feature>\n")
	}
	b.WriteString("</target>\n")
	return []byte(b.String())
}()

// appendReg appends register d of thread tid to dst as a g or p reply
// holds it: little-endian hex, or "xx" bytes for one the target does not
// keep.
func appendReg(dst []byte, t Target, tid int, d regDesc) ([]byte, error) {
	size := d.bits / 8
	if d.reg == noReg {
		return rsp.AppendUnavailable(dst, size), nil
	}
	v, err := t.ThreadReg(tid, d.reg)
	if err != nil {
		return nil, err
	}
	return rsp.AppendLE(dst, v, size), nil
}
