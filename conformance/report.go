package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// writeReport writes results.md for the jobs done so far.
func writeReport(path string, c *config, tcs []*toolchain, jobs []*job, qemuNote string, t0 time.Time) error {
	var b bytes.Buffer
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# Conformance: the standard library's tests natively, under qemu-user and under gouth-emu\n\n")
	p("Written by `make conformance` (conformance/main.go); do not edit by hand.\n\n")
	done, total := 0, 0
	for _, j := range jobs {
		if j.tc.goCmd == "" {
			continue
		}
		total++
		if j.done {
			done++
		}
	}
	first, last, ran := "", "", 0
	for _, j := range jobs {
		if !j.done {
			continue
		}
		for _, r := range j.runs {
			if r.When != "" && (first == "" || r.When < first) {
				first = r.When
			}
			if r.When > last {
				last = r.When
			}
			if r.When >= t0.UTC().Format(whenLayout) {
				ran++
			}
		}
	}
	p("- written %s UTC: %d of %d (package, toolchain) binaries; runs made from %s to %s UTC; this invocation ran %d of them in %s and took the others from build/conformance's cache (same test binary, same emulator, same flags)\n",
		time.Now().UTC().Format("2006-01-02 15:04"), done, total, first, last, ran, time.Since(t0).Round(time.Second))
	p("- host: %s, %d CPUs, load average %s\n", cpuModel(), runtime.NumCPU(), loadAvg())
	p("- toolchains:")
	for _, tc := range tcs {
		if tc.goCmd == "" {
			p(" %s (missing: %s);", tc.short, tc.missing)
		} else {
			p(" %s;", tc.name)
		}
	}
	p("\n")
	if c.qemu != "" {
		p("- qemu-user: %s\n", firstLine(c.qemu, "--version"))
	} else {
		p("- qemu-user: %s\n", qemuNote)
	}
	p("- every run: `%s` in GOROOT/src/PKG, TMPDIR a fresh directory, killed after %s; gouth-emu as `gouth-emu run --fs rw --timeout %s`\n",
		strings.Join(append([]string{"PKG.test"}, c.testArgs()...), " "), c.timeout+45*time.Second, c.timeout+15*time.Second)
	p("- counts are top-level tests passed/failed/skipped (+ crashed: started and never ended); differences count subtests too, against the native run of the same binary\n")
	p("- only gouth-emu differences are judged: those not in conformance/expected.txt are marked **unexpected** and make `make conformance` fail\n\n")

	p("## Summary\n\n")
	p("| package | toolchain | native | qemu-user | gouth-emu | native s | qemu s | gouth-emu s | gouth-emu/qemu | gouth-emu diffs (unexpected) | qemu diffs |\n")
	p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var sumQ, sumE, sumN float64
	nDiff, nUnexp, nQdiff, same := 0, 0, 0, 0
	for _, j := range jobs {
		if j.tc.goCmd == "" || !j.done {
			continue
		}
		if j.buildErr != "" {
			p("| %s | %s | build failed: %s | | | | | | | | |\n", j.pkg, j.tc.label(), cell(j.buildErr))
			continue
		}
		n, q, e := j.runs[native], j.runs[qemu], j.runs[emu]
		ratio := "–"
		if q != nil && e != nil && q.Seconds > 0 {
			ratio = fmt.Sprintf("%.2fx", e.Seconds/q.Seconds)
		}
		if n != nil && e != nil && q != nil {
			sumN += n.Seconds
			sumQ += q.Seconds
			sumE += e.Seconds
		}
		ed, qd := len(j.diffs[emu]), len(j.diffs[qemu])
		nDiff += ed
		nUnexp += j.unexpected
		nQdiff += qd
		if ed == 0 && e != nil && n != nil {
			same++
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d (%d) | %d |\n", j.pkg, j.tc.label(),
			counts(j, native), counts(j, qemu), counts(j, emu), secs(n), secs(q), secs(e), ratio, ed, j.unexpected, qd)
	}
	totalRatio := "–"
	if sumQ > 0 {
		totalRatio = fmt.Sprintf("%.2fx", sumE/sumQ)
	}
	p("| **all** | | | | | %.1f | %.1f | %.1f | %s | %d (%d) | %d |\n\n", sumN, sumQ, sumE, totalRatio, nDiff, nUnexp, nQdiff)
	p("%d binaries give the same outcome for every test under gouth-emu as natively.\n\n", same)

	p("## gouth-emu differences from native\n\n")
	p("Each: the outcome natively → under gouth-emu, the failure line from the test's output, and for failures the last failing system calls (errno) of the test rerun alone (`-test.run '^Name$'`) under `--strace`. Unexpected ones (not in expected.txt) first, then the expected ones.\n\n")
	for _, unexpected := range []bool{true, false} {
		if unexpected {
			p("### Unexpected (bugs)\n\n")
		} else {
			p("### Expected (documented limits)\n\n")
		}
		any := false
		for _, j := range jobs {
			if !j.done {
				continue
			}
			var ds []*diff
			for _, d := range j.diffs[emu] {
				if (d.Reason == "") == unexpected {
					ds = append(ds, d)
				}
			}
			if len(ds) == 0 {
				continue
			}
			any = true
			p("#### %s, %s (%d)\n\n", j.pkg, j.tc.label(), len(ds))
			if e := j.runs[emu]; e != nil && len(e.Warnings) > 0 && unexpected {
				p("gouth-emu warnings: %s\n\n", code(strings.Join(e.Warnings, "; ")))
			}
			for _, d := range ds {
				verdict := "**unexpected**"
				if d.Reason != "" {
					verdict = d.Reason
				}
				p("- `%s`: %s → %s — %s\n", d.Test, d.Native, d.Other, verdict)
				if d.Evidence != "" {
					p("  - output: %s\n", code(d.Evidence))
				}
				for _, l := range d.Strace {
					p("  - strace: %s\n", code(l))
				}
			}
			p("\n")
		}
		if !any {
			p("None.\n\n")
		}
	}

	p("## qemu-user differences from native (reported, not judged)\n\n")
	any := false
	for _, j := range jobs {
		if !j.done || len(j.diffs[qemu]) == 0 {
			continue
		}
		any = true
		p("- %s, %s:", j.pkg, j.tc.label())
		for i, d := range j.diffs[qemu] {
			if i == 10 {
				p(" … and %d more", len(j.diffs[qemu])-10)
				break
			}
			ev := ""
			if d.Evidence != "" {
				ev = " " + code(strings.SplitN(d.Evidence, "\n", 2)[0])
			}
			p(" `%s` %s → %s%s;", d.Test, d.Native, d.Other, ev)
		}
		p("\n")
	}
	if !any {
		p("None.\n")
	}
	p("\n")

	p("## Failures natively\n\n")
	p("Tests that fail natively are compared like the rest (gouth-emu must fail them too); these are the binaries with native failures, which come from this machine's toolchain installs, not from the emulators.\n\n")
	any = false
	for _, j := range jobs {
		n := j.runs[native]
		if !j.done || n == nil {
			continue
		}
		var failed []string
		for _, name := range n.Order {
			if o := n.Tests[name]; !strings.Contains(name, "/") && (o == fail || o == crash) {
				failed = append(failed, name)
			}
		}
		if len(failed) == 0 && n.completed() {
			continue
		}
		any = true
		why := ""
		if len(failed) > 0 {
			why = " " + code(strings.SplitN(n.Evidence[failed[0]], "\n", 2)[0])
		}
		if n.Death != "" {
			why += " " + code(n.Death)
		}
		if len(failed) > 5 {
			failed = append(failed[:5], fmt.Sprintf("and %d more", len(failed)-5))
		}
		p("- %s, %s: %s (%s)%s\n", j.pkg, j.tc.label(), strings.Join(failed, ", "), counts(j, native), why)
	}
	if !any {
		p("None.\n")
	}
	p("\n")

	var notDone, errs []string
	for _, j := range jobs {
		if j.tc.goCmd != "" && !j.done {
			notDone = append(notDone, j.pkg+" ("+j.tc.label()+")")
		}
		for r, e := range j.runErr {
			errs = append(errs, fmt.Sprintf("%s (%s) %s: %s", j.pkg, j.tc.label(), r, e))
		}
	}
	if len(notDone) > 0 {
		p("## Not run\n\nThe run stopped (its -budget) before: %s.\n\n", strings.Join(notDone, ", "))
	}
	if len(errs) > 0 {
		p("## Harness errors\n\n")
		for _, e := range errs {
			p("- %s\n", e)
		}
		p("\n")
	}
	var stale []string
	for _, e := range c.exps {
		if e.used {
			continue
		}
		covered := false
		for _, j := range jobs {
			if j.done && j.runs[emu] != nil && j.runs[native] != nil && (e.pkg == "*" || e.pkg == j.pkg) &&
				toolchainMatches(e.toolchain, j.tc.name) {
				covered = true
			}
		}
		if covered {
			stale = append(stale, fmt.Sprintf("line %d: `%s %s %s`", e.line, e.toolchain, e.pkg, e.test))
		}
	}
	if len(stale) > 0 {
		p("## Expected differences that did not occur\n\nThese lines of expected.txt matched nothing in this run (fixed, or flaky): %s.\n", strings.Join(stale, "; "))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// counts is a runner's table cell: passed/failed/skipped, crashes, and how
// the binary ended when not normally.
func counts(j *job, runner string) string {
	r := j.runs[runner]
	if r == nil {
		if e := j.runErr[runner]; e != "" {
			return "error"
		}
		return "–"
	}
	pa, f, s, c := r.counts()
	out := fmt.Sprintf("%d/%d/%d", pa, f, s)
	if c > 0 {
		out += fmt.Sprintf(" +%d crashed", c)
	}
	switch {
	case r.TimedOut:
		out += " (timeout)"
	case r.Final == "":
		out += fmt.Sprintf(" (no verdict, exit %d)", r.Status)
	}
	return out
}

// secs is a run's wall time in seconds.
func secs(r *testRun) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f", r.Seconds)
}

// cell makes text safe in a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// code quotes text as inline code on one line.
func code(s string) string {
	s = strings.NewReplacer("`", "'", "\n", " ⏎ ", "|", "\\|").Replace(s)
	return "`" + s + "`"
}

// firstLine is the first line of a command's output.
func firstLine(name string, args ...string) string {
	out, _ := exec.Command(name, args...).Output()
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// cpuModel is the host CPU's name from /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.Index(l, ":"); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return runtime.GOARCH
}

// loadAvg is the host's 1-minute load average.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
