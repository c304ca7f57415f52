// Package layering holds the test of the project's dependency rule: which
// of our packages may import which, and that only emu imports Unicorn.
package layering

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const (
	module  = "github.com/gouth-emu/gouth-emu/"
	unicorn = "github.com/unicorn-engine/unicorn"
)

// allowed is the rule: for each of our packages, the project packages (and
// Unicorn) it may import directly. A package missing from the table fails
// the test, so a new package states its place in the layering.
var allowed = map[string][]string{
	"abi":                        {},
	"loader":                     {"abi"},
	"syscalls":                   {"abi"},
	"emu/mem":                    {"abi"},
	"emu/sched":                  {"abi", "syscalls"},
	"emu":                        {"abi", "emu/mem", "emu/sched", "loader", "syscalls", unicorn},
	"timeline":                   {"abi"},
	"debugger/disasm":            {"abi", "loader"},
	"debugger/godwarf":           {"abi", "loader"},
	"target":                     {"abi", "emu", "emu/mem", "loader"},
	"debugger/stages":            {"abi", "loader", "target"},
	"debugger/unwind":            {"abi", "loader"},
	"debugger":                   {"abi", "loader", "debugger/disasm", "debugger/godwarf", "debugger/stages", "debugger/unwind", "target"},
	"cmd/gouth-emu":              {"abi", "loader", "syscalls", "emu", "target", "debugger", "debugger/disasm", "debugger/stages", "timeline", "gdbstub"},
	"gdbstub/rsp":                {},
	"gdbstub":                    {"abi", "loader", "target", "gdbstub/rsp"},
	"internal/testbin":           {},
	"internal/layering":          {},
	"e2e":                        {},
	"bench":                      {},
	"conformance":                {"internal/testbin"},
	"bench/workloads/compute":    {},
	"bench/workloads/gc":         {},
	"bench/workloads/goroutines": {},
	"bench/workloads/hello":      {},
	"bench/workloads/timers":     {},
}

type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

// listPackages runs go list over the module, with the build tags and cgo
// settings of the test run (make test passes them in the environment).
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; want the whole module", len(pkgs))
	}
	return pkgs
}

// ours names an import by its path inside the module, or returns it whole
// for Unicorn; other imports (the standard library, other modules) are "".
func ours(path string) string {
	if strings.HasPrefix(path, unicorn) {
		return unicorn
	}
	if p, ok := strings.CutPrefix(path, module); ok {
		return p
	}
	return ""
}

func TestDependencyRule(t *testing.T) {
	for _, p := range listPackages(t) {
		name := ours(p.ImportPath)
		if strings.HasPrefix(name, "testdata/") || strings.Contains(name, "/testdata/") {
			continue
		}
		rule, known := allowed[name]
		if !known {
			t.Errorf("package %s is not in the layering table; add it to allowed with what it may import", name)
			continue
		}
		ok := map[string]bool{name: true}
		for _, a := range rule {
			ok[a] = true
		}
		var bad []string
		for _, imp := range p.Imports {
			if o := ours(imp); o != "" && !ok[o] {
				bad = append(bad, o)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s imports %v; the rule allows %v", name, bad, rule)
		}
		// Tests may import helpers, but Unicorn stays inside emu.
		if name != "emu" {
			for _, imp := range append(p.TestImports, p.XTestImports...) {
				if ours(imp) == unicorn {
					t.Errorf("tests of %s import Unicorn; only emu may", name)
				}
			}
		}
	}
}
