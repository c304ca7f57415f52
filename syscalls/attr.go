package syscalls

import (
	"encoding/binary"
	"os"
	"syscall"
	"unsafe"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Calls that read or change a file's attributes: times, owner, mode and
// statx. Paths go through locate and changes through mayChange, as in
// fschange.go; with --fs rw the host makes the change and its errno is the
// guest's.

// The utimes family. A time of "now" (UTIME_NOW, or no times at all) is
// the guest's wall clock, CLOCK_REALTIME on the virtual clock, not the
// host's: what the guest reads back with stat is then the same on every
// run, and agrees with what time.Now() told it.

func sysUtimensat(c *Call) (uint64, error) {
	var ts *[2]int64
	if c.ptr(2) != 0 {
		b, err := c.read(c.ptr(2), 32)
		if err != nil {
			return 0, err
		}
		var t [2]int64
		for i := range t {
			sec, nsec := int64(binary.LittleEndian.Uint64(b[16*i:])), int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			switch {
			case nsec == abi.UTIME_NOW || nsec == abi.UTIME_OMIT:
				t[i] = -nsec // a marker: no valid time is negative here
			case nsec < 0 || nsec >= 1e9:
				return 0, abi.EINVAL
			default:
				t[i] = sec*1e9 + nsec
			}
		}
		ts = &t
	}
	flags := int(c.int32(3))
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return 0, abi.EINVAL
	}
	dirfd := int(c.int32(0))
	if c.ptr(1) == 0 && dirfd != abi.AT_FDCWD {
		return c.utimesFD(dirfd, ts) // futimens
	}
	if flags&abi.AT_EMPTY_PATH != 0 {
		if p, err := c.readString(c.ptr(1), 1); err == nil && p == "" {
			return c.utimesFD(dirfd, ts)
		}
	}
	return c.utimesAt(dirfd, c.ptr(1), ts, flags&abi.AT_SYMLINK_NOFOLLOW == 0)
}

func sysUtimes(c *Call) (uint64, error) { return c.timevalUtimes(abi.AT_FDCWD, c.ptr(0), c.ptr(1)) }

func sysFutimesat(c *Call) (uint64, error) {
	return c.timevalUtimes(int(c.int32(0)), c.ptr(1), c.ptr(2))
}

// timevalUtimes is utimes and futimesat: times in microseconds, NULL for
// now.
func (c *Call) timevalUtimes(dirfd int, pathPtr, tvPtr uint64) (uint64, error) {
	var ts *[2]int64
	if tvPtr != 0 {
		b, err := c.read(tvPtr, 32)
		if err != nil {
			return 0, err
		}
		var t [2]int64
		for i := range t {
			sec, usec := int64(binary.LittleEndian.Uint64(b[16*i:])), int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			if usec < 0 || usec >= 1e6 {
				return 0, abi.EINVAL
			}
			t[i] = sec*1e9 + usec*1e3
		}
		ts = &t
	}
	return c.utimesAt(dirfd, pathPtr, ts, true)
}

func sysUtime(c *Call) (uint64, error) {
	var ts *[2]int64
	if c.ptr(1) != 0 {
		b, err := c.read(c.ptr(1), 16)
		if err != nil {
			return 0, err
		}
		ts = &[2]int64{int64(binary.LittleEndian.Uint64(b)) * 1e9, int64(binary.LittleEndian.Uint64(b[8:])) * 1e9}
	}
	return c.utimesAt(abi.AT_FDCWD, c.ptr(0), ts, true)
}

// hostTimes turns the guest's times (nil for both now; -UTIME_NOW and
// -UTIME_OMIT as markers) into the host's utimensat argument.
func (c *Call) hostTimes(ts *[2]int64) [2]syscall.Timespec {
	now := Epoch*1e9 + c.M.Now()
	var out [2]syscall.Timespec
	for i := range out {
		t := now
		if ts != nil {
			t = ts[i]
		}
		switch t {
		case -abi.UTIME_NOW:
			t = now
		case -abi.UTIME_OMIT:
			out[i] = syscall.Timespec{Nsec: abi.UTIME_OMIT}
			continue
		}
		out[i] = syscall.NsecToTimespec(t)
	}
	return out
}

func (c *Call) utimesAt(dirfd int, pathPtr uint64, ts *[2]int64, follow bool) (uint64, error) {
	if pathPtr == 0 {
		return 0, abi.EFAULT
	}
	l, err := c.locate(dirfd, pathPtr, follow)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, follow}); err != nil {
		return 0, err
	}
	flags := 0
	if !follow {
		flags = abi.AT_SYMLINK_NOFOLLOW // the same value on every Linux architecture
	}
	t := c.hostTimes(ts)
	return hostCall(hostUtimensat(abi.AT_FDCWD, l.host, &t, flags))
}

func (c *Call) utimesFD(fd int, ts *[2]int64) (uint64, error) {
	f, err := c.K.fds.get(fd)
	if err != nil {
		return 0, err
	}
	h, ok := f.(*hostFile)
	if !ok || c.K.cfg.FS != FSReadWrite {
		return 0, abi.EACCES
	}
	t := c.hostTimes(ts)
	return hostCall(hostUtimensat(int(h.f.Fd()), "", &t, 0))
}

// hostUtimensat is utimensat(2) on the host; an empty path names dirfd
// itself (futimens). The syscall package has no such call.
func hostUtimensat(dirfd int, path string, ts *[2]syscall.Timespec, flags int) error {
	var p *byte
	if path != "" {
		var err error
		if p, err = syscall.BytePtrFromString(path); err != nil {
			return err
		}
	}
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(ts)), uintptr(flags), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// The chown family. An id of -1 leaves that id as it is. With --fs ro it
// is EACCES, as every change is (Linux's read-only mounts say EROFS before
// they look at ownership).

