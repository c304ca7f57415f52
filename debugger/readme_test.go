package debugger

import (
	"os"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// TestREADMECommandList keeps the README's command list generated from the
// command table; with -update it rewrites the list.
func TestREADMECommandList(t *testing.T) {
	readmeSection(t, "commands", CommandList())
}

// TestREADMESession keeps the README's example session equal to the
// transcript test's golden file for it (go1.11.1, the book's version).
func TestREADMESession(t *testing.T) {
	b, err := os.ReadFile("testdata/transcripts/readme.go1.11.golden")
	if err != nil {
		t.Fatal(err)
	}
	readmeSection(t, "session", testbin.Indent(strings.ReplaceAll(string(b), "BINARY", "./hello")))
}

const readme = "../README.md"

// readmeSection checks (or with -update rewrites) the text between
// <!-- name:begin --> and <!-- name:end --> in the README.
func readmeSection(t *testing.T, name, want string) {
	t.Helper()
	got, err := testbin.READMESection(readme, name)
	if err != nil {
		t.Fatal(err)
	}
	if got == want {
		return
	}
	if *update {
		if err := testbin.SetREADMESection(readme, name, want); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md %s section is stale; run 'go test ./debugger -run README -update'.\ngot:\n%s\nwant:\n%s", name, got, want)
}

// TestREADMEBook keeps the README's go1.11 stage excerpt a piece of the
// go1.11 stage transcript, as that test records it.
func TestREADMEBook(t *testing.T) {
	b, err := os.ReadFile("testdata/transcripts/stages.go1.11.golden")
	if err != nil {
		t.Fatal(err)
	}
	section, err := testbin.READMESection(readme, "book")
	if err != nil {
		t.Fatal(err)
	}
	var excerpt strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(section, "\n"), "\n") {
		excerpt.WriteString(strings.TrimPrefix(line, "    ") + "\n")
	}
	if excerpt.Len() < 200 || !strings.Contains(string(b), excerpt.String()) {
		t.Errorf("README.md's book section is not an excerpt of stages.go1.11.golden; copy it again from there:\n%s", excerpt.String())
	}
}
