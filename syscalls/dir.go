package syscalls

import (
	"encoding/binary"
	"io/fs"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Directory listing. The host's order of entries depends on the
// filesystem; the guest sees them sorted by name, after "." and "..", so
// listings are the same on every host.

// dirent is one directory entry as getdents64 reports it.
type dirent struct {
	ino  uint64
	typ  uint8 // DT_*
	name string
}

// direntHeader is the size of struct linux_dirent64 before d_name:
// d_ino u64, d_off i64, d_reclen u16, d_type u8.
const direntHeader = 19

// listDir reads the entries of the directory h, sorted, "." and ".." first.
func listDir(h *hostFile) ([]dirent, error) {
	if _, err := h.f.Seek(0, 0); err != nil { // the host's position, for a listing read again
		return nil, hostErrno(err)
	}
	ents, err := h.f.ReadDir(-1)
	if err != nil && len(ents) == 0 {
		return nil, hostErrno(err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	out := []dirent{
		{ino: hostStat(h.f).ino, typ: abi.DT_DIR, name: "."},
		{ino: inodeAt(h, ".."), typ: abi.DT_DIR, name: ".."},
	}
	for _, e := range ents {
		out = append(out, dirent{ino: inodeAt(h, e.Name()), typ: direntType(e.Type()), name: e.Name()})
	}
	return out, nil
}

// inodeAt is the inode of name in directory h, 0 if it cannot be had. It
// is looked up relative to the descriptor, not by path: a directory
// deeper than PATH_MAX has no path to look names up by, and Go before
// go1.21 skips the entries whose inode is 0.
func inodeAt(h *hostFile, name string) uint64 {
	var st unix.Stat_t
	if unix.Fstatat(int(h.f.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return 0
	}
	return st.Ino
}

func direntType(m fs.FileMode) uint8 {
	switch m.Type() {
	case 0:
		return abi.DT_REG
	case fs.ModeDir:
		return abi.DT_DIR
	case fs.ModeSymlink:
		return abi.DT_LNK
	case fs.ModeNamedPipe:
		return abi.DT_FIFO
	case fs.ModeSocket:
		return abi.DT_SOCK
	case fs.ModeDevice | fs.ModeCharDevice:
		return abi.DT_CHR
	case fs.ModeDevice:
		return abi.DT_BLK
	}
	return abi.DT_UNKNOWN
}

// sysGetdents64 fills the buffer with whole linux_dirent64 records, each
// 8-byte aligned; d_off is the position after the entry, which lseek
// accepts to resume there. It returns 0 at the end of the directory.
func sysGetdents64(c *Call) (uint64, error) {
	h, err := c.hostDirFD(0)
	if err != nil {
		return 0, err
	}
	if h.ents == nil {
		if h.ents, err = listDir(h); err != nil {
			return 0, err
		}
	}
	size := clampIO(c.uint(2))
	var buf []byte
	pos := h.pos
	for ; pos < len(h.ents); pos++ {
		e := h.ents[pos]
		reclen := (direntHeader + len(e.name) + 1 + 7) &^ 7
		if len(buf)+reclen > size {
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], e.ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(pos+1))
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = e.typ
		copy(rec[direntHeader:], e.name) // NUL and padding are the zeros after it
		buf = append(buf, rec...)
	}
	if len(buf) == 0 && pos < len(h.ents) {
		return 0, abi.EINVAL // the buffer cannot hold the next entry
	}
	if err := c.write(c.ptr(1), buf); err != nil {
		return 0, err
	}
	h.pos, h.off = pos, int64(pos)
	return uint64(len(buf)), nil
}
