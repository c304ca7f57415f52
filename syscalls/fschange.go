package syscalls

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Calls that change the filesystem. Each one locates its paths (so /proc
// and --fs none are handled as for open), asks mayChange, and with --fs rw
// makes the same call on the host, whose errno the guest gets.

// hostCall runs a host system call and converts its error.
func hostCall(err error) (uint64, error) {
	if err != nil {
		return 0, hostErrno(err)
	}
	return 0, nil
}

func sysUnlink(c *Call) (uint64, error) { return c.unlinkAt(abi.AT_FDCWD, c.ptr(0), 0) }

func sysUnlinkat(c *Call) (uint64, error) {
	return c.unlinkAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)))
}

func sysRmdir(c *Call) (uint64, error) { return c.unlinkAt(abi.AT_FDCWD, c.ptr(0), abi.AT_REMOVEDIR) }

// unlinkAt removes a name: a directory with AT_REMOVEDIR (rmdir), anything
// else without it (unlink).
func (c *Call) unlinkAt(dirfd int, pathPtr uint64, flags int) (uint64, error) {
	if flags&^abi.AT_REMOVEDIR != 0 {
		return 0, abi.EINVAL
	}
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, false}); err != nil {
		return 0, err
	}
	if flags&abi.AT_REMOVEDIR != 0 {
		return hostCall(syscall.Rmdir(l.host))
	}
	return hostCall(syscall.Unlink(l.host))
}

func sysMkdir(c *Call) (uint64, error) { return c.mkdirAt(abi.AT_FDCWD, c.ptr(0), c.u32(1)) }

func sysMkdirat(c *Call) (uint64, error) {
	return c.mkdirAt(int(c.int32(0)), c.ptr(1), c.u32(2))
}

func (c *Call) mkdirAt(dirfd int, pathPtr uint64, mode uint32) (uint64, error) {
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustNotExist, false}); err != nil {
		return 0, err
	}
	perm := c.K.createMode(mode)
	if err := syscall.Mkdir(l.host, perm); err != nil {
		return 0, hostErrno(err)
	}
	if c.K.hostNarrows(perm) {
		syscall.Chmod(l.host, perm)
	}
	return 0, nil
}

func sysMknod(c *Call) (uint64, error) { return c.mknodAt(abi.AT_FDCWD, c.ptr(0), c.u32(1), c.uint(2)) }

func sysMknodat(c *Call) (uint64, error) {
	return c.mknodAt(int(c.int32(0)), c.ptr(1), c.u32(2), c.uint(3))
}

// mknodAt makes a regular file, a FIFO or a socket name. Device nodes are
// EPERM, as for a process without CAP_MKNOD: the guest gets no devices of
// the host's. Linux checks the type before the path, the capability for
// devices after it.
func (c *Call) mknodAt(dirfd int, pathPtr uint64, mode uint32, dev uint64) (uint64, error) {
	switch mode & abi.S_IFMT {
	case 0, abi.S_IFREG, abi.S_IFIFO, abi.S_IFSOCK, abi.S_IFCHR, abi.S_IFBLK:
	case abi.S_IFDIR:
		return 0, abi.EPERM
	default:
		return 0, abi.EINVAL
	}
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustNotExist, false}); err != nil {
		return 0, err
	}
	typ := mode & abi.S_IFMT
	if typ == abi.S_IFCHR || typ == abi.S_IFBLK {
		return 0, abi.EPERM
	}
	if typ == 0 {
		typ = abi.S_IFREG
	}
	perm := c.K.createMode(mode)
	if err := syscall.Mknod(l.host, typ|perm, 0); err != nil {
		return 0, hostErrno(err)
	}
	if c.K.hostNarrows(perm) {
		syscall.Chmod(l.host, perm)
	}
	return 0, nil
}

func sysRename(c *Call) (uint64, error) {
	return c.renameAt(abi.AT_FDCWD, c.ptr(0), abi.AT_FDCWD, c.ptr(1), 0)
}

func sysRenameat(c *Call) (uint64, error) {
	return c.renameAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), c.ptr(3), 0)
}

func sysRenameat2(c *Call) (uint64, error) {
	return c.renameAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), c.ptr(3), int(c.u32(4)))
}

// renameAt renames, honouring RENAME_NOREPLACE; RENAME_EXCHANGE and
// RENAME_WHITEOUT are refused with EINVAL, as by a filesystem without them.
func (c *Call) renameAt(olddir int, oldPtr uint64, newdir int, newPtr uint64, flags int) (uint64, error) {
	if flags&^abi.RENAME_NOREPLACE != 0 {
		return 0, abi.EINVAL
	}
	from, err := c.locate(olddir, oldPtr, false)
	if err != nil {
		return 0, err
	}
	to, err := c.locate(newdir, newPtr, false)
	if err != nil {
		return 0, err
	}
	need := anyState
	if flags&abi.RENAME_NOREPLACE != 0 {
		need = mustNotExist
	}
	if err := c.mayChange(change{from, mustExist, false}, change{to, need, false}); err != nil {
		return 0, err
	}
	if need == mustNotExist {
		// Not atomic, unlike the host's renameat2: enough for one guest.
		if _, err := os.Lstat(to.host); err == nil {
			return 0, abi.EEXIST
		}
	}
	return hostCall(syscall.Rename(from.host, to.host))
}

func sysLink(c *Call) (uint64, error) {
	return c.linkAt(abi.AT_FDCWD, c.ptr(0), abi.AT_FDCWD, c.ptr(1), 0)
}

