package syscalls

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
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
			return 0, abi.EFAULT
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
	if err != abi.EAGAIN || e.flags&abi.O_NONBLOCK != 0 {
		return v, err
	}
	return 0, c.block("read", 0, NoDeadline,
		func() bool { ev, _ := e.f.ready(); return ev&(abi.EPOLLIN|abi.EPOLLHUP|abi.EPOLLERR) != 0 },
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
	if e.flags&abi.O_APPEND != 0 {
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
		return 0, abi.ESPIPE
	}
	if c.int(3) < 0 {
		return 0, abi.EINVAL
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
		return 0, abi.ESPIPE
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
	return c.openAt(abi.AT_FDCWD, c.ptr(0), int(c.int32(1)), c.u32(2))
}

func sysOpenat(c *Call) (uint64, error) {
	return c.openAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), c.u32(3))
}

// sysCreat is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
func sysCreat(c *Call) (uint64, error) {
	return c.openAt(abi.AT_FDCWD, c.ptr(0), abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC, c.u32(1))
}

// openAt opens a path for the guest under the --fs policy. With ro, a host
// file is opened read-only and any open that would create, truncate or
// write fails with EACCES (EEXIST and ENOENT first, as Linux checks them
// first); with none, only the emulator's own files exist.
func (c *Call) openAt(dirfd int, pathPtr uint64, flags int, mode uint32) (uint64, error) {
	l, err := c.locate(dirfd, pathPtr, flags&abi.O_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	switch {
	case l.link != "":
		return 0, abi.ELOOP // O_NOFOLLOW on /proc/self/exe
	case l.f != nil:
		if flags&abi.O_ACCMODE != abi.O_RDONLY || flags&abi.O_TRUNC != 0 {
			return 0, abi.EACCES
		}
		if flags&abi.O_DIRECTORY != 0 {
			return 0, abi.ENOTDIR
		}
		fd, err := c.K.fds.install(l.f, flags&(abi.O_CLOEXEC|abi.O_NONBLOCK))
		return uint64(fd), err
	}
	acc := flags & abi.O_ACCMODE
	if acc == abi.O_ACCMODE {
		return 0, abi.EINVAL
	}
	hflags := hostOpenFlags(flags)
	if c.K.cfg.FS != FSReadWrite {
		// Read-only: O_CREAT of a file that exists just opens it.
		_, err := os.Stat(l.host)
		switch {
		case err == nil && flags&(abi.O_CREAT|abi.O_EXCL) == abi.O_CREAT|abi.O_EXCL:
			return 0, abi.EEXIST
		case err != nil && flags&abi.O_CREAT == 0:
			return 0, hostErrno(err)
		case err != nil:
			return 0, c.mayChange(change{l, mustNotExist, true})
		case acc != abi.O_RDONLY || flags&abi.O_TRUNC != 0:
			return 0, abi.EACCES
		}
		hflags &^= os.O_CREATE | os.O_EXCL
	}
	// A FIFO is opened without blocking on the host, whatever the guest
	// asked: the emulator must not wait in a host call (see
	// hostFile.fifo). Linux's open without O_NONBLOCK waits for the other
	// end: for writing, a reader; for reading, a writer. The thread
	// sleeps instead, until the guest has opened the other end or the
	// host says another process has (a write-only open then succeeds; a
	// read-only one sees data or a hang-up).
	var ends *fifoEnds
	if fi, err := os.Stat(l.host); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
		hflags |= syscall.O_NONBLOCK
		ends = c.K.fifoEnds(fi)
	}
	perm := c.K.createMode(mode)
	created := false
	if hflags&os.O_CREATE != 0 {
		_, err := os.Lstat(l.host)
		created = err != nil
	}
	if ends != nil && flags&abi.O_NONBLOCK == 0 && acc != abi.O_RDWR {
		var hf *os.File
		var err error
		ready := func() bool {
			if acc == abi.O_WRONLY && ends.readers == 0 || acc == abi.O_RDONLY && ends.writers == 0 {
				if hf == nil {
					hf, err = os.OpenFile(l.host, hflags, 0)
				}
				if err != nil {
					hf = nil
					return !errors.Is(err, syscall.ENXIO) // no reader at all: wait
				}
				if acc == abi.O_RDONLY && !hostFIFOReadable(hf) {
					return false // no writer has come yet
				}
				return true
			}
			return true
		}
		opened := func(bool) (uint64, error) {
			if hf == nil && err == nil {
				hf, err = os.OpenFile(l.host, hflags, 0)
			}
			if err != nil {
				return 0, hostErrno(err)
			}
			return c.installOpened(hf, acc, flags, false, perm, ends)
		}
		if ready() {
			return opened(false)
		}
		return 0, c.block("fifo open", 0, NoDeadline, ready, opened)
	}
	hf, err := os.OpenFile(l.host, hflags, fs.FileMode(perm&0o777))
	if err != nil {
		return 0, hostErrno(err)
	}
	return c.installOpened(hf, acc, flags, created, perm, ends)
}

