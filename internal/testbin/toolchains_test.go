package testbin

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestToolchainsBuildHello builds hello with every toolchain at hand and
// checks that the binary says it was built by that version, with trimmed
// source paths.
func TestToolchainsBuildHello(t *testing.T) {
	repo, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range Toolchains {
		t.Run(tc.Short, func(t *testing.T) {
			bin := tc.BuildGuest(t, repo, "hello", t.TempDir())
			out, err := exec.Command(bin).Output()
			if err != nil || string(out) != "hello, world\n" {
				t.Fatalf("%s: got %q, %v; want hello, world", bin, out, err)
			}
			// runtime.buildVersion is in every Go binary's data; go
			// version FILE cannot read those older than go1.13.
			if b, err := os.ReadFile(bin); err != nil || !bytes.Contains(b, []byte(tc.Name)) {
				t.Errorf("%s does not contain its version %s (%v)", bin, tc.Name, err)
			}
			// The toolchain's own objdump shows the recorded file names.
			// -trimpath writes the main package's files as ./main.go,
			// go1.11's prefix removal as main.go.
			mainGo := "./main.go"
			if tc.NoTrimpath {
				mainGo = "main.go"
			}
			for fn, want := range map[string]string{"main.main": mainGo, "runtime.schedinit": "runtime/proc.go"} {
				cmd := exec.Command(tc.GoCmd(), "tool", "objdump", "-s", "^"+fn+"$", bin)
				cmd.Env = tc.Env()
				b, err := cmd.Output()
				if got, _, _ := strings.Cut(string(b), "\n"); err != nil || got != "TEXT "+fn+"(SB) "+want {
					t.Errorf("objdump of %s: got %q, %v; want TEXT %s(SB) %s", fn, got, err, fn, want)
				}
			}
		})
	}
}