func sysLinkat(c *Call) (uint64, error) {
	return c.linkAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), c.ptr(3), int(c.int32(4)))
}

// linkAt makes a hard link; like Linux it does not follow a symbolic link
// given as the old name unless AT_SYMLINK_FOLLOW says so.
func (c *Call) linkAt(olddir int, oldPtr uint64, newdir int, newPtr uint64, flags int) (uint64, error) {
	if flags&^abi.AT_SYMLINK_FOLLOW != 0 {
		return 0, abi.EINVAL
	}
	follow := flags&abi.AT_SYMLINK_FOLLOW != 0
	from, err := c.locate(olddir, oldPtr, follow)
	if err != nil {
		return 0, err
	}
	to, err := c.locate(newdir, newPtr, false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{from, mustExist, follow}, change{to, mustNotExist, false}); err != nil {
		return 0, err
	}
	if follow {
		// The host's link(2) never follows; resolve the old name first.
		if p, err := filepath.EvalSymlinks(from.host); err == nil {
			from.host = p
		}
	}
	return hostCall(syscall.Link(from.host, to.host))
}

func sysSymlink(c *Call) (uint64, error) { return c.symlinkAt(c.ptr(0), abi.AT_FDCWD, c.ptr(1)) }

func sysSymlinkat(c *Call) (uint64, error) {
	return c.symlinkAt(c.ptr(0), int(c.int32(1)), c.ptr(2))
}

// symlinkAt creates a symbolic link; its target is text, stored as given.
func (c *Call) symlinkAt(targetPtr uint64, dirfd int, pathPtr uint64) (uint64, error) {
	target, err := c.readString(targetPtr, 4096)
	if err != nil {
		return 0, err
	}
	if target == "" {
		return 0, abi.ENOENT
	}
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustNotExist, false}); err != nil {
		return 0, err
	}
	return hostCall(syscall.Symlink(target, l.host))
}

func sysChmod(c *Call) (uint64, error) { return c.chmodAt(abi.AT_FDCWD, c.ptr(0), c.u32(1)) }

func sysFchmodat(c *Call) (uint64, error) {
	return c.chmodAt(int(c.int32(0)), c.ptr(1), c.u32(2))
}

func (c *Call) chmodAt(dirfd int, pathPtr uint64, mode uint32) (uint64, error) {
	l, err := c.locate(dirfd, pathPtr, true)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, true}); err != nil {
		return 0, err
	}
	return hostCall(syscall.Chmod(l.host, mode&0o7777))
}

// hostFD returns the host file behind a guest descriptor, EBADF for a bad
// descriptor and EACCES for files of the emulator's own (stdio, pipes,
// /proc), which the guest cannot change.
func (c *Call) hostFD(i int) (*hostFile, error) {
	f, err := c.K.fds.get(c.fd(i))
	if err != nil {
		return nil, err
	}
	h, ok := f.(*hostFile)
	if !ok {
		return nil, abi.EACCES
	}
	return h, nil
}

// hostDirFD returns the host directory behind argument i's descriptor:
// EBADF for a bad descriptor, ENOTDIR for anything but a directory.
func (c *Call) hostDirFD(i int) (*hostFile, error) {
	f, err := c.K.fds.get(c.fd(i))
	if err != nil {
		return nil, err
	}
	h, ok := f.(*hostFile)
	if !ok || !h.dir {
		return nil, abi.ENOTDIR
	}
	return h, nil
}

func sysFchmod(c *Call) (uint64, error) {
	h, err := c.hostFD(0)
	if err != nil {
		return 0, err
	}
	if c.K.cfg.FS != FSReadWrite {
		return 0, abi.EACCES
	}
	return hostCall(syscall.Fchmod(int(h.f.Fd()), c.u32(1)&0o7777))
}

func sysTruncate(c *Call) (uint64, error) {
	if c.int(1) < 0 {
		return 0, abi.EINVAL
	}
	l, err := c.locate(abi.AT_FDCWD, c.ptr(0), true)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, true}); err != nil {
		return 0, err
	}
	return hostCall(syscall.Truncate(l.host, c.int(1)))
}

// sysFtruncate needs a regular file open for writing, as on Linux; with
// --fs ro no host file is.
func sysFtruncate(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	h, ok := f.(*hostFile)
	if !ok || h.dir || h.acc == abi.O_RDONLY || c.int(1) < 0 {
		return 0, abi.EINVAL
	}
	return hostCall(h.f.Truncate(c.int(1)))
}

func sysPwrite64(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	w, ok := f.(interface {
		pwrite(p []byte, off int64) (int, error)
	})
	switch {
	case !ok:
		if _, ok := f.(seeker); ok {
			return 0, abi.EBADF // the emulator's own files are read-only
		}
		return 0, abi.ESPIPE
	case c.int(3) < 0:
		return 0, abi.EINVAL
	}
	p, err := c.read(c.ptr(1), clampIO(c.uint(2)))
	if err != nil {
		return 0, err
	}
	n, err := w.pwrite(p, c.int(3))
	return uint64(n), err
}

// sysFsync flushes a host file the guest may have written; other files
// the guest may read have nothing to flush. Pipes, eventfds and the
// standard streams are EINVAL, as pipes and terminals are on Linux.
func sysFsync(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	switch f := f.(type) {
	case *hostFile:
		if f.acc == abi.O_RDONLY {
			return 0, nil
		}
		return hostCall(f.f.Sync())
	case *memFile:
		return 0, nil
	}
	return 0, abi.EINVAL
}
