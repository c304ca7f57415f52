package syscalls

import (
	"os"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
)

// hostStat describes a host file in the guest's struct stat terms. It is the
// one place that reads the host's stat layout.
func hostStat(f *os.File) statInfo {
	fi, err := f.Stat()
	if err != nil {
		return statInfo{}
	}
	return infoStat(fi)
}

// infoStat describes a host file from what os.Stat or os.Lstat returned.
func infoStat(fi os.FileInfo) statInfo {
	s := statInfo{size: fi.Size(), mode: uint64(fi.Mode().Perm()), blksize: 4096, nlink: 1}
	switch m := fi.Mode(); {
	case fi.IsDir():
		s.mode |= abi.S_IFDIR
	case m&os.ModeSymlink != 0:
		s.mode |= abi.S_IFLNK
	case m&os.ModeNamedPipe != 0:
		s.mode |= abi.S_IFIFO
	case m&os.ModeSocket != 0:
		s.mode |= abi.S_IFSOCK
	case m&os.ModeCharDevice != 0:
		s.mode |= abi.S_IFCHR
	case m&os.ModeDevice != 0:
		s.mode |= abi.S_IFBLK
	default:
		s.mode |= abi.S_IFREG
	}
	if fi.Mode()&os.ModeSetuid != 0 {
		s.mode |= 0o4000
	}
	if fi.Mode()&os.ModeSetgid != 0 {
		s.mode |= 0o2000
	}
	if fi.Mode()&os.ModeSticky != 0 {
		s.mode |= 0o1000
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino, s.nlink = st.Dev, st.Ino, uint64(st.Nlink) // uint32 on arm64
		s.uid, s.gid, s.rdev = uint64(st.Uid), uint64(st.Gid), st.Rdev
		s.blocks = st.Blocks
		s.atime = st.Atim.Nano()
		s.mtime = st.Mtim.Nano()
		s.ctime = st.Ctim.Nano()
	}
	return s
}

// fileInode is the host inode number of a file, 0 if unknown.
func fileInode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// hostOpenFlags converts the guest's open flags to the host's: the values
// of O_DIRECTORY and O_NOFOLLOW differ between architectures.
func hostOpenFlags(flags int) int {
	h := 0
	switch flags & abi.O_ACCMODE {
	case abi.O_WRONLY:
		h = os.O_WRONLY
	case abi.O_RDWR:
		h = os.O_RDWR
	}
	for _, f := range [...]struct{ guest, host int }{
		{abi.O_CREAT, os.O_CREATE}, {abi.O_EXCL, os.O_EXCL}, {abi.O_TRUNC, os.O_TRUNC},
		{abi.O_DIRECTORY, syscall.O_DIRECTORY}, {abi.O_NOFOLLOW, syscall.O_NOFOLLOW},
	} {
		if flags&f.guest != 0 {
			h |= f.host
		}
	}
	return h
}

// oPath is the host's O_PATH, which the syscall package does not name; it
// has this value on amd64 and arm64.
const oPath = 0x200000
