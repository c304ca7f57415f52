package syscalls

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// maxIO bounds one read or write so a guest cannot make the host allocate
// unbounded buffers.
const maxIO = 16 << 20

func sysRead(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	return c.readInto(e, c.ptr(1), clampIO(c.uint(2)))
}

// readInto reads into guest memory, sleeping while a blocking descriptor has
// nothing to read.
func (c *Call) readInto(e *fdEntry, buf uint64, n int) (uint64, error) {
	p := make([]byte, n)
	try := func() (uint64, error) {
		got, err := e.f.read(p)
		if err != nil {
			return 0, err
		}
		if err := c.write(buf, p[:got]); err != nil {
			return 0, err
		}
		c.outBuf = p[:got]
		return uint64(got), nil
	}
	v, err := try()
	if err != EAGAIN || e.flags&O_NONBLOCK != 0 {
		return v, err
	}
	return 0, &Wait{Kind: "read", Deadline: NoDeadline,
		Ready: func() bool { ev, _ := e.f.ready(); return ev&(EPOLLIN|EPOLLHUP|EPOLLERR) != 0 },
		Done:  func(bool) (uint64, error) { return try() },
	}
}

func sysWrite(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	p, err := c.read(c.ptr(1), clampIO(c.uint(2)))
	if err != nil {
		return 0, err
	}
	n, err := e.f.write(p)
	return uint64(n), err
}

func sysPread64(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	s, ok := f.(seeker)
	if !ok {
		return 0, ESPIPE
	}
	if c.int(3) < 0 {
		return 0, EINVAL
	}
	p := make([]byte, clampIO(c.uint(2)))
	n, err := s.pread(p, c.int(3))
	if err != nil {
		return 0, err
	}
	c.outBuf = p[:n]
	return uint64(n), c.write(c.ptr(1), p[:n])
}

func sysLseek(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	s, ok := f.(seeker)
	if !ok {
		return 0, ESPIPE
	}
	off, err := s.seek(c.int(1), int(c.int32(2)))
	return uint64(off), err
}

func clampIO(n uint64) int {
	if n > maxIO {
		return maxIO
	}
	return int(n)
}

func sysOpen(c *Call) (uint64, error) {
	return c.openAt(AT_FDCWD, c.ptr(0), int(c.int32(1)))
}

func sysOpenat(c *Call) (uint64, error) {
	return c.openAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)))
}

// openAt opens a path for the guest. Writes to the host are refused with
// EACCES: the host filesystem is read-only to the guest.
func (c *Call) openAt(dirfd int, pathPtr uint64, flags int) (uint64, error) {
	path, err := c.readString(pathPtr, 4096)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, ENOENT
	}
	if !filepath.IsAbs(path) && dirfd != AT_FDCWD {
		return 0, ENOTSUP // directory descriptors are not supported yet
	}
	if f, err, ok := c.K.synthesized(path); ok {
		if err != nil {
			return 0, err
		}
		fd, err := c.K.fds.install(f, flags&(O_CLOEXEC|O_NONBLOCK))
		return uint64(fd), err
	}
	if flags&O_ACCMODE != O_RDONLY || flags&(O_CREAT|O_TRUNC) != 0 {
		return 0, EACCES
	}
	hf, err := os.Open(path)
	if err != nil {
		return 0, hostErrno(err)
	}
	fi, err := hf.Stat()
	if err != nil {
		hf.Close()
		return 0, hostErrno(err)
	}
	if flags&O_DIRECTORY != 0 && !fi.IsDir() {
		hf.Close()
		return 0, ENOTDIR
	}
	fd, err := c.K.fds.install(&hostFile{f: hf, dir: fi.IsDir()}, flags&(O_CLOEXEC|O_NONBLOCK|O_APPEND))
	if err != nil {
		hf.Close()
	}
	return uint64(fd), err
}

