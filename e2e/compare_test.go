package e2e

import (
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

var updateCompare = flag.Bool("update-compare", false, "rewrite the compare goldens in testdata/compare and the README's compare section")

// readmeCompare is the golden the README's "Two boots side by side" shows.
const readmeCompare = "testdata/compare/hello.go1.11.1.go1.26.8.golden"

// compareDir makes a directory whose path has the same length on every run:
// the binary's absolute path is on the guest's stack (AT_EXECFN) and in
// /proc/self/exe, so its length moves instruction counts. It is under /tmp
// rather than $TMPDIR for the same reason.
func compareDir(t *testing.T) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		dir := fmt.Sprintf("/tmp/gouth-compare-%08x", rand.Uint32())
		if err := os.Mkdir(dir, 0o755); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		} else if !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	t.Fatal("no free /tmp/gouth-compare-XXXXXXXX directory")
	return ""
}

// helloFor copies a build of hello into dir as hello1NN, after its
// version's minor number (hello111 for go1.11.1).
func helloFor(t *testing.T, dir, bin string) string {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	v := f.Version()
	if !v.Known() {
		t.Fatalf("%s: no Go version", bin)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, fmt.Sprintf("hello%d%d", v.Major, v.Minor))
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareTable is compare's output split into rows and cells (cells are
// two or more spaces apart; a sub-stage's name is indented).
type compareTable struct {
	header []string
	rows   map[string][]string // by first cell: stage ID, syscall name, total
}

var cellSep = regexp.MustCompile(` {2,}`)

func parseCompare(t *testing.T, out []byte, columns int) compareTable {
	t.Helper()
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	tb := compareTable{header: cellSep.Split(lines[0], -1), rows: map[string][]string{}}
	section := ""
	for _, l := range lines[1:] {
		cells := cellSep.Split(strings.TrimSpace(l), -1)
		switch {
		case l == "":
		case len(cells) == 1:
			section = cells[0]
		case len(cells) == 2+columns || section != "boot" && section != "first uses" && len(cells) == 1+columns:
			if section == "syscalls" || section == "totals" {
				cells = append(cells[:1], append([]string{""}, cells[1:]...)...) // no chapter
			}
			tb.rows[section+"/"+cells[0]] = cells
		default:
			t.Errorf("compare: row %q has %d cells, want %d", l, len(cells), 2+columns)
		}
	}
	return tb
}

// TestCompare runs compare on go1.11.1 and the machine's Go builds of
// hello and checks the table against run --stages and run --stats of each
// binary, against the binaries' ELF symbols, and against its golden; and
// the picture: well formed, stages the runs share at the same x, rendered
// by rsvg-convert when installed.
func TestCompare(t *testing.T) {
	dir := compareDir(t)
	old := helloFor(t, dir, testbin.Go111Guest(t, repoRoot, "hello", t.TempDir()))
	cur := helloFor(t, dir, testbin.Machine.BuildGuest(t, repoRoot, "hello", t.TempDir()))
	bins := []string{old, cur}
	svg := filepath.Join(dir, "boots.svg")
	args := []string{"compare", "--clean-env", "--timeout", emuTimeout, "-o", svg, old, cur}
	r := run(t, nil, emulator, args...)
	if r.status != 0 || len(r.stderr) != 0 {
		t.Fatalf("gouth-emu %s: %v\n%s", strings.Join(args, " "), r, r.stderr)
	}
	if bytes.Contains(r.stdout, []byte("hello, world")) {
		t.Errorf("compare showed the guests' output:\n%s", r.stdout)
	}
	again := run(t, nil, emulator, args...)
	if !bytes.Equal(again.stdout, r.stdout) {
		t.Errorf("two runs of compare differ:\n%s", lineDiffs(string(again.stdout), string(r.stdout)))
	}
	tb := parseCompare(t, r.stdout, len(bins))

	versions := make([]string, len(bins))
	for col, bin := range bins {
		f, err := loader.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		versions[col] = f.GoVersion
		if want := filepath.Base(bin) + " (" + f.GoVersion + ")"; len(tb.header) <= 2+col || tb.header[2+col] != want {
			t.Errorf("column %d header: got %q, want %q", col, tb.header, want)
		}
		t.Run(f.GoVersion, func(t *testing.T) { checkCompareColumn(t, tb, 2+col, bin, f.GoVersion) })
	}

	// What the book's reader is shown first: go1.11 has neither mstart0
	// (go1.17's Go half of mstart) nor the scavenger goroutine (go1.13),
	// has parsedebugvars (runtime1.go; go1.26 calls it
	// parseRuntimeDebugVars), and initialises packages through
	// runtime.init and main.init rather than doInit (go1.11.1 source).
	// An absent stage's cell is a note number; the note says why.
	for _, c := range []struct{ row, want string }{
		{"boot/mstart0", `^absent \[\d+\]$`},
		{"boot/bgscavenge", `^absent \[\d+\]$`},
		{"boot/parsedebugvars", `^\d+ \(runtime\.parsedebugvars\)$`},
		{"boot/runtime_init", `^\d+ \(runtime\.init\)$`},
		{"boot/main_init", `^\d+`},
	} {
		row := tb.rows[c.row]
		if len(row) < 3 || !regexp.MustCompile(c.want).MatchString(row[2]) && row[2] != c.want {
			t.Errorf("go1.11.1 %s: got %q, want %q", c.row, row, c.want)
		}
	}

	for _, note := range []string{
		"] mstart0 absent in go1.11.1: before go1.17",
		"] bgscavenge absent in go1.11.1: before go1.13",
	} {
		if !bytes.Contains(r.stdout, []byte(note)) {
			t.Errorf("compare's notes lack %q", note)
		}
	}

	golden := fmt.Sprintf("testdata/compare/hello.%s.%s.golden", versions[0], versions[1])
	checkCompareGolden(t, golden, r.stdout)

	checkComparePicture(t, svg, dir)

	// -o .html: the same picture in a page.
	page := filepath.Join(dir, "boots.html")
	if r := run(t, nil, emulator, "compare", "--clean-env", "--timeout", emuTimeout, "-o", page, old, cur); r.status != 0 {
		t.Fatalf("compare -o boots.html: %v %s", r, r.stderr)
	}
	svgData, _ := os.ReadFile(svg)
	if b, _ := os.ReadFile(page); !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) || len(svgData) == 0 || !bytes.Contains(b, svgData) {
		t.Error("compare -o boots.html: the page does not hold the SVG compare -o boots.svg drew")
	}
}

