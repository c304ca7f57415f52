package syscalls

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// The emulator's /proc and /sys: a few files, generated when opened from
// the emulated process's state, so the guest sees the same bytes on every
// host. Everything else there is ENOENT, whatever --fs says.

// ProcInfo is what /proc/self shows of the machine's side of the process.
type ProcInfo struct {
	Args, Env []string // argv and the environment, as at exec
	Maps      string   // the address space, in /proc/self/maps format
	Threads   int      // live threads
	VmSize    uint64   // bytes mapped
	VmRSS     uint64   // bytes backed by memory
}

// procSelf returns the name of a file in the process's own /proc
// directory (/proc/self/NAME or /proc/1000/NAME), or "" for other paths.
func procSelf(abs string) string {
	for _, dir := range []string{"/proc/self/", "/proc/" + strconv.Itoa(Pid) + "/"} {
		if name, ok := strings.CutPrefix(abs, dir); ok && !strings.Contains(name, "/") {
			return name
		}
	}
	return ""
}

// procLink returns the target of a symbolic link the emulator synthesizes.
func (k *Kernel) procLink(abs string) (string, bool) {
	if procSelf(abs) == "exe" {
		return k.cfg.ExePath, true
	}
	return "", false
}

// synthesized returns a file in the emulator's /proc or /sys, generated
// now, or ENOENT.
func (c *Call) synthesized(abs string) (file, error) {
	var data []byte
	switch abs {
	case "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size":
		data = []byte("2097152\n")
	}
	switch procSelf(abs) {
	case "maps":
		data = []byte(c.M.Proc().Maps)
	case "status":
		data = []byte(c.K.procStatus(c.M.Proc()))
	case "cmdline":
		data = nulList(c.M.Proc().Args)
	case "environ":
		data = nulList(c.M.Proc().Env)
	}
	if data == nil {
		return nil, abi.ENOENT
	}
	return &memFile{name: abs, data: data}, nil
}

// nulList renders strings as /proc/self/cmdline does: each one followed by
// a NUL byte.
func nulList(list []string) []byte {
	b := []byte{}
	for _, s := range list {
		b = append(append(b, s...), 0)
	}
	return b
}

// procStatus renders /proc/self/status: the fields programs look at
// (identity, memory, threads), in Linux's order and layout.
func (k *Kernel) procStatus(p ProcInfo) string {
	name := k.threadNames[Pid]
	if name == "" {
		// Linux's comm: the executable's base name, cut to 15 bytes.
		name = filepath.Base(k.cfg.ExePath)
		if len(name) > 15 {
			name = name[:15]
		}
	}
	uid, gid := os.Getuid(), os.Getgid()
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\n", name)
	fmt.Fprintf(&b, "State:\tR (running)\n")
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", Pid, Pid, PPid)
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", uid, uid, uid, uid)
	fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", gid, gid, gid, gid)
	fmt.Fprintf(&b, "VmSize:\t%8d kB\n", p.VmSize>>10)
	fmt.Fprintf(&b, "VmRSS:\t%8d kB\n", p.VmRSS>>10)
	fmt.Fprintf(&b, "Threads:\t%d\n", p.Threads)
	return b.String()
}
