package syscalls

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// FSMode is what the guest may do to the host filesystem (--fs).
type FSMode int

const (
	// FSReadOnly lets the guest read host files and directories; every
	// change (create, write, truncate, rename, delete, chmod, link) fails
	// with EACCES.
	FSReadOnly FSMode = iota
	// FSReadWrite lets the guest change host files as the user running
	// gouth-emu could.
	FSReadWrite
	// FSNone hides the host filesystem: every host path is ENOENT. Only
	// the emulator's own /proc and /sys files exist.
	FSNone
)

var fsModeNames = [...]string{FSReadOnly: "ro", FSReadWrite: "rw", FSNone: "none"}

func (m FSMode) String() string {
	if m >= 0 && int(m) < len(fsModeNames) {
		return fsModeNames[m]
	}
	return fmt.Sprintf("FSMode(%d)", int(m))
}

// ParseFSMode parses "ro", "rw" or "none".
func ParseFSMode(s string) (FSMode, error) {
	for m, name := range fsModeNames {
		if s == name {
			return FSMode(m), nil
		}
	}
	return 0, fmt.Errorf("%q: want ro, rw or none", s)
}

// loc is what a guest path names once the --fs policy and the emulator's
// own /proc and /sys are taken into account. Exactly one field is set.
type loc struct {
	host string // a path on the host, as the host process resolves it
	f    file   // a file the emulator synthesizes
	link string // the target of a synthesized symbolic link, not followed
}

// locate reads the path at pathPtr and says what it names, relative to
// dirfd as the *at calls do. follow says whether a final symbolic link of
// the emulator's own (/proc/self/exe) is followed. Host paths are not
// checked here: the host answers for them.
func (c *Call) locate(dirfd int, pathPtr uint64, follow bool) (loc, error) {
	path, err := c.readPath(pathPtr)
	if err != nil {
		return loc{}, err
	}
	return c.locatePath(dirfd, path, follow)
}

// readPath reads a path argument: EFAULT for a bad pointer, ENAMETOOLONG
// for one of PATH_MAX (4096) bytes or more, as Linux's getname says.
func (c *Call) readPath(pathPtr uint64) (string, error) {
	path, err := c.readString(pathPtr, pathMax)
	if err == abi.ERANGE {
		return "", abi.ENAMETOOLONG
	}
	return path, err
}

// pathMax is Linux's PATH_MAX, counting the terminating NUL.
const pathMax = 4096

// locatePath is locate for a path already read.
func (c *Call) locatePath(dirfd int, path string, follow bool) (loc, error) {
	if path == "" {
		return loc{}, abi.ENOENT
	}
	p, guest, err := c.resolve(dirfd, path)
	if err != nil {
		return loc{}, err
	}
	if abs := filepath.Clean(guest); guest != "" && underEmulated(abs) {
		if target, ok := c.K.procLink(abs); ok {
			if !follow {
				return loc{link: target}, nil
			}
			return c.hostLoc(target)
		}
		f, err := c.synthesized(abs)
		return loc{f: f}, err
	}
	return c.hostLoc(p)
}

// hostLoc applies the policy to a host path.
func (c *Call) hostLoc(p string) (loc, error) {
	if c.K.cfg.FS == FSNone {
		return loc{}, abi.ENOENT
	}
	return loc{host: p}, nil
}

// underEmulated reports whether the absolute, clean path lies in /proc or
// /sys, which the emulator answers for: the host's describe the host
// (cgroups, mounts, CPU limits), not the emulated process.
func underEmulated(abs string) bool {
	for _, dir := range []string{"/proc", "/sys"} {
		if abs == dir || strings.HasPrefix(abs, dir+"/") {
			return true
		}
	}
	return false
}

