package testbin

import (
	"os/exec"
	"strconv"
	"strings"
)

// Insn is an instruction as go tool objdump prints it, a decoder
// independent of ours.
type Insn struct {
	Pos  string // file:line
	Addr uint64
	Size uint64
	Asm  string // Plan 9 syntax
}

// Objdump disassembles with go command tool the functions of the binary
// at path that match the regular expression re (all when re is ""). The
// functions are named as in the ELF symbol table (runtime.mstart.abi0);
// src gives each one's source file.
func Objdump(t TB, tool, path, re string) (code map[string][]Insn, src map[string]string) {
	t.Helper()
	args := []string{"tool", "objdump"}
	if re != "" {
		args = append(args, "-s", re)
	}
	out, err := exec.Command(tool, append(args, path)...).Output()
	if err != nil {
		t.Fatal("go tool objdump: ", err)
	}
	code, src = map[string][]Insn{}, map[string]string{}
	var cur string
	for _, line := range strings.Split(string(out), "\n") {
		if text, ok := strings.CutPrefix(line, "TEXT "); ok {
			var file string
			cur, file, _ = strings.Cut(text, "(SB)")
			src[cur] = strings.TrimSpace(file)
			continue
		}
		var fields []string
		for _, s := range strings.Split(line, "\t") {
			if s = strings.TrimSpace(s); s != "" {
				fields = append(fields, s)
			}
		}
		if cur == "" || len(fields) < 4 {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimPrefix(fields[1], "0x"), 16, 64)
		if err != nil || len(fields[2])%2 != 0 {
			continue
		}
		code[cur] = append(code[cur], Insn{fields[0], addr, uint64(len(fields[2]) / 2), fields[3]})
	}
	return code, src
}
