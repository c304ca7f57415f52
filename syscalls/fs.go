package syscalls

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// maxIO bounds one read or write so a guest cannot make the host allocate
// unbounded buffers.
const maxIO = 16 << 20

func sysRead(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	if err := c.userRange(c.ptr(1), c.uint(2)); err != nil {
		return 0, err
	}
	return c.readInto(e, c.ptr(1), clampIO(c.uint(2)))
}

// readInto reads into guest memory, sleeping while a blocking descriptor has
// nothing to read.
func (c *Call) readInto(e *fdEntry, buf uint64, n int) (uint64, error) {
	p := make([]byte, n)
	try := func() (uint64, error) {
		// A bad buffer must fail before the file gives up its data.
		if err := c.M.Access(buf, uint64(n), true); err != nil {
			return 0, EFAULT
		}
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
	return 0, c.block("read", 0, NoDeadline,
		func() bool { ev, _ := e.f.ready(); return ev&(EPOLLIN|EPOLLHUP|EPOLLERR) != 0 },
		func(bool) (uint64, error) { return try() })
}

func sysWrite(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	p, err := c.readGuest(c.ptr(1), clampIO(c.uint(2)))
	if err != nil {
		return 0, err
	}
	if e.flags&O_APPEND != 0 {
		if s, ok := e.f.(seeker); ok {
			s.seek(0, 2) // O_APPEND: every write goes to the end
		}
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
	return c.openAt(AT_FDCWD, c.ptr(0), int(c.int32(1)), c.u32(2))
}

func sysOpenat(c *Call) (uint64, error) {
	return c.openAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), c.u32(3))
}

// sysCreat is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
func sysCreat(c *Call) (uint64, error) {
	return c.openAt(AT_FDCWD, c.ptr(0), O_CREAT|O_WRONLY|O_TRUNC, c.u32(1))
}

// openAt opens a path for the guest under the --fs policy. With ro, a host
// file is opened read-only and any open that would create, truncate or
// write fails with EACCES (EEXIST and ENOENT first, as Linux checks them
// first); with none, only the emulator's own files exist.
func (c *Call) openAt(dirfd int, pathPtr uint64, flags int, mode uint32) (uint64, error) {
	l, err := c.locate(dirfd, pathPtr, flags&O_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	switch {
	case l.link != "":
		return 0, ELOOP // O_NOFOLLOW on /proc/self/exe
	case l.f != nil:
		if flags&O_ACCMODE != O_RDONLY || flags&O_TRUNC != 0 {
			return 0, EACCES
		}
		if flags&O_DIRECTORY != 0 {
			return 0, ENOTDIR
		}
		fd, err := c.K.fds.install(l.f, flags&(O_CLOEXEC|O_NONBLOCK))
		return uint64(fd), err
	}
	acc := flags & O_ACCMODE
	if acc == O_ACCMODE {
		return 0, EINVAL
	}
	hflags := hostOpenFlags(flags)
	if c.K.cfg.FS != FSReadWrite {
		// Read-only: O_CREAT of a file that exists just opens it.
		_, err := os.Stat(l.host)
		switch {
		case err == nil && flags&(O_CREAT|O_EXCL) == O_CREAT|O_EXCL:
			return 0, EEXIST
		case err != nil && flags&O_CREAT == 0:
			return 0, hostErrno(err)
		case err != nil:
			return 0, c.mayChange(change{l, mustNotExist, true})
		case acc != O_RDONLY || flags&O_TRUNC != 0:
			return 0, EACCES
		}
		hflags &^= os.O_CREATE | os.O_EXCL
	}
	hf, err := os.OpenFile(l.host, hflags, fs.FileMode(mode&0o777))
	if err != nil {
		return 0, hostErrno(err)
	}
	fi, err := hf.Stat()
	if err != nil {
		hf.Close()
		return 0, hostErrno(err)
	}
	fd, err := c.K.fds.install(&hostFile{f: hf, dir: fi.IsDir(), acc: acc}, flags&(O_CLOEXEC|O_NONBLOCK|O_APPEND|O_ACCMODE))
	if err != nil {
		hf.Close()
	}
	return uint64(fd), err
}

// hostErrno maps a host os error to the Linux errno the guest should see.
func hostErrno(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return Errno(en)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ENOENT
	case errors.Is(err, fs.ErrPermission):
		return EACCES
	case errors.Is(err, fs.ErrExist):
		return EEXIST
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
	if flags&AT_EMPTY_PATH != 0 {
		if path, err := c.readString(pathPtr, 1); err == nil && path == "" {
			f, err := c.K.fds.get(dirfd)
			if err != nil {
				return 0, err
			}
			return 0, c.write(buf, encodeStat(f.stat()))
		}
	}
	nofollow := flags&AT_SYMLINK_NOFOLLOW != 0
	l, err := c.locate(dirfd, pathPtr, !nofollow)
	if err != nil {
		return 0, err
	}
	switch {
	case l.link != "":
		return 0, c.write(buf, encodeStat(statInfo{dev: 0x14, ino: 2, mode: S_IFLNK | 0o777, nlink: 1, size: int64(len(l.link)), blksize: 4096}))
	case l.f != nil:
		return 0, c.write(buf, encodeStat(l.f.stat()))
	}
	var fi os.FileInfo
	if nofollow {
		fi, err = os.Lstat(l.host)
	} else {
		fi, err = os.Stat(l.host)
	}
	if err != nil {
		return 0, hostErrno(err)
	}
	return 0, c.write(buf, encodeStat(infoStat(fi)))
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
	if int64(size) <= 0 {
		return 0, EINVAL
	}
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	target := l.link
	switch {
	case l.f != nil:
		return 0, EINVAL // not a link
	case l.host != "":
		if target, err = os.Readlink(l.host); err != nil {
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
	if c.int32(2)&^O_CLOEXEC != 0 {
		return 0, EINVAL
	}
	// Linux checks newfd against RLIMIT_NOFILE (EBADF) before oldfd.
	if newfd < 0 || uint64(newfd) >= c.K.rlimit(RLIMIT_NOFILE).cur || newfd >= maxFDs {
		return 0, EBADF
	}
	e, err := c.K.fds.entry(oldfd)
	if err != nil {
		return 0, err
	}
	if oldfd == newfd {
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
	if c.K.cfg.FS == FSNone {
		wd = "/" // the host's directories are hidden
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

// access checks a path as the guest's user would, and W_OK against the
// --fs policy as well: with ro nothing on the host is writable.
func (c *Call) access(dirfd int, pathPtr uint64, mode int) (uint64, error) {
	if mode&^7 != 0 {
		return 0, EINVAL
	}
	l, err := c.locate(dirfd, pathPtr, true)
	if err != nil {
		return 0, err
	}
	if l.host == "" {
		if mode&(W_OK|X_OK) != 0 {
			return 0, EACCES
		}
		return 0, nil
	}
	if err := syscall.Access(l.host, uint32(mode)); err != nil {
		return 0, hostErrno(err)
	}
	if mode&W_OK != 0 && c.K.cfg.FS != FSReadWrite {
		return 0, EACCES
	}
	return 0, nil
}