// resolve makes path relative to dirfd an absolute path the host
// understands, and says which absolute path the guest named (for /proc and
// /sys), "" for a name in a directory since removed. Relative paths with
// AT_FDCWD follow the guest's working directory (chdir), never the host
// process's, which does not change. The result is not cleaned: "..", "."
// and a trailing slash keep their meaning for the host's lookup.
func (c *Call) resolve(dirfd int, path string) (host, guest string, err error) {
	if filepath.IsAbs(path) {
		return path, path, nil
	}
	var h *hostFile
	if dirfd == abi.AT_FDCWD {
		if h = c.K.fsys.cwd; h == nil {
			return "/" + path, "/" + path, nil // the empty root of --fs none
		}
	} else {
		f, err := c.K.fds.get(dirfd)
		if err != nil {
			return "", "", err
		}
		var ok bool
		if h, ok = f.(*hostFile); !ok || !h.dir {
			return "", "", abi.ENOTDIR
		}
	}
	dir, state := h.path()
	host = joinPath(dir, path)
	if state == dirGone {
		return joinPath(h.fdPath(), path), "", nil
	}
	if state == dirTooLong || len(host) >= pathMax {
		// Deeper than the host can name in one path; the guest's own
		// path is long too, and /proc and /sys are not that deep.
		return joinPath(h.fdPath(), path), "", nil
	}
	return host, host, nil
}

// joinPath puts a relative path under an absolute directory.
func joinPath(dir, rel string) string {
	if dir == "/" {
		return "/" + rel
	}
	return dir + "/" + rel
}

// fsState is what Linux keeps in a process's fs_struct: the working
// directory and the umask.
type fsState struct {
	// cwd is the guest's working directory, held open on the host (O_PATH)
	// so that it is followed across renames and survives removal, as a
	// Linux process's is; nil is the empty root that --fs none leaves.
	// It starts as the host process's working directory and changes only
	// by chdir and fchdir; the host process's own never changes.
	cwd *hostFile
	// umask is the guest's file mode creation mask; hostUmask is the host
	// process's, which the host applies as well to what the guest creates.
	umask, hostUmask uint32
}

// newFSState gives the state a new process inherits from its parent: the
// host's working directory and umask.
func newFSState(mode FSMode) fsState {
	s := fsState{umask: 0o022, hostUmask: 0o022}
	if m, ok := hostUmask(); ok {
		s.umask, s.hostUmask = m, m
	}
	if mode == FSNone {
		return s
	}
	if h, err := openDirPath("."); err == nil {
		s.cwd = h
	}
	return s
}

// setCwd makes h the working directory; nil is the root of --fs none.
func (s *fsState) setCwd(h *hostFile) {
	if s.cwd != nil {
		s.cwd.close()
	}
	s.cwd = h
}

// hostUmask reads the host process's umask from /proc/self/status (Linux
// 4.7 and later), without changing it as umask(2) would.
func hostUmask() (uint32, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return uint32(m), err == nil
		}
	}
	return 0, false
}

// What a change needs of the path it is applied to, for the errors a
// read-only filesystem reports before EACCES.
const (
	anyState     = iota
	mustExist    // unlink, rmdir, chmod, truncate, rename's source
	mustNotExist // mkdir, symlink, link's new name
)

// change is one path a call changes, and what it needs of it.
type change struct {
	l      loc
	need   int
	follow bool // a final symbolic link is followed (chmod, truncate)
}

// mayChange says whether the guest may make the changes: nil on the host
// with --fs rw; otherwise the errno it gets. With --fs ro that is EACCES,
// after the existence errors (ENOENT, EEXIST) of every path, so programs
// probing with mkdir or unlink see the usual answers. The emulator's own
// files cannot be changed.
func (c *Call) mayChange(changes ...change) error {
	denied := false
	for _, ch := range changes {
		if ch.l.host == "" {
			denied = true
			continue
		}
		if c.K.cfg.FS == FSReadWrite {
			continue
		}
		denied = true
		if err := existence(ch); err != nil {
			return err
		}
	}
	if denied {
		return abi.EACCES
	}
	return nil
}

// existence checks what ch needs of its host path.
func existence(ch change) error {
	var err error
	if ch.follow {
		_, err = os.Stat(ch.l.host)
	} else {
		_, err = os.Lstat(ch.l.host)
	}
	switch {
	case err == nil && ch.need == mustNotExist:
		return abi.EEXIST
	case err == nil:
		return nil
	case ch.need == mustExist || !errors.Is(err, fs.ErrNotExist):
		return hostErrno(err)
	}
	// A new name: its directory must exist.
	if _, err := os.Stat(filepath.Dir(ch.l.host)); err != nil {
		return hostErrno(err)
	}
	return nil
}
