package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Pseudo-tests of a comparison: the tests a binary that ended early never
// started, and a different exit when every test agrees.
const (
	notRunTest = "(not run)"
	exitTest   = "(exit)"
)

// diff is one test whose outcome under an emulator differs from native.
type diff struct {
	Test          string
	Native, Other string // outcomes, or "absent"
	Evidence      string
	Strace        []string
	// Reason is why the difference is expected (expected.txt, or that it
	// follows from listed ones); "" for an unexpected difference.
	Reason string
}

// compareRuns lists the tests whose outcome in other differs from native.
// Tests that other never reached because it ended early are one
// notRunTest entry; tests native never reached are not compared, nor are
// subtests that only one side has.
func compareRuns(nat, other *testRun) []*diff {
	var diffs []*diff
	names := append([]string(nil), nat.Order...)
	for _, n := range other.Order {
		if _, ok := nat.Tests[n]; !ok {
			names = append(names, n)
		}
	}
	notRun := 0
	for _, name := range names {
		n, inNat := nat.Tests[name]
		o, inOther := other.Tests[name]
		switch {
		case inNat && inOther && n == o:
			continue
		case (!inNat || !inOther) && strings.Contains(name, "/"):
			// A subtest on one side only: its parent's outcome speaks for
			// it (subtests named after pointers or CPU features differ
			// from run to run).
			continue
		case !inOther:
			if !other.completed() {
				notRun++
				continue
			}
			o = "absent"
		case !inNat:
			if !nat.completed() {
				continue
			}
			n = "absent"
		}
		d := &diff{Test: name, Native: n, Other: o, Evidence: other.Evidence[name]}
		diedHere := other.DiedIn != "" && (other.DiedIn == name || strings.HasPrefix(other.DiedIn, name+"/"))
		if other.Death != "" && (diedHere || (o == crash && !other.completed())) {
			d.Evidence = strings.TrimSpace(d.Evidence + "\n" + other.Death)
		}
		diffs = append(diffs, d)
	}
	if notRun > 0 {
		why := other.Death
		if other.TimedOut {
			why = "timed out"
		}
		if why == "" {
			why = other.exitClass()
		}
		diffs = append(diffs, &diff{Test: notRunTest, Native: fmt.Sprintf("%d more tests ran", notRun),
			Other: "ended early", Evidence: why})
	}
	if len(diffs) == 0 && nat.exitClass() != other.exitClass() {
		ev := other.Death
		if len(other.Warnings) > 0 {
			ev = strings.TrimSpace(ev + "\n" + strings.Join(other.Warnings, "\n"))
		}
		diffs = append(diffs, &diff{Test: exitTest, Native: nat.exitClass(), Other: other.exitClass(), Evidence: ev})
	}
	return diffs
}

// expectation is one line of expected.txt: a gouth-emu difference from
// native that a documented limit explains.
type expectation struct {
	toolchain, pkg, test, reason string
	line                         int
	testRe                       *regexp.Regexp
	used                         bool
}

// readExpected parses expected.txt: `toolchain package test reason...`
// per line, # comments. toolchain is *, or versions separated by commas
// ("go1.26" matches go1.26.8); test is a name, where * matches any run of characters,
// and a listed test covers its subtests.
func readExpected(path string) ([]*expectation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var exps []*expectation
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			return nil, fmt.Errorf("%s:%d: want `toolchain package test reason`, got %q", path, n, line)
		}
		pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(fields[2]), `\*`, ".*") + "(/.*)?$"
		exps = append(exps, &expectation{toolchain: fields[0], pkg: fields[1], test: fields[2],
			reason: strings.Join(fields[3:], " "), line: n, testRe: regexp.MustCompile(pat)})
	}
	return exps, sc.Err()
}

// matches reports whether e lists test of pkg on the toolchain version tc.
func (e *expectation) matches(tc, pkg, test string) bool {
	if !toolchainMatches(e.toolchain, tc) {
		return false
	}
	if e.pkg != "*" && e.pkg != pkg {
		return false
	}
	return e.testRe.MatchString(test)
}

// explain sets the Reason of each diff of one (toolchain, package)
// comparison that expected.txt lists, then of the parents whose every
// differing subtest is listed, then of the pseudo-tests when every real
// difference is listed. It returns how many stay unexplained.
func explain(exps []*expectation, tc, pkg string, diffs []*diff) int {
	for _, d := range diffs {
		if d.Test == notRunTest || d.Test == exitTest {
			continue
		}
		for _, e := range exps {
			if e.matches(tc, pkg, d.Test) {
				d.Reason = e.reason
				e.used = true
				break
			}
		}
	}
	// Deepest first, so that a grandparent sees its children settled.
	byDepth := append([]*diff(nil), diffs...)
	sort.SliceStable(byDepth, func(i, j int) bool {
		return strings.Count(byDepth[i].Test, "/") > strings.Count(byDepth[j].Test, "/")
	})
	for _, d := range byDepth {
		if d.Reason != "" || d.Test == notRunTest || d.Test == exitTest {
			continue
		}
		if d.Other != fail && d.Other != crash {
			continue
		}
		children, listed := 0, 0
		for _, c := range diffs {
			if strings.HasPrefix(c.Test, d.Test+"/") {
				children++
				if c.Reason != "" {
					listed++
				}
			}
		}
		if children > 0 && children == listed {
			d.Reason = "follows from its subtests' listed differences"
		}
	}
	real, listed := 0, 0
	for _, d := range diffs {
		if d.Test != notRunTest && d.Test != exitTest {
			real++
			if d.Reason != "" {
				listed++
			}
		}
	}
	for _, d := range diffs {
		if (d.Test == notRunTest || d.Test == exitTest) && real > 0 && real == listed {
			d.Reason = "follows from the listed differences of this binary"
		}
	}
	n := 0
	for _, d := range diffs {
		if d.Reason == "" {
			n++
		}
	}
	return n
}

// toolchainMatches reports whether the toolchain field of expected.txt
// (*, or versions separated by commas) names the version tc: "go1.26"
// names go1.26.8.
func toolchainMatches(field, tc string) bool {
	for _, v := range strings.Split(field, ",") {
		if v == "*" || v == tc || strings.HasPrefix(tc, v+".") {
			return true
		}
	}
	return false
}

// runPattern is the -test.run pattern that selects exactly test (a
// subtest by each element of its name).
func runPattern(test string) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