// installOpened gives the guest a descriptor for hf, which open made
// (created: the file is new, with mode perm).
func (c *Call) installOpened(hf *os.File, acc, flags int, created bool, perm uint32, ends *fifoEnds) (uint64, error) {
	if created && c.K.hostNarrows(perm) {
		syscall.Fchmod(int(hf.Fd()), perm)
	}
	fi, err := hf.Stat()
	if err != nil {
		hf.Close()
		return 0, hostErrno(err)
	}
	fd, err := c.K.fds.install(&hostFile{f: hf, dir: fi.IsDir(), acc: acc, fifo: fi.Mode()&fs.ModeNamedPipe != 0, ends: ends}, flags&(abi.O_CLOEXEC|abi.O_NONBLOCK|abi.O_APPEND|abi.O_ACCMODE))
	if err != nil {
		hf.Close()
		return 0, err
	}
	if ends != nil {
		ends.count(acc, 1)
	}
	return uint64(fd), nil
}

// hostErrno maps a host os error to the Linux errno the guest should see.
func hostErrno(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return abi.Errno(en)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return abi.ENOENT
	case errors.Is(err, fs.ErrPermission):
		return abi.EACCES
	case errors.Is(err, fs.ErrExist):
		return abi.EEXIST
	}
	return abi.EIO
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

func sysStat(c *Call) (uint64, error) { return c.statPath(abi.AT_FDCWD, c.ptr(0), c.ptr(1), 0) }

func sysLstat(c *Call) (uint64, error) {
	return c.statPath(abi.AT_FDCWD, c.ptr(0), c.ptr(1), abi.AT_SYMLINK_NOFOLLOW)
}

func (c *Call) statPath(dirfd int, pathPtr, buf uint64, flags int) (uint64, error) {
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_NO_AUTOMOUNT|abi.AT_EMPTY_PATH) != 0 {
		return 0, abi.EINVAL
	}
	s, err := c.statAt(dirfd, pathPtr, flags)
	if err != nil {
		return 0, err
	}
	return 0, c.write(buf, encodeStat(s))
}

// statAt describes what a path names, for stat and statx; an empty path
// with AT_EMPTY_PATH names dirfd itself.
func (c *Call) statAt(dirfd int, pathPtr uint64, flags int) (statInfo, error) {
	if flags&abi.AT_EMPTY_PATH != 0 {
		if path, err := c.readString(pathPtr, 1); err == nil && path == "" {
			f, err := c.K.fds.get(dirfd)
			if err != nil {
				return statInfo{}, err
			}
			return f.stat(), nil
		}
	}
	nofollow := flags&abi.AT_SYMLINK_NOFOLLOW != 0
	l, err := c.locate(dirfd, pathPtr, !nofollow)
	if err != nil {
		return statInfo{}, err
	}
	switch {
	case l.link != "":
		return statInfo{dev: 0x14, ino: 2, mode: abi.S_IFLNK | 0o777, nlink: 1, size: int64(len(l.link)), blksize: 4096}, nil
	case l.f != nil:
		return l.f.stat(), nil
	}
	var fi os.FileInfo
	if nofollow {
		fi, err = os.Lstat(l.host)
	} else {
		fi, err = os.Stat(l.host)
	}
	if err != nil {
		return statInfo{}, hostErrno(err)
	}
	return infoStat(fi), nil
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
	return c.readlinkAt(abi.AT_FDCWD, c.ptr(0), c.ptr(1), c.uint(2))
}

