package syscalls

import (
	"os"
	"syscall"
)

// hostStat describes a host file in the guest's struct stat terms. It is the
// one place that reads the host's stat layout.
func hostStat(f *os.File) statInfo {
	fi, err := f.Stat()
	if err != nil {
		return statInfo{}
	}
	s := statInfo{size: fi.Size(), mode: uint64(fi.Mode().Perm()), blksize: 4096, nlink: 1}
	switch {
	case fi.IsDir():
		s.mode |= S_IFDIR
	case fi.Mode()&os.ModeNamedPipe != 0:
		s.mode |= S_IFIFO
	case fi.Mode()&os.ModeCharDevice != 0:
		s.mode |= S_IFCHR
	default:
		s.mode |= S_IFREG
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino, s.nlink = st.Dev, st.Ino, st.Nlink
		s.uid, s.gid, s.rdev = uint64(st.Uid), uint64(st.Gid), st.Rdev
		s.blocks = st.Blocks
		s.atime = st.Atim.Nano()
		s.mtime = st.Mtim.Nano()
		s.ctime = st.Ctim.Nano()
	}
	return s
}