// hostErrno maps a host os error to the Linux errno the guest should see.
func hostErrno(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ENOENT
	case errors.Is(err, fs.ErrPermission):
		return EACCES
	}
	var en interface{ Errno() uintptr }
	if errors.As(err, &en) {
		return Errno(en.Errno())
	}
	return EIO
}

func sysClose(c *Call) (uint64, error) { return 0, c.K.fds.closeFD(c.fd(0)) }

func sysFstat(c *Call) (uint64, error) {
	f, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	return 0, c.write(c.ptr(1), encodeStat(f.stat()))
}

func sysNewfstatat(c *Call) (uint64, error) {
	return c.statPath(int(c.int32(0)), c.ptr(1), c.ptr(2), int(c.int32(3)))
}

func sysStat(c *Call) (uint64, error) { return c.statPath(AT_FDCWD, c.ptr(0), c.ptr(1), 0) }

func sysLstat(c *Call) (uint64, error) {
	return c.statPath(AT_FDCWD, c.ptr(0), c.ptr(1), AT_SYMLINK_NOFOLLOW)
}

func (c *Call) statPath(dirfd int, pathPtr, buf uint64, flags int) (uint64, error) {
	path, err := c.readString(pathPtr, 4096)
	if err != nil {
		return 0, err
	}
	if path == "" && flags&AT_EMPTY_PATH != 0 {
		f, err := c.K.fds.get(dirfd)
		if err != nil {
			return 0, err
		}
		return 0, c.write(buf, encodeStat(f.stat()))
	}
	if !filepath.IsAbs(path) && dirfd != AT_FDCWD {
		return 0, ENOTSUP
	}
	if f, err, ok := c.K.synthesized(path); ok {
		if err != nil {
			return 0, err
		}
		return 0, c.write(buf, encodeStat(f.stat()))
	}
	var fi os.FileInfo
	if flags&AT_SYMLINK_NOFOLLOW != 0 {
		fi, err = os.Lstat(path)
	} else {
		fi, err = os.Stat(path)
	}
	if err != nil {
		return 0, hostErrno(err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return 0, c.write(buf, encodeStat(statInfo{mode: S_IFLNK | 0o777, nlink: 1, size: fi.Size()}))
	}
	hf, err := os.Open(path)
	if err != nil {
		return 0, hostErrno(err)
	}
	defer hf.Close()
	return 0, c.write(buf, encodeStat(hostStat(hf)))
}

// encodeStat lays out struct stat as the x86-64 kernel does (144 bytes).
func encodeStat(s statInfo) []byte {
	b := make([]byte, 144)
	le := binary.LittleEndian
	le.PutUint64(b[0:], s.dev)
	le.PutUint64(b[8:], s.ino)
	le.PutUint64(b[16:], s.nlink)
	le.PutUint32(b[24:], uint32(s.mode))
	le.PutUint32(b[28:], uint32(s.uid))
	le.PutUint32(b[32:], uint32(s.gid))
	le.PutUint64(b[40:], s.rdev)
	le.PutUint64(b[48:], uint64(s.size))
	le.PutUint64(b[56:], uint64(s.blksize))
	le.PutUint64(b[64:], uint64(s.blocks))
	for i, t := range []int64{s.atime, s.mtime, s.ctime} {
		le.PutUint64(b[72+16*i:], uint64(t/1e9))
		le.PutUint64(b[80+16*i:], uint64(t%1e9))
	}
	return b
}

func sysReadlink(c *Call) (uint64, error) {
	return c.readlinkAt(AT_FDCWD, c.ptr(0), c.ptr(1), c.uint(2))
}

func sysReadlinkat(c *Call) (uint64, error) {
	return c.readlinkAt(int(c.int32(0)), c.ptr(1), c.ptr(2), c.uint(3))
}

func (c *Call) readlinkAt(dirfd int, pathPtr, buf, size uint64) (uint64, error) {
	path, err := c.readString(pathPtr, 4096)
	if err != nil {
		return 0, err
	}
	var target string
	switch {
	case path == "/proc/self/exe":
		target = c.K.cfg.ExePath
	case !filepath.IsAbs(path) && dirfd != AT_FDCWD:
		return 0, ENOTSUP
	default:
		if _, err, ok := c.K.synthesized(path); ok {
			if err != nil {
				return 0, err
			}
			return 0, EINVAL
		}
		target, err = os.Readlink(path)
		if err != nil {
			return 0, hostErrno(err)
		}
	}
	b := []byte(target)
	if uint64(len(b)) > size {
		b = b[:size]
	}
	c.outBuf = b
	return uint64(len(b)), c.write(buf, b)
}

func sysFcntl(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	switch c.int32(1) {
	case F_GETFD:
		if e.cloexec {
			return FD_CLOEXEC, nil
		}
		return 0, nil
	case F_SETFD:
		e.cloexec = c.uint(2)&FD_CLOEXEC != 0
		return 0, nil
	case F_GETFL:
		return uint64(e.flags), nil
	case F_SETFL:
		const settable = O_APPEND | O_NONBLOCK
		e.flags = e.flags&^settable | int(c.uint(2))&settable
		return 0, nil
	case F_DUPFD, F_DUPFD_CLOEXEC:
		fl := e.flags
		if c.int32(1) == F_DUPFD_CLOEXEC {
			fl |= O_CLOEXEC
		}
		fd, err := c.K.fds.install(e.f, fl)
		return uint64(fd), err
	}
	return 0, EINVAL
}

// sysIoctl answers ENOTTY to everything: the guest has no terminal of its
// own, so programs behave as if their output were redirected.
func sysIoctl(c *Call) (uint64, error) {
	if _, err := c.K.fds.get(c.fd(0)); err != nil {
		return 0, err
	}
	return 0, ENOTTY
}

func sysDup(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	fd, err := c.K.fds.install(e.f, e.flags)
	return uint64(fd), err
}

func sysDup3(c *Call) (uint64, error) {
	oldfd, newfd := c.fd(0), c.fd(1)
	e, err := c.K.fds.entry(oldfd)
	if err != nil {
		return 0, err
	}
	if oldfd == newfd || newfd < 0 || newfd >= maxFDs {
		return 0, EINVAL
	}
	t := c.K.fds
	if newfd < len(t.fds) && t.fds[newfd] != nil {
		t.closeFD(newfd)
	}
	for len(t.fds) <= newfd {
		t.fds = append(t.fds, nil)
	}
	t.fds[newfd] = &fdEntry{f: e.f, flags: e.flags &^ O_CLOEXEC, cloexec: c.int32(2)&O_CLOEXEC != 0}
	return uint64(newfd), nil
}

func sysGetcwd(c *Call) (uint64, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, ENOENT
	}
	b := append([]byte(wd), 0)
	if uint64(len(b)) > c.uint(1) {
		return 0, ERANGE
	}
	return uint64(len(b)), c.write(c.ptr(0), b)
}

func sysFaccessat(c *Call) (uint64, error) {
	return c.access(int(c.int32(0)), c.ptr(1), int(c.int32(2)))
}

func sysAccess(c *Call) (uint64, error) { return c.access(AT_FDCWD, c.ptr(0), int(c.int32(1))) }

func (c *Call) access(dirfd int, pathPtr uint64, mode int) (uint64, error) {
	path, err := c.readString(pathPtr, 4096)
	if err != nil {
		return 0, err
	}
	if !filepath.IsAbs(path) && dirfd != AT_FDCWD {
		return 0, ENOTSUP
	}
	if _, err, ok := c.K.synthesized(path); ok {
		return 0, err
	}
	if _, err := os.Stat(path); err != nil {
		return 0, hostErrno(err)
	}
	if mode&2 != 0 { // W_OK: the host filesystem is read-only to the guest
		return 0, EACCES
	}
	return 0, nil
}