// checkCompareColumn checks column col of the table, for bin: every stage
// run --stages reports, at the same instruction, and no other; absent and
// inlined stages against the ELF symbol table; syscalls and totals against
// run --stats.
func checkCompareColumn(t *testing.T, tb compareTable, col int, bin, version string) {
	staged := runEmu(t, []string{"--stats", "--stages"}, nil, bin)
	if staged.status != 0 {
		t.Fatalf("run --stages: %v\n%s", staged, staged.stderr)
	}
	reached := map[string]uint64{} // by the name run --stages prints
	for _, l := range strings.Split(string(staged.stderr), "\n") {
		if m := stageLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseUint(m[5], 10, 64)
			reached[m[2]] = n
		}
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]bool{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			funcs[strings.TrimSuffix(s.Name, ".abi0")] = true
		}
	}

	count := regexp.MustCompile(`^(\d+)( |$)`)
	for _, st := range stages.Table {
		section := "boot"
		if st.Later {
			section = "first uses"
		}
		row, ok := tb.rows[section+"/"+st.ID]
		var want uint64
		found := false
		for _, sym := range st.Symbols {
			name := sym
			if st.NewThread {
				name += "(newM)"
			}
			if n, ok := reached[name]; ok {
				want, found = n, true
				delete(reached, name)
			}
		}
		hasFunc := false
		for _, sym := range st.Symbols {
			hasFunc = hasFunc || funcs[sym]
		}
		if !ok {
			if found || hasFunc {
				t.Errorf("stage %s: no row, but run --stages reached it or the binary has its function", st.ID)
			}
			continue
		}
		cell := row[col]
		if row[1] != strconv.Itoa(st.Chapter) {
			t.Errorf("stage %s: chapter %q, want %d", st.ID, row[1], st.Chapter)
		}
		m := count.FindStringSubmatch(cell)
		switch {
		case found && (m == nil || m[1] != strconv.FormatUint(want, 10)):
			t.Errorf("stage %s: got %q, want insn %d as run --stages", st.ID, cell, want)
		case !found && m != nil:
			t.Errorf("stage %s: got %q, but run --stages did not reach it", st.ID, cell)
		case strings.HasPrefix(cell, "absent [") && hasFunc:
			t.Errorf("stage %s: got %q, but the ELF symbol table has the function", st.ID, cell)
		case strings.Contains(cell, "inlined into ") && hasFunc:
			t.Errorf("stage %s: got %q, but the ELF symbol table has the function", st.ID, cell)
		case !strings.HasPrefix(cell, "absent [") && !strings.Contains(cell, "inlined into ") && !hasFunc:
			t.Errorf("stage %s: got %q, but the ELF symbol table has no function %s", st.ID, cell, strings.Join(st.Symbols, " or "))
		}
		if i := strings.Index(cell, "inlined into "); i >= 0 {
			for _, caller := range strings.Split(strings.TrimSuffix(cell[i+len("inlined into "):], ")"), ", ") {
				if !funcs[caller] {
					t.Errorf("stage %s: inlined into %q, which is not a function of the binary", st.ID, caller)
				}
			}
		}
	}
	for name := range reached {
		t.Errorf("run --stages reached %s, which compare does not show", name)
	}

	byName := regexp.MustCompile(`(?m)^gouth-emu: stats: syscalls by name: (.*)$`).FindSubmatch(staged.stderr)
	totals := regexp.MustCompile(`(?m)^gouth-emu: stats: (\d+) instructions, \d+ blocks, (\d+) syscalls, (\d+) threads created`).FindSubmatch(staged.stderr)
	if byName == nil || totals == nil {
		t.Fatalf("no stats from run --stats:\n%s", staged.stderr)
	}
	calls := map[string]string{}
	for _, kv := range strings.Split(string(byName[1]), ", ") {
		name, n, _ := strings.Cut(kv, " ")
		calls[name] = n
	}
	for key, row := range tb.rows {
		name, ok := strings.CutPrefix(key, "syscalls/")
		if !ok {
			continue
		}
		want := calls[name]
		if want == "" {
			want = "0"
		}
		if row[col] != want {
			t.Errorf("syscall %s: got %q, want %s as run --stats", name, row[col], want)
		}
		delete(calls, name)
	}
	for name := range calls {
		t.Errorf("syscall %s: no row", name)
	}
	for _, c := range []struct{ row, want string }{
		{"instructions", string(totals[1])},
		{"syscalls", string(totals[2])},
		{"threads created", string(totals[3])},
		{"exit status", "0"},
	} {
		if row := tb.rows["totals/"+c.row]; len(row) <= col || row[col] != c.want {
			t.Errorf("total %s: got %q, want %s as run --stats", c.row, row, c.want)
		}
	}
}

