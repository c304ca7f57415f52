package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// TestREADMEStages checks the README's `run --stages` excerpt: the first
// stage lines of the go1.11.1 hello, run as the README shows it (./hello
// in its directory, a clean environment), then "...".
func TestREADMEStages(t *testing.T) {
	dir := t.TempDir()
	bin := testbin.Go111Guest(t, repoRoot, "hello", t.TempDir())
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(emulator, "run", "--clean-env", "--stages", "./hello")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	section, err := testbin.READMESection(filepath.Join(repoRoot, "README.md"), "stages")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(section, "\n"), "\n")
	if len(lines) < 3 || lines[len(lines)-1] != "    ..." || !strings.Contains(lines[0], "go1.11.1") {
		t.Fatalf("README.md's stages section: want the command, stage lines and ..., got:\n%s", section)
	}
	got := strings.Split(string(out), "\n")
	for k, want := range lines[1 : len(lines)-1] {
		if k >= len(got) || "    "+got[k] != want {
			t.Errorf("README.md stages line %d: got %q, want %q (from the run)", k+1, want, "    "+got[min(k, len(got)-1)])
		}
	}
}
