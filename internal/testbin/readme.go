package testbin

import (
	"fmt"
	"os"
	"strings"
)

// READMESection returns the text of the README at path between the lines
// <!-- name:begin --> and <!-- name:end -->, the markers that keep
// generated or checked parts of the README (command list, sessions,
// tables) in step with the code.
func READMESection(path, name string) (string, error) {
	s, i, j, err := readmeBounds(path, name)
	if err != nil {
		return "", err
	}
	return s[i:j], nil
}

// SetREADMESection replaces that text with body.
func SetREADMESection(path, name, body string) error {
	s, i, j, err := readmeBounds(path, name)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(s[:i]+body+s[j:]), 0o644)
}

// readmeBounds reads the README and finds the section's body, s[i:j].
func readmeBounds(path, name string) (s string, i, j int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, 0, err
	}
	s = string(b)
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j = strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return "", 0, 0, fmt.Errorf("%s has no %q ... %q section", path, begin, end)
	}
	return s, i + len(begin), j, nil
}

// Indent puts four spaces before each line of text (a Markdown code
// block), leaving no trailing blanks.
func Indent(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight("    "+l, " ") + "\n")
	}
	return b.String()
}