// checkCompareGolden compares the table with its golden file, or rewrites
// the file (and the README's copy) with -update-compare; read the diff
// before committing it.
func checkCompareGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *updateCompare {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run 'go test ./e2e -run TestCompare -update-compare' and read the table)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("compare's table differs from %s:\n%s", golden, lineDiffs(string(got), string(want)))
	}
}

// lineDiffs lists the lines that differ, got against want.
func lineDiffs(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  got  %s\n  want %s\n", i+1, gl, wl)
		}
	}
	return b.String()
}

var (
	runGroup  = regexp.MustCompile(`^<g class="run" data-run="(\d+)">`)
	stageRect = regexp.MustCompile(`^<rect x="([\d.]+)" [^>]*><title>stage \d+ (\S+), chapter`)
	guideLine = regexp.MustCompile(`^<line class="guide" x1="([\d.]+)"`)
)

// checkComparePicture checks compare's SVG: well formed, a lane per thread
// of each run, the top-level stages both runs reach with the same function
// at the same x in both, on a guide; and renders it.
func checkComparePicture(t *testing.T, svg, dir string) {
	t.Helper()
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	lanes, texts := checkPicture(t, data)
	if lanes < 4 {
		t.Errorf("%d lanes, want one per thread of each run", lanes)
	}
	for _, want := range []string{"hello111 (go1.11.1)", "ch.2 schedinit", "ch.3 runtime.init", "ch.3 doInit1"} {
		if !texts[want] {
			t.Errorf("no text %q in the picture", want)
		}
	}
	xs := map[string][]float64{} // stage symbol -> x of its bar, per run
	guides := map[string]bool{}
	run := -1
	for _, l := range strings.Split(string(data), "\n") {
		if m := runGroup.FindStringSubmatch(l); m != nil {
			run, _ = strconv.Atoi(m[1])
		}
		if m := stageRect.FindStringSubmatch(l); m != nil && run >= 0 {
			x, _ := strconv.ParseFloat(m[1], 64)
			if len(xs[m[2]]) == run {
				xs[m[2]] = append(xs[m[2]], x)
			}
		}
		if m := guideLine.FindStringSubmatch(l); m != nil {
			guides[m[1]] = true
		}
	}
	if run != 1 {
		t.Fatalf("the picture has runs 0 to %d, want 0 and 1", run)
	}
	for _, sym := range []string{"_rt0_amd64_linux", "runtime.rt0_go", "runtime.check", "runtime.args", "runtime.osinit",
		"runtime.schedinit", "runtime.newproc", "runtime.mstart", "runtime.schedule", "runtime.main", "main.main", "runtime.exit"} {
		x := xs[sym]
		if len(x) != 2 {
			t.Errorf("stage %s: bars in %d runs, want 2", sym, len(x))
			continue
		}
		if math.Abs(x[0]-x[1]) > 0.05 {
			t.Errorf("stage %s: at x %.1f in the first run and %.1f in the second, want them lined up", sym, x[0], x[1])
		}
		if !guides[strconv.FormatFloat(x[0], 'f', 1, 64)] {
			t.Errorf("stage %s: no guide at x %.1f", sym, x[0])
		}
	}

	if rsvg, err := exec.LookPath("rsvg-convert"); err != nil {
		t.Log("rsvg-convert not installed (Debian package librsvg2-bin): not rendering the SVG to PNG")
	} else {
		png := filepath.Join(dir, "boots.png")
		if out, err := exec.Command(rsvg, "-o", png, svg).CombinedOutput(); err != nil {
			t.Errorf("rsvg-convert: %v\n%s", err, out)
		} else if b, _ := os.ReadFile(png); !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Error("rsvg-convert did not write a PNG")
		} else if keep := os.Getenv("GOUTH_COMPARE_PNG"); keep != "" {
			os.WriteFile(keep, b, 0o644) // to look at
		}
	}
}

