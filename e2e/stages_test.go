package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var stageLine = regexp.MustCompile(`^\[stage (\d+)\] (\S+)  ch\.(\d+)  (\S+)  insn (\d+)$`)

// TestRunStages checks run --stages on every toolchain: the boot's key
// stages are reported in order, with their chapters, the guest's output is
// unchanged and so is the instruction count.
func TestRunStages(t *testing.T) {
	type target struct{ name, bin string }
	var targets []target
	for _, tc := range toolchains {
		if tc.version.Known() {
			targets = append(targets, target{tc.name(), tc.binary(t, "hello")})
		}
	}
	if go117Err == nil {
		targets = append(targets, target{"go1.17", go117Bin})
	}
	for _, tg := range targets {
		tg := tg
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			plain := runEmu(t, []string{"--stats"}, nil, tg.bin)
			staged := runEmu(t, []string{"--stats", "--stages"}, nil, tg.bin)
			if string(staged.stdout) != string(plain.stdout) || staged.status != plain.status {
				t.Fatalf("--stages changed the guest: got %v %q, want %v %q", staged, staged.stdout, plain, plain.stdout)
			}
			insns := regexp.MustCompile(`(?m)^gouth-emu: stats: (\d+) instructions`)
			if a, b := insns.FindSubmatch(plain.stderr), insns.FindSubmatch(staged.stderr); a == nil || b == nil || string(a[1]) != string(b[1]) {
				t.Errorf("instruction count with --stages: got %s, want %s as without", b, a)
			}
			seen := map[string]uint64{}
			var order []string
			for _, l := range strings.Split(string(staged.stderr), "\n") {
				m := stageLine.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				n, _ := strconv.ParseUint(m[5], 10, 64)
				seen[m[2]] = n
				order = append(order, m[2])
			}
			want := []struct {
				sym     string
				chapter string
			}{
				{"_rt0_amd64_linux", "1"}, {"runtime.rt0_go", "1"}, {"runtime.osinit", "2"},
				{"runtime.schedinit", "2"}, {"runtime.mallocinit", "4"}, {"runtime.newproc", "3"},
				{"runtime.mstart", "2"}, {"runtime.main", "3"}, {"runtime.newosproc", "5"},
				{"runtime.gcenable", "6"}, {"main.main", "3"}, {"runtime.exit", "3"},
			}
			var prev uint64
			for _, w := range want {
				n, ok := seen[w.sym]
				if !ok {
					t.Errorf("stage %s: not reported; got stages %v", w.sym, order)
					continue
				}
				if n < prev {
					t.Errorf("stage %s at insn %d, before the previous key stage (insn %d)", w.sym, n, prev)
				}
				prev = n
				if !regexp.MustCompile(`\] ` + regexp.QuoteMeta(w.sym) + `  ch\.` + w.chapter + `  `).Match(staged.stderr) {
					t.Errorf("stage %s: want chapter %s", w.sym, w.chapter)
				}
			}
		})
	}
}