func sysReadlinkat(c *Call) (uint64, error) {
	return c.readlinkAt(int(c.int32(0)), c.ptr(1), c.ptr(2), c.uint(3))
}

func (c *Call) readlinkAt(dirfd int, pathPtr, buf, size uint64) (uint64, error) {
	if int64(size) <= 0 {
		return 0, abi.EINVAL
	}
	l, err := c.locate(dirfd, pathPtr, false)
	if err != nil {
		return 0, err
	}
	target := l.link
	switch {
	case l.f != nil:
		return 0, abi.EINVAL // not a link
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
	case abi.F_GETFD:
		if e.cloexec {
			return abi.FD_CLOEXEC, nil
		}
		return 0, nil
	case abi.F_SETFD:
		e.cloexec = c.uint(2)&abi.FD_CLOEXEC != 0
		return 0, nil
	case abi.F_GETFL:
		return uint64(e.flags), nil
	case abi.F_SETFL:
		const settable = abi.O_APPEND | abi.O_NONBLOCK
		e.flags = e.flags&^settable | int(c.uint(2))&settable
		return 0, nil
	case abi.F_DUPFD, abi.F_DUPFD_CLOEXEC:
		fl := e.flags
		if c.int32(1) == abi.F_DUPFD_CLOEXEC {
			fl |= abi.O_CLOEXEC
		}
		fd, err := c.K.fds.install(e.f, fl)
		return uint64(fd), err
	}
	return 0, abi.EINVAL
}

// sysIoctl answers ENOTTY to everything: the guest has no terminal of its
// own, so programs behave as if their output were redirected.
func sysIoctl(c *Call) (uint64, error) {
	if _, err := c.K.fds.get(c.fd(0)); err != nil {
		return 0, err
	}
	return 0, abi.ENOTTY
}

func sysDup(c *Call) (uint64, error) {
	e, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	fd, err := c.K.fds.install(e.f, e.flags)
	return uint64(fd), err
}

// sysDup2 is dup3 without flags, except that oldfd == newfd is not an
// error: it returns newfd if oldfd is open.
func sysDup2(c *Call) (uint64, error) {
	if c.fd(0) == c.fd(1) {
		_, err := c.K.fds.entry(c.fd(0))
		return uint64(c.fd(1)), err
	}
	c.Args[2] = 0
	return sysDup3(c)
}

func sysDup3(c *Call) (uint64, error) {
	oldfd, newfd := c.fd(0), c.fd(1)
	if c.int32(2)&^abi.O_CLOEXEC != 0 {
		return 0, abi.EINVAL
	}
	// Linux checks newfd against RLIMIT_NOFILE (EBADF) before oldfd.
	if newfd < 0 || uint64(newfd) >= c.K.rlimit(abi.RLIMIT_NOFILE).cur || newfd >= maxFDs {
		return 0, abi.EBADF
	}
	e, err := c.K.fds.entry(oldfd)
	if err != nil {
		return 0, err
	}
	if oldfd == newfd {
		return 0, abi.EINVAL
	}
	t := c.K.fds
	if newfd < len(t.fds) && t.fds[newfd] != nil {
		t.closeFD(newfd)
	}
	for len(t.fds) <= newfd {
		t.fds = append(t.fds, nil)
	}
	t.fds[newfd] = &fdEntry{f: e.f, flags: e.flags &^ abi.O_CLOEXEC, cloexec: c.int32(2)&abi.O_CLOEXEC != 0}
	return uint64(newfd), nil
}

// sysUmask sets the guest's umask and returns the old one. The host
// process's own umask never changes.
func sysUmask(c *Call) (uint64, error) {
	old := c.K.fsys.umask
	c.K.fsys.umask = c.u32(0) & 0o777
	return uint64(old), nil
}

// createMode is the mode a file the guest creates gets: what it asked for
// less its umask.
func (k *Kernel) createMode(mode uint32) uint32 { return mode & 0o7777 &^ k.fsys.umask }

// hostNarrows reports whether the host's umask took bits from perm that
// the guest's did not, so a new file must be given perm explicitly.
func (k *Kernel) hostNarrows(perm uint32) bool { return perm&k.fsys.hostUmask != 0 }

