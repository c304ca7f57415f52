// Package testbin gives tests the binaries nobody here built: the go1.17
// executable that the Go distribution ships as debug/buildinfo test data. It
// is imported by tests only.
package testbin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoGo117 means the Go installation does not ship the go1.17 binary;
// tests skip on it.
var ErrNoGo117 = errors.New("no go1.17 test binary in GOROOT")

// Go117 decodes GOROOT's go1.17 binary (a hello world whose main is empty)
// into dir and returns its path. goCmd is the go command whose GOROOT is
// used ("go" if empty).
func Go117(goCmd, dir string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	root, err := exec.Command(goCmd, "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("%s env GOROOT: %v", goCmd, err)
	}
	src := filepath.Join(strings.TrimSpace(string(root)), "src", "debug", "buildinfo", "testdata", "go117", "go117.base64")
	text, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoGo117, err)
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		return "", fmt.Errorf("decoding %s: %v", src, err)
	}
	bin := filepath.Join(dir, "go117")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		return "", err
	}
	return bin, nil
}

// TB is the part of testing.TB that Go117Binary uses.
type TB interface {
	Helper()
	TempDir() string
	Skip(args ...any)
	Fatal(args ...any)
}

// Go117Binary is Go117 for a test: it skips the test when the Go
// installation lacks the binary and fails it on any other error.
func Go117Binary(t TB, goCmd string) string {
	t.Helper()
	bin, err := Go117(goCmd, t.TempDir())
	if errors.Is(err, ErrNoGo117) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
