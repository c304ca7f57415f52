package abi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// parseGoroot parses a file of the host toolchain's source tree.
func parseGoroot(t *testing.T, rel string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(runtime.GOROOT(), "src", rel), nil, 0)
	if err != nil {
		t.Skipf("toolchain source %s not readable: %v", rel, err)
	}
	return f
}

// TestGregsMatchRuntimeSigcontext checks Gregs against the Go runtime's own
// description of the kernel's sigcontext (runtime/defs_linux_amd64.go).
func TestGregsMatchRuntimeSigcontext(t *testing.T) {
	f := parseGoroot(t, "runtime/defs_linux_amd64.go")
	var fields []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "sigcontext" {
			return true
		}
		for _, fl := range ts.Type.(*ast.StructType).Fields.List {
			for _, nm := range fl.Names {
				fields = append(fields, nm.Name)
			}
		}
		return false
	})
	if len(fields) < NumGregs {
		t.Fatalf("runtime's sigcontext has %d fields, want at least %d", len(fields), NumGregs)
	}
	for i, r := range Gregs {
		if got, want := r.String(), fields[i]; got != want {
			t.Errorf("Gregs[%d] = %s, want %s (runtime's sigcontext)", i, got, want)
		}
	}
}

// TestDWARFMatchesCompiler checks ByDWARF against the numbers the Go
// compiler writes (cmd/internal/obj/x86's AMD64DWARFRegisters).
func TestDWARFMatchesCompiler(t *testing.T) {
	f := parseGoroot(t, "cmd/internal/obj/x86/a.out.go")
	seen := 0
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "AMD64DWARFRegisters" {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			kv := e.(*ast.KeyValueExpr)
			key := strings.ToLower(strings.TrimPrefix(kv.Key.(*ast.Ident).Name, "REG_"))
			if len(key) == 2 && key[0] != 'r' { // REG_AX is rax, REG_R8 is r8
				key = "r" + key
			}
			want, ok := ByName(key)
			if !ok {
				continue // vector and x87 registers: not in our table
			}
			n, _ := strconv.Atoi(kv.Value.(*ast.BasicLit).Value)
			got, ok := ByDWARF(n)
			if !ok || got != want {
				t.Errorf("ByDWARF(%d) = %v, %v; want %v (the compiler's numbering)", n, got, ok, want)
			}
			seen++
		}
		return false
	})
	if seen != 16 {
		t.Errorf("found %d general-purpose registers in AMD64DWARFRegisters, want 16", seen)
	}
	if r, ok := ByDWARF(16); !ok || r != RIP {
		t.Errorf("ByDWARF(16) = %v, %v; want rip (the return-address column)", r, ok)
	}
}

// TestEncodingMatchesDecoder checks ByEncoding against x86asm's register
// order, which follows the hardware encoding.
func TestEncodingMatchesDecoder(t *testing.T) {
	for n := 0; n < 16; n++ {
		r, ok := ByEncoding(n)
		want := strings.ToLower((x86asm.RAX + x86asm.Reg(n)).String())
		if !ok || r.String() != want {
			t.Errorf("ByEncoding(%d) = %v, %v; want %s", n, r, ok, want)
		}
	}
}

// TestNames checks that every name and alias finds its register and that
// no two registers share a number.
func TestNames(t *testing.T) {
	gdb := map[int]Reg{}
	for r := Reg(0); r < NumRegs; r++ {
		if got, ok := ByName(r.String()); !ok || got != r {
			t.Errorf("ByName(%q) = %v, %v; want %v", r.String(), got, ok, r)
		}
		if int(r) != r.GDB() && r < FSBase {
			t.Errorf("%v: Reg %d, gdb number %d; want equal", r, int(r), r.GDB())
		}
		if o, dup := gdb[r.GDB()]; dup {
			t.Errorf("%v and %v share gdb number %d", o, r, r.GDB())
		}
		gdb[r.GDB()] = r
	}
	for _, c := range []struct {
		name string
		want Reg
	}{{"pc", RIP}, {"sp", RSP}} {
		if got, ok := ByName(c.name); !ok || got != c.want {
			t.Errorf("ByName(%q) = %v, %v; want %v", c.name, got, ok, c.want)
		}
	}
	if _, ok := ByName("xmm0"); ok {
		t.Error(`ByName("xmm0") found a register; want none`)
	}
}