// sysGetcwd reports the guest's working directory where it is now. Like
// Linux it is ENOENT once that directory has been removed, and ERANGE for a
// buffer too small.
func sysGetcwd(c *Call) (uint64, error) {
	wd := "/"
	if h := c.K.fsys.cwd; h != nil {
		var state dirState
		switch wd, state = h.path(); state {
		case dirGone:
			return 0, abi.ENOENT
		case dirTooLong:
			return 0, abi.ENAMETOOLONG
		}
	}
	b := append([]byte(wd), 0)
	if uint64(len(b)) > c.uint(1) {
		return 0, abi.ERANGE
	}
	return uint64(len(b)), c.write(c.ptr(0), b)
}

func sysChdir(c *Call) (uint64, error) {
	path, err := c.readPath(c.ptr(0))
	if err != nil {
		return 0, err
	}
	if c.K.cfg.FS == FSNone && path != "" {
		// Under --fs none the tree is an empty root: "/" (or a name for
		// it made of "." and "..") is the one directory there is to enter.
		if p, _, err := c.resolve(abi.AT_FDCWD, path); err == nil && onlyRoot(p) {
			c.K.fsys.setCwd(nil)
			return 0, nil
		}
	}
	l, err := c.locatePath(abi.AT_FDCWD, path, true)
	if err != nil {
		return 0, err
	}
	return c.enter(l)
}

// onlyRoot reports whether the absolute path p names the root through
// nothing but ".", ".." and slashes.
func onlyRoot(p string) bool {
	for _, name := range strings.Split(p, "/") {
		if name != "" && name != "." && name != ".." {
			return false
		}
	}
	return true
}

// sysFchdir enters the directory of a descriptor, wherever it is now and
// even if it was removed, as on Linux.
func sysFchdir(c *Call) (uint64, error) {
	h, err := c.hostDirFD(0)
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		p, _ := h.path() // no host /proc: the name it was opened by
		return c.enter(loc{host: p})
	}
	return c.enter(loc{host: h.fdPath()})
}

// enter makes the directory l the working directory: ENOTDIR for anything
// else, EACCES without search permission, as Linux's chdir checks.
func (c *Call) enter(l loc) (uint64, error) {
	if l.host == "" {
		return 0, abi.ENOTDIR // the emulator's files are not directories
	}
	h, err := openDirPath(l.host)
	if err != nil {
		return 0, err
	}
	if err := syscall.Access(l.host, abi.X_OK); err != nil {
		h.close()
		return 0, hostErrno(err)
	}
	c.K.fsys.setCwd(h)
	return 0, nil
}

func sysFaccessat(c *Call) (uint64, error) {
	return c.accessAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), 0)
}

func sysAccess(c *Call) (uint64, error) {
	return c.accessAt(abi.AT_FDCWD, c.ptr(0), int(c.int32(1)), 0)
}

// accessAt checks a path as the guest's user would, and W_OK against the
// --fs policy as well: with ro nothing on the host is writable. The flags
// are faccessat2's; real and effective ids are the same here, so
// AT_EACCESS changes nothing.
func (c *Call) accessAt(dirfd int, pathPtr uint64, mode, flags int) (uint64, error) {
	if mode&^7 != 0 || flags&^(abi.AT_EACCESS|abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return 0, abi.EINVAL
	}
	var l loc
	path, err := c.readPath(pathPtr)
	switch {
	case err != nil:
		return 0, err
	case path == "" && flags&abi.AT_EMPTY_PATH != 0:
		f, err := c.K.fds.get(dirfd)
		if err != nil {
			return 0, err
		}
		if h, ok := f.(*hostFile); ok {
			l.host = h.fdPath()
		}
	default:
		if l, err = c.locatePath(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0); err != nil {
			return 0, err
		}
	}
	if l.host == "" {
		if mode&(abi.W_OK|abi.X_OK) != 0 {
			return 0, abi.EACCES
		}
		return 0, nil
	}
	if flags&abi.AT_SYMLINK_NOFOLLOW != 0 {
		// A link's own permissions are rwx for everyone.
		if fi, err := os.Lstat(l.host); err != nil {
			return 0, hostErrno(err)
		} else if fi.Mode()&os.ModeSymlink != 0 {
			return 0, c.writable(mode)
		}
	}
	if err := syscall.Access(l.host, uint32(mode)); err != nil {
		return 0, hostErrno(err)
	}
	return 0, c.writable(mode)
}

