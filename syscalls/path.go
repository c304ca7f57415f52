package syscalls

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	path, err := c.readString(pathPtr, 4096)
	if err != nil {
		return loc{}, err
	}
	if path == "" {
		return loc{}, ENOENT
	}
	p, err := c.resolve(dirfd, path)
	if err != nil {
		return loc{}, err
	}
	abs := p
	if !filepath.IsAbs(abs) {
		if abs, err = filepath.Abs(p); err != nil {
			return loc{}, ENOENT
		}
	}
	abs = filepath.Clean(abs)
	if underEmulated(abs) {
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
		return loc{}, ENOENT
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

// resolve makes path relative to dirfd a path the host understands.
// Relative paths with AT_FDCWD stay relative to the host's working
// directory, which the guest shares (chdir is not emulated).
func (c *Call) resolve(dirfd int, path string) (string, error) {
	if filepath.IsAbs(path) || dirfd == AT_FDCWD {
		return path, nil
	}
	f, err := c.K.fds.get(dirfd)
	if err != nil {
		return "", err
	}
	h, ok := f.(*hostFile)
	if !ok || !h.dir {
		return "", ENOTDIR
	}
	// The name the directory was opened by still names it: the guest's
	// working directory never changes.
	return h.f.Name() + "/" + path, nil
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
		return EACCES
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
		return EEXIST
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
