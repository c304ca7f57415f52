package e2e

import (
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// ulimitRun runs gouth-emu with args under ulimit -v kb (KiB), as a
// shared host or CI runner would start it.
func ulimitRun(t *testing.T, kb string, args ...string) result {
	t.Helper()
	return run(t, nil, "sh", append([]string{"-c", `ulimit -v "$0" && exec "$@"`, kb, emulator}, args...)...)
}

// TestUlimit runs hello under real address-space limits with no flags:
// with 4000000 and 2500000 KiB the default limit, the reservation and
// Unicorn's translation buffer are sized to fit and the output is the
// native run's; with 1600000 KiB gouth-emu itself starts (its Go runtime
// and heap take about 1.25 GiB) but no guest fits, and with 1000000 KiB
// not even gouth-emu's runtime does: one line each, status 2, never a
// Go trace.
func TestUlimit(t *testing.T) {
	t.Parallel()
	hello := toolchains[0].binary(t, "hello")
	native := runNative(t, nil, hello)
	if native.status != 0 || len(native.stdout) == 0 {
		t.Fatalf("native hello: %v", native)
	}
	for _, kb := range []string{"4000000", "2500000"} {
		t.Run(kb, func(t *testing.T) {
			compare(t, ulimitRun(t, kb, emuArgs(nil, nil, hello)...), native, nil, nil, hello)
		})
	}
	t.Run("go1.11-2500000", func(t *testing.T) {
		// go1.11 commits 108 MiB to start, twice what later runtimes do.
		old := testbin.CommittedGo111(t, repoRoot, "hello", t.TempDir())
		compare(t, ulimitRun(t, "2500000", emuArgs(nil, nil, old)...), runNative(t, nil, old), nil, nil, old)
	})
	t.Run("1600000", func(t *testing.T) {
		r := ulimitRun(t, "1600000", emuArgs(nil, nil, hello)...)
		oneLine(t, r, 2, "gouth-emu: ulimit -v is 1.5 GiB, which leaves ", "a Go program needs to start", "raise it with ulimit -v ")
		// The remedy must work.
		kb := strings.Fields(string(r.stderr[strings.LastIndex(string(r.stderr), "ulimit -v "):]))[2]
		compare(t, ulimitRun(t, kb, emuArgs(nil, nil, hello)...), native, nil, nil, hello)
	})
	t.Run("1600000 --mem-limit 512M", func(t *testing.T) {
		oneLine(t, ulimitRun(t, "1600000", emuArgs([]string{"--mem-limit", "512M"}, nil, hello)...), 2,
			"gouth-emu: cannot reserve 640 MiB of address space for the guest (ulimit -v is 1.5 GiB); raise it with ulimit -v ")
	})
	t.Run("1000000", func(t *testing.T) {
		oneLine(t, ulimitRun(t, "1000000", emuArgs(nil, nil, hello)...), 2,
			"gouth-emu: ulimit -v is 1000000, less than the 1572864 (KiB) gouth-emu itself needs to start; raise it with ulimit -v 1572864 or more")
	})
}

// TestUlimitMemLimit checks that a --mem-limit that fits under ulimit -v
// is honoured, and one that does not names the largest that does; that
// suggestion must then work.
func TestUlimitMemLimit(t *testing.T) {
	t.Parallel()
	hello := toolchains[0].binary(t, "hello")
	native := runNative(t, nil, hello)
	compare(t, ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", "256M"}, nil, hello)...), native, nil, nil, hello)
	r := ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", "8G"}, nil, hello)...)
	oneLine(t, r, 2, "gouth-emu: cannot reserve 10.0 GiB of address space for the guest (ulimit -v is 2.4 GiB); use --mem-limit ")
	line := strings.TrimSpace(string(r.stderr))
	suggested := line[strings.LastIndex(line, " ")+1:]
	compare(t, ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", suggested}, nil, hello)...), native, nil, nil, hello)
}

// TestMemLimitFlag: sizes --mem-limit does not take are one line and
// status 2, before any guest is loaded.
func TestMemLimitFlag(t *testing.T) {
	for _, v := range []string{"", "1.5G", "-1", "512MB", "99999999999G", "1T"} {
		t.Run(v, func(t *testing.T) {
			oneLine(t, run(t, nil, emulator, "run", "--mem-limit", v, "x"), 2, "gouth-emu: --mem-limit \""+v+"\": want a size such as ")
		})
	}
}
