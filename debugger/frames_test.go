package debugger

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// TestFrameArgsValues checks argument values in backtraces against values
// known independently of DWARF: constants the frameargs guest passes, argc
// (the session starts the guest with one argument), and the funcval
// rt0_go hands to newproc, the runtime.mainPC symbol.
func TestFrameArgsValues(t *testing.T) {
	type target struct {
		name string
		bin  func(t *testing.T, guest string) string
	}
	var targets []target
	for _, tc := range toolchains {
		targets = append(targets, target{tc.name, tc.binary})
	}
	targets = append(targets, target{"go1.17", func(t *testing.T, _ string) string { return go117(t) }})
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			guest := "frameargs"
			if tg.name == "go1.17" {
				guest = "hello" // the go1.17 binary is the only one there is
			}
			bin := tg.bin(t, guest)
			f, err := loader.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			mainPC, ok := syms.Lookup("runtime.mainPC")
			if !ok {
				t.Fatal("no runtime.mainPC symbol")
			}
			script := "break runtime.args\nbreak runtime.newproc\ncontinue\nbt\ncontinue\nbt\ndelete\n"
			want := []string{
				"#0  ", " in runtime.args(c=1, v=0x",
				"#0  ", fmt.Sprintf(" in runtime.newproc(fn=%#x) at ", mainPC.Addr),
			}
			if tg.name == "go1.17" {
				// go1.17's newproc still took the size of the arguments.
				want[3] = fmt.Sprintf(" in runtime.newproc(siz=0, fn=%#x) at ", mainPC.Addr)
			} else {
				script += "break main.add\nbreak main.greet\ncontinue\nbt\ncontinue\nbt\ncontinue\nbt\n"
				want = append(want,
					"#0  ", " in main.add(a=40, b=2) at ",
					"#0  ", ` in main.greet(s="hello", n=3) at `,
					"#0  ", " in main.add(a=39, b=3) at ",
					"#1  ", " in main.outer(x=39) at ")
			}
			out := session(t, bin, script, emu.Config{Env: []string{}, Cpus: 2})
			lines := strings.Split(out, "\n")
			for i := 0; i < len(want); i += 2 {
				found := false
				for len(lines) > 0 && !found {
					l := lines[0]
					lines = lines[1:]
					found = strings.Contains(l, want[i]) && strings.Contains(l, want[i+1])
				}
				if !found {
					t.Fatalf("no frame line with %q and %q (in order) in:\n%s", want[i], want[i+1], out)
				}
			}
		})
	}
}
