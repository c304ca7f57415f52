package debugger

import (
	"os"
	"strings"
	"testing"
)

// TestREADMECommandList keeps the README's command list generated from the
// command table; with -update it rewrites the list.
func TestREADMECommandList(t *testing.T) {
	readmeSection(t, "commands", CommandList())
}

// TestREADMESession keeps the README's example session equal to the
// transcript test's golden file for it.
func TestREADMESession(t *testing.T) {
	b, err := os.ReadFile("testdata/transcripts/readme.go1.11.golden")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		want.WriteString("    " + strings.ReplaceAll(line, "BINARY", "./hello") + "\n")
	}
	readmeSection(t, "session", want.String())
}

// readmeSection checks (or with -update rewrites) the text between
// <!-- name:begin --> and <!-- name:end --> in the README.
func readmeSection(t *testing.T, name, want string) {
	t.Helper()
	const path = "../README.md"
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	got := s[i+len(begin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
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
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	begin, end := "<!-- book:begin -->\n", "<!-- book:end -->"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	var excerpt strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(s[i+len(begin):j], "\n"), "\n") {
		excerpt.WriteString(strings.TrimPrefix(line, "    ") + "\n")
	}
	if excerpt.Len() < 200 || !strings.Contains(string(b), excerpt.String()) {
		t.Errorf("README.md's book section is not an excerpt of stages.go1.11.golden; copy it again from there:\n%s", excerpt.String())
	}
}