// TestCompareUsage checks compare's errors: one line naming the problem,
// status 2, nothing on stdout, before any guest runs; and a guest stopped
// by a limit: the table all the same, one line naming the binary, status
// 124.
func TestCompareUsage(t *testing.T) {
	bin := testbin.Machine.BuildGuest(t, repoRoot, "hello", t.TempDir())
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", bin}, "want two or more binaries, got 1"},
		{[]string{"compare"}, "want two or more binaries, got 0"},
		{[]string{"compare", bin, text}, text + ": not an ELF file"},
		{[]string{"compare", bin, filepath.Join(dir, "missing")}, filepath.Join(dir, "missing") + ": no such file"},
		{[]string{"compare", "-o", filepath.Join(dir, "boots.png"), bin, bin}, "want a file ending in .svg or .html"},
		{[]string{"compare", "-o", filepath.Join(dir, "no", "such", "boots.svg"), bin, bin}, "no such file or directory"},
		{[]string{"compare", "--cpus", "0", bin, bin}, "--cpus 0: want 1 to 64"},
	} {
		r := run(t, nil, emulator, c.args...)
		lines := strings.Count(string(r.stderr), "\n")
		if r.status != 2 || !strings.Contains(string(r.stderr), c.want) || lines != 1 || len(r.stdout) != 0 {
			t.Errorf("gouth-emu %s: %v, stderr %q; want status 2, one line with %q, no output", strings.Join(c.args, " "), r, r.stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "boots.png")); err == nil {
		t.Error("compare -o boots.png created the file")
	}

	// A limit stops both guests: the table shows it, stderr names each.
	r := run(t, nil, emulator, "compare", "--clean-env", "--stats", "--max-insns", "5000", bin, bin)
	if r.status != 124 {
		t.Errorf("compare --max-insns 5000: %v, want status 124", r)
	}
	if !regexp.MustCompile(`(?m)^exit status +124 \(max-insns\) +124 \(max-insns\)$`).Match(r.stdout) {
		t.Errorf("compare --max-insns 5000: no exit status row with the limit:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^wall time \(host\) +\S+ +\S+$`).Match(r.stdout) {
		t.Errorf("compare --stats: no wall time row:\n%s", r.stdout)
	}
	limited := runEmu(t, []string{"--stats", "--max-insns", "5000"}, nil, bin)
	insns := regexp.MustCompile(`(?m)^gouth-emu: stats: (\d+) instructions`).FindSubmatch(limited.stderr)
	if insns == nil {
		t.Fatalf("run --max-insns 5000 --stats: %v\n%s", limited, limited.stderr)
	}
	if want := fmt.Sprintf(`(?m)^instructions +%s +%s$`, insns[1], insns[1]); !regexp.MustCompile(want).Match(r.stdout) {
		t.Errorf("compare --max-insns 5000: want %s instructions each, as run --max-insns:\n%s", insns[1], r.stdout)
	}
	if n := strings.Count(string(r.stderr), "gouth-emu: "+bin+": "); n != 2 || bytes.Contains(r.stderr, []byte("panic")) {
		t.Errorf("compare --max-insns 5000: stderr %q; want one line per binary naming it", r.stderr)
	}
}

// TestCompareFailingGuest checks a guest that exits non-zero: its output is
// not shown, the table is, with its status; one line names it; the status
// is the guest's.
func TestCompareFailingGuest(t *testing.T) {
	dir := t.TempDir()
	hello := testbin.Machine.BuildGuest(t, repoRoot, "hello", dir)
	panics := testbin.Machine.BuildGuest(t, repoRoot, "nilpanic", dir)
	native := runNative(t, nil, panics)
	if native.status == 0 {
		t.Fatalf("nilpanic exits 0 natively: %v", native)
	}
	r := run(t, nil, emulator, "compare", "--clean-env", "--timeout", emuTimeout, hello, panics)
	if r.status != native.status {
		t.Errorf("compare hello nilpanic: %v, want nilpanic's status %d", r, native.status)
	}
	if want := fmt.Sprintf(`(?m)^exit status +0 +%d$`, native.status); !regexp.MustCompile(want).Match(r.stdout) {
		t.Errorf("no exit status row 0, %d:\n%s", native.status, r.stdout)
	}
	if want := fmt.Sprintf("gouth-emu: %s: exit status %d\n", panics, native.status); string(r.stderr) != want {
		t.Errorf("stderr %q, want %q (and not the guest's panic)", r.stderr, want)
	}
	if bytes.Contains(r.stdout, []byte("before")) || bytes.Contains(r.stdout, []byte("hello, world")) {
		t.Errorf("compare showed the guests' output:\n%s", r.stdout)
	}
}

// TestREADMECompare keeps the README's compare table equal to its golden;
// -update-compare rewrites the README's copy.
func TestREADMECompare(t *testing.T) {
	b, err := os.ReadFile(readmeCompare)
	if err != nil {
		t.Fatalf("%v (TestCompare -update-compare writes it)", err)
	}
	const path = "../README.md"
	want := testbin.Indent(string(b))
	got, err := testbin.READMESection(path, "compare")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		if *updateCompare {
			if err := testbin.SetREADMESection(path, "compare", want); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's compare table differs from %s; run 'go test ./e2e -run Compare -update-compare':\n%s", readmeCompare, lineDiffs(got, want))
	}
}
