package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// toolchain is one Go installation the standard library's tests are built
// with. The table mirrors internal/testbin's Toolchains (same labels, same
// places, same environment); the package's test checks that they agree,
// since this command may not import project packages.
type toolchain struct {
	// short is testbin's label: "go1.11", "go1.19", "go-machine", "go1.27".
	short string
	// name is the version the go command reports ("go1.26.8"), set by
	// resolve; "" while unresolved or missing.
	name string
	// goCmd is the go command, "" when the toolchain is missing; missing
	// then says what is absent.
	goCmd   string
	missing string
	// env is added to the host's environment (without its Go settings) to
	// run goCmd.
	env []string
	// goroot is the toolchain's GOROOT, whose src/PKG is each test's cwd.
	goroot string
}

// label names the toolchain in tables and in expected.txt: its version
// when known, else its short label.
func (tc *toolchain) label() string {
	if tc.name != "" {
		return tc.name
	}
	return tc.short
}

// toolchains returns the table, oldest first, each resolved: missing ones
// have goCmd "" and a reason.
func toolchains(root string) []*toolchain {
	cache, _ := os.UserCacheDir()
	if cache == "" {
		cache = os.TempDir()
	}
	dirs := func(v string) []string {
		base := filepath.Join(cache, "gouth-emu-toolchains", v)
		return []string{"GOPATH=" + filepath.Join(base, "gopath"), "GOCACHE=" + filepath.Join(base, "build")}
	}
	var tcs []*toolchain

	// go1.11.1, unpacked by tools/deps.sh into build/go1.11.1 (or GO111ROOT).
	g111 := &toolchain{short: "go1.11"}
	r111 := os.Getenv("GO111ROOT")
	if r111 == "" {
		r111 = filepath.Join(root, "build", "go1.11.1")
	}
	if _, err := os.Stat(filepath.Join(r111, "bin", "go")); err != nil {
		g111.missing = "go1.11.1 not found at " + r111 + " (tools/deps.sh unpacks it)"
	} else {
		g111.goCmd = filepath.Join(r111, "bin", "go")
		g111.env = append([]string{"GOROOT=" + r111, "GO111MODULE=off"}, dirs("go1.11.1")...)
	}
	tcs = append(tcs, g111)

	// Debian's golang-1.19-go.
	g119 := &toolchain{short: "go1.19"}
	const go119 = "/usr/lib/go-1.19/bin/go"
	if _, err := os.Stat(go119); err != nil {
		g119.missing = "Go 1.19 not installed (" + go119 + "): install golang-1.19-go"
	} else {
		g119.goCmd = go119
		g119.env = append([]string{"GOTOOLCHAIN=local", "GO111MODULE=off"}, dirs("go1.19")...)
	}
	tcs = append(tcs, g119)

	// The go command on PATH, and go1.27.3 fetched by it (GOTOOLCHAIN).
	machine := &toolchain{short: "go-machine"}
	g127 := &toolchain{short: "go1.27"}
	if p, err := exec.LookPath("go"); err != nil {
		machine.missing, g127.missing = "no go command on PATH", "no go command on PATH"
	} else {
		machine.goCmd, machine.env = p, []string{"GOTOOLCHAIN=local"}
		g127.goCmd, g127.env = p, []string{"GOTOOLCHAIN=go1.27.3"}
	}
	tcs = append(tcs, machine, g127)

	for _, tc := range tcs {
		if tc.goCmd == "" {
			continue
		}
		v, err := tc.goEnv("GOVERSION")
		if err != nil || v == "" {
			if tc.short == "go1.11" {
				// go1.11's go env has no GOVERSION; its version file does.
				b, err2 := os.ReadFile(filepath.Join(r111, "VERSION"))
				if err2 == nil {
					v, err = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), nil
				}
			}
		}
		if err != nil || v == "" {
			tc.missing = fmt.Sprintf("%s: go env GOVERSION: %v %s", tc.short, err, v)
			tc.goCmd = ""
			continue
		}
		if tc.short == "go1.27" && v != "go1.27.3" {
			tc.missing = "go1.27.3 not available (GOTOOLCHAIN=go1.27.3 gives " + v + "; tools/deps.sh fetches it)"
			tc.goCmd = ""
			continue
		}
		tc.name = v
		if tc.goroot, err = tc.goEnv("GOROOT"); err != nil || tc.goroot == "" {
			tc.missing = fmt.Sprintf("%s: go env GOROOT: %v", tc.short, err)
			tc.goCmd = ""
		}
	}
	return tcs
}

// goEnv runs `go env KEY` with the toolchain.
func (tc *toolchain) goEnv(key string) (string, error) {
	cmd := exec.Command(tc.goCmd, "env", key)
	cmd.Env = tc.buildEnv()
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// buildEnv is the environment of the toolchain's go command: the host's
// without other Go settings, CGO_ENABLED=0, and the toolchain's own.
func (tc *toolchain) buildEnv() []string {
	env := hostEnv()
	env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	return append(env, tc.env...)
}

// runEnv is the environment a test binary runs in, natively and emulated
// alike: the host's without Go settings, GOROOT and PATH as `go test`
// would give them, and TMPDIR.
func (tc *toolchain) runEnv(tmp string) []string {
	env := hostEnv()
	path := os.Getenv("PATH")
	env = filterEnv(env, "PATH=", "TMPDIR=")
	return append(env, "GOROOT="+tc.goroot, "GOTOOLCHAIN=local", "GOFLAGS=",
		"PATH="+filepath.Join(tc.goroot, "bin")+string(os.PathListSeparator)+path, "TMPDIR="+tmp)
}

// hostEnv is the environment without GO* and CGO_* settings (a stray
// GOROOT or GOFLAGS would change what a toolchain does).
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") {
			if !strings.HasPrefix(kv, "GOPATH=") && !strings.HasPrefix(kv, "GOCACHE=") &&
				!strings.HasPrefix(kv, "GOPROXY=") && !strings.HasPrefix(kv, "GOMODCACHE=") &&
				!strings.HasPrefix(kv, "GONOSUMDB=") && !strings.HasPrefix(kv, "GOSUMDB=") {
				continue
			}
		}
		env = append(env, kv)
	}
	return env
}

// filterEnv drops the variables with any of the prefixes.
func filterEnv(env []string, prefixes ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
