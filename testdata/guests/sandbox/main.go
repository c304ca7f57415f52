// Command sandbox exercises what gouth-emu's --fs policy and /proc let a
// guest do. "sandbox files DIR" changes files under DIR with the os
// package (write, append, mkdir, rename, list, symlink, chmod, truncate,
// remove) and prints each outcome without DIR, so a run under --fs rw
// prints what a native run prints. "sandbox proc" reads /proc/self and
// tries the network.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "files":
		files(os.Args[2])
	case len(os.Args) == 2 && os.Args[1] == "proc":
		proc()
	default:
		fmt.Fprintln(os.Stderr, "usage: sandbox files DIR | sandbox proc")
		os.Exit(2)
	}
}

// report prints one step's outcome; errors lose their paths.
func report(step string, err error, result ...any) {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = fmt.Errorf("%s: %v", pe.Op, pe.Err)
	case errors.As(err, &le):
		err = fmt.Errorf("%s: %v", le.Op, le.Err)
	}
	if err != nil {
		fmt.Printf("%s: %v\n", step, err)
		return
	}
	fmt.Printf("%s: ok %s\n", step, strings.TrimSpace(fmt.Sprintln(result...)))
}

func list(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return []string{err.(*fs.PathError).Err.Error()}
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name()+map[bool]string{true: "/"}[e.IsDir()])
	}
	return names
}

func files(dir string) {
	a := filepath.Join(dir, "a.txt")
	report("write", os.WriteFile(a, []byte("hello\n"), 0o644))
	f, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.WriteString("world\n")
		f.Close()
	}
	report("append", err)
	data, err := os.ReadFile(a)
	report("read", err, fmt.Sprintf("%q", data))
	report("mkdirall", os.MkdirAll(filepath.Join(dir, "x", "y", "z"), 0o755))
	report("rename", os.Rename(a, filepath.Join(dir, "x", "b.txt")))
	report("readdir", nil, list(dir), list(filepath.Join(dir, "x")))
	err = os.Symlink("b.txt", filepath.Join(dir, "x", "link"))
	target, _ := os.Readlink(filepath.Join(dir, "x", "link"))
	report("symlink", err, target)
	err = os.Chmod(filepath.Join(dir, "x", "b.txt"), 0o600)
	fi, _ := os.Stat(filepath.Join(dir, "x", "link"))
	var mode fs.FileMode
	if fi != nil {
		mode = fi.Mode()
	}
	report("chmod", err, mode)
	err = os.Truncate(filepath.Join(dir, "x", "b.txt"), 3)
	data, _ = os.ReadFile(filepath.Join(dir, "x", "b.txt"))
	report("truncate", err, fmt.Sprintf("%q", data))
	report("removeall", os.RemoveAll(filepath.Join(dir, "x")))
	report("readdir", nil, list(dir))
}

func proc() {
	cmdline, err := os.ReadFile("/proc/self/cmdline")
	report("cmdline", err, strings.Join(strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"), " ") == strings.Join(os.Args, " "))
	maps, err := os.ReadFile("/proc/self/maps")
	exe, _ := os.Executable()
	report("maps", err, strings.Contains(string(maps), " [stack]\n"), strings.Contains(string(maps), " "+exe+"\n"))
	status, err := os.ReadFile("/proc/self/status")
	var fields []string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "Pid:") || strings.HasPrefix(l, "PPid:") {
			fields = append(fields, strings.Join(strings.Fields(l), " "))
		}
	}
	report("status", err, fields)
	_, err = os.ReadFile("/proc/self/mountinfo")
	report("mountinfo", err)
	_, err = net.Listen("tcp", "127.0.0.1:0")
	report("listen", err)
	_, err = net.Dial("tcp", "127.0.0.1:9")
	report("dial", err)
}