// writable is access's answer for W_OK under the --fs policy.
func (c *Call) writable(mode int) error {
	if mode&abi.W_OK != 0 && c.K.cfg.FS != FSReadWrite {
		return abi.EACCES
	}
	return nil
}

// sysCloseRange closes, or marks close-on-exec, the descriptors from first
// to last. There is one process, so CLOSE_RANGE_UNSHARE has nothing to
// unshare.
func sysCloseRange(c *Call) (uint64, error) {
	first, last, flags := c.u32(0), c.u32(1), c.u32(2)
	if flags&^(abi.CLOSE_RANGE_UNSHARE|abi.CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return 0, abi.EINVAL
	}
	t := c.K.fds
	for fd := uint64(first); fd <= uint64(last) && fd < uint64(len(t.fds)); fd++ {
		switch {
		case t.fds[fd] == nil:
		case flags&abi.CLOSE_RANGE_CLOEXEC != 0:
			t.fds[fd].cloexec = true
		default:
			t.closeFD(int(fd))
		}
	}
	return 0, nil
}

// sysCopyFileRange copies between two regular host files in the
// emulator, at most maxIO bytes a call (a short copy, which callers
// loop on). Its errors are Linux's generic checks, in Linux's order.
func sysCopyFileRange(c *Call) (uint64, error) {
	if c.u32(5) != 0 {
		return 0, abi.EINVAL
	}
	in, err := c.K.fds.entry(c.fd(0))
	if err != nil {
		return 0, err
	}
	out, err := c.K.fds.entry(c.fd(2))
	if err != nil {
		return 0, err
	}
	offs := [2]*int64{}
	for i, p := range []uint64{c.ptr(1), c.ptr(3)} {
		if p == 0 {
			continue
		}
		b, err := c.read(p, 8)
		if err != nil {
			return 0, err
		}
		off := int64(binary.LittleEndian.Uint64(b))
		offs[i] = &off
	}
	src, ok1 := in.f.(*hostFile)
	dst, ok2 := out.f.(*hostFile)
	// Linux checks the file types before the access modes
	// (generic_file_rw_checks): a pipe is EINVAL whichever end it is,
	// which is what makes Go fall back to a plain copy.
	switch {
	case ok1 && src.dir || ok2 && dst.dir:
		return 0, abi.EISDIR
	case !ok1 || !ok2 || src.fifo || dst.fifo:
		return 0, abi.EINVAL // not regular files
	case in.flags&abi.O_ACCMODE == abi.O_WRONLY || out.flags&abi.O_ACCMODE == abi.O_RDONLY || out.flags&abi.O_APPEND != 0:
		return 0, abi.EBADF
	}
	inOff, outOff := src.off, dst.off
	if offs[0] != nil {
		inOff = *offs[0]
	}
	if offs[1] != nil {
		outOff = *offs[1]
	}
	n := int64(clampIO(c.uint(4)))
	if inOff < 0 || outOff < 0 {
		return 0, abi.EOVERFLOW // as Linux 6.18 answers; older kernels said EINVAL
	}
	if a, b := src.stat(), dst.stat(); a.dev == b.dev && a.ino == b.ino && inOff < outOff+n && outOff < inOff+n {
		return 0, abi.EINVAL // overlapping ranges of one file
	}
	if n == 0 {
		return 0, nil
	}
	p := make([]byte, n)
	got, err := src.pread(p, inOff)
	if err != nil || got == 0 {
		return 0, err
	}
	put, err := dst.pwrite(p[:got], outOff)
	if err != nil {
		return 0, err
	}
	for i, o := range []*int64{&src.off, &dst.off} {
		if offs[i] == nil {
			*o += int64(put)
			continue
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(*offs[i]+int64(put)))
		if err := c.write([]uint64{c.ptr(1), c.ptr(3)}[i], b[:]); err != nil {
			return 0, err
		}
	}
	return uint64(put), nil
}