func sysChown(c *Call) (uint64, error) {
	return c.chownAt(abi.AT_FDCWD, c.ptr(0), c.u32(1), c.u32(2), 0)
}

func sysLchown(c *Call) (uint64, error) {
	return c.chownAt(abi.AT_FDCWD, c.ptr(0), c.u32(1), c.u32(2), abi.AT_SYMLINK_NOFOLLOW)
}

func sysFchownat(c *Call) (uint64, error) {
	return c.chownAt(int(c.int32(0)), c.ptr(1), c.u32(2), c.u32(3), int(c.int32(4)))
}

func sysFchown(c *Call) (uint64, error) {
	h, err := c.hostFD(0)
	if err != nil {
		return 0, err
	}
	if c.K.cfg.FS != FSReadWrite {
		return 0, abi.EACCES
	}
	return hostCall(syscall.Fchown(int(h.f.Fd()), int(int32(c.u32(1))), int(int32(c.u32(2)))))
}

func (c *Call) chownAt(dirfd int, pathPtr uint64, uid, gid uint32, flags int) (uint64, error) {
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return 0, abi.EINVAL
	}
	if flags&abi.AT_EMPTY_PATH != 0 {
		if p, err := c.readString(pathPtr, 1); err == nil && p == "" {
			c.Args[0] = uint64(uint32(dirfd))
			c.Args[1], c.Args[2] = uint64(uid), uint64(gid)
			return sysFchown(c)
		}
	}
	follow := flags&abi.AT_SYMLINK_NOFOLLOW == 0
	l, err := c.locate(dirfd, pathPtr, follow)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, follow}); err != nil {
		return 0, err
	}
	u, g := int(int32(uid)), int(int32(gid))
	if follow {
		return hostCall(syscall.Chown(l.host, u, g))
	}
	return hostCall(syscall.Lchown(l.host, u, g))
}

// sysFchmodat2 is fchmodat with flags. AT_SYMLINK_NOFOLLOW on a symbolic
// link is EOPNOTSUPP (ENOTSUP), as on Linux's filesystems, which have no link modes.
func sysFchmodat2(c *Call) (uint64, error) {
	flags := int(c.int32(3))
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return 0, abi.EINVAL
	}
	dirfd := int(c.int32(0))
	if flags&abi.AT_EMPTY_PATH != 0 {
		if p, err := c.readString(c.ptr(1), 1); err == nil && p == "" {
			c.Args[0], c.Args[1] = uint64(uint32(dirfd)), c.Args[2]
			return sysFchmod(c)
		}
	}
	if flags&abi.AT_SYMLINK_NOFOLLOW == 0 {
		return c.chmodAt(dirfd, c.ptr(1), c.u32(2))
	}
	l, err := c.locate(dirfd, c.ptr(1), false)
	if err != nil {
		return 0, err
	}
	if err := c.mayChange(change{l, mustExist, false}); err != nil {
		return 0, err
	}
	fi, err := os.Lstat(l.host)
	if err != nil {
		return 0, hostErrno(err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return 0, abi.ENOTSUP
	}
	return hostCall(syscall.Chmod(l.host, c.u32(2)&0o7777))
}

func sysFaccessat2(c *Call) (uint64, error) {
	return c.accessAt(int(c.int32(0)), c.ptr(1), int(c.int32(2)), int(c.int32(3)))
}

// sysStatx answers the basic statistics (STATX_BASIC_STATS) whatever the
// mask asks for, as a filesystem without birth times does.
func sysStatx(c *Call) (uint64, error) {
	flags := int(c.int32(2))
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_NO_AUTOMOUNT|abi.AT_EMPTY_PATH|abi.AT_STATX_SYNC_TYPE) != 0 ||
		flags&abi.AT_STATX_SYNC_TYPE == abi.AT_STATX_SYNC_TYPE || c.u32(3)&abi.STATX__RESERVED != 0 {
		return 0, abi.EINVAL
	}
	s, err := c.statAt(int(c.int32(0)), c.ptr(1), flags)
	if err != nil {
		return 0, err
	}
	return 0, c.write(c.ptr(4), encodeStatx(s))
}

// encodeStatx lays out struct statx (256 bytes).
func encodeStatx(s statInfo) []byte {
	b := make([]byte, 256)
	le := binary.LittleEndian
	le.PutUint32(b[0:], abi.STATX_BASIC_STATS)
	le.PutUint32(b[4:], uint32(s.blksize))
	le.PutUint32(b[16:], uint32(s.nlink))
	le.PutUint32(b[20:], uint32(s.uid))
	le.PutUint32(b[24:], uint32(s.gid))
	le.PutUint16(b[28:], uint16(s.mode))
	le.PutUint64(b[32:], s.ino)
	le.PutUint64(b[40:], uint64(s.size))
	le.PutUint64(b[48:], uint64(s.blocks))
	for i, t := range []int64{s.atime, 0, s.ctime, s.mtime} { // atime, btime, ctime, mtime
		le.PutUint64(b[64+16*i:], uint64(t/1e9))
		le.PutUint32(b[72+16*i:], uint32(t%1e9))
	}
	le.PutUint32(b[128:], devMajor(s.rdev))
	le.PutUint32(b[132:], devMinor(s.rdev))
	le.PutUint32(b[136:], devMajor(s.dev))
	le.PutUint32(b[140:], devMinor(s.dev))
	return b
}

// devMajor and devMinor split a dev_t as glibc's gnu_dev_major and
// gnu_dev_minor do.
func devMajor(d uint64) uint32 { return uint32(d>>8&0xfff | d>>32&^0xfff) }
func devMinor(d uint64) uint32 { return uint32(d&0xff | d>>12&^0xff) }
