package syscalls

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/gouth-emu/gouth-emu/abi"
)

// file is an open file description as the guest sees it.
type file interface {
	// read and write return EAGAIN when the call would block; the caller
	// decides between failing (O_NONBLOCK) and sleeping.
	read(p []byte) (int, error)
	write(p []byte) (int, error)
	close()
	stat() statInfo
	// ready reports the EPOLL* readiness bits now, and a counter that grows
	// whenever the file becomes newly ready (for edge-triggered epoll).
	ready() (events uint32, gen uint64)
	// pollable reports whether epoll_ctl may watch the file; regular files
	// are refused with EPERM, as on Linux.
	pollable() bool
	kind() string // for traces and /proc/self/fd
}

// seeker is implemented by files with a position (regular host files).
type seeker interface {
	pread(p []byte, off int64) (int, error)
	seek(off int64, whence int) (int64, error)
}

type fdEntry struct {
	f       file
	cloexec bool
	flags   int // O_NONBLOCK, O_APPEND ...: the status flags of fcntl(F_GETFL)
}

// fdTable maps guest descriptors to open files. Lowest free number first,
// as POSIX requires.
type fdTable struct {
	fds []*fdEntry
	max int // RLIMIT_NOFILE's soft limit: descriptors are below it
}

func newFDTable(cfg Config) *fdTable {
	t := &fdTable{}
	t.fds = []*fdEntry{
		{f: &stdioFile{r: cfg.Stdin, name: "stdin"}, flags: abi.O_RDWR},
		{f: &stdioFile{w: cfg.Stdout, name: "stdout"}, flags: abi.O_RDWR},
		{f: &stdioFile{w: cfg.Stderr, name: "stderr"}, flags: abi.O_RDWR},
	}
	return t
}

// maxFDs bounds RLIMIT_NOFILE, as the kernel's fs.nr_open does: the
// guest's hard limit is the host's, but at most this, so one guest cannot
// take every descriptor of the host (a guest descriptor on a host file is
// a host descriptor).
const maxFDs = 1 << 16

func (t *fdTable) install(f file, flags int) (int, error) {
	e := &fdEntry{f: f, cloexec: flags&abi.O_CLOEXEC != 0, flags: flags &^ abi.O_CLOEXEC}
	for i, x := range t.fds {
		if i >= t.max {
			return 0, abi.EMFILE
		}
		if x == nil {
			t.fds[i] = e
			return i, nil
		}
	}
	if len(t.fds) >= t.max {
		return 0, abi.EMFILE
	}
	t.fds = append(t.fds, e)
	return len(t.fds) - 1, nil
}

func (t *fdTable) entry(fd int) (*fdEntry, error) {
	if fd < 0 || fd >= len(t.fds) || t.fds[fd] == nil {
		return nil, abi.EBADF
	}
	return t.fds[fd], nil
}

func (t *fdTable) get(fd int) (file, error) {
	e, err := t.entry(fd)
	if err != nil {
		return nil, err
	}
	return e.f, nil
}

func (t *fdTable) closeFD(fd int) error {
	e, err := t.entry(fd)
	if err != nil {
		return err
	}
	t.fds[fd] = nil
	// Close the description only when no other descriptor shares it (dup).
	for _, x := range t.fds {
		if x != nil && x.f == e.f {
			return nil
		}
	}
	e.f.close()
	return nil
}

// statInfo is the part of struct stat the emulator fills in.
type statInfo struct {
	dev, ino, nlink, mode, uid, gid, rdev uint64
	size, blksize, blocks                 int64
	atime, mtime, ctime                   int64 // ns since the epoch
}

// stdioFile is one of the host's standard streams.
type stdioFile struct {
	r    io.Reader
	w    io.Writer
	name string
}

func (s *stdioFile) read(p []byte) (int, error) {
	if s.r == nil {
		return 0, abi.EBADF
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && n == 0 {
		return 0, abi.EIO
	}
	return n, nil
}

func (s *stdioFile) write(p []byte) (int, error) {
	if s.w == nil {
		return 0, abi.EBADF
	}
	n, err := s.w.Write(p)
	if err != nil && n == 0 {
		return 0, abi.EPIPE
	}
	return n, nil
}

func (s *stdioFile) close()         {}
func (s *stdioFile) pollable() bool { return false }
func (s *stdioFile) kind() string   { return s.name }
func (s *stdioFile) stat() statInfo {
	return statInfo{dev: 0x16, ino: 3, nlink: 1, mode: abi.S_IFCHR | 0o620, rdev: 0x8800, blksize: 1024}
}
func (s *stdioFile) ready() (uint32, uint64) { return abi.EPOLLIN | abi.EPOLLOUT, 0 }

// hostFile is a host file or directory. With --fs ro it is always opened
// read-only; with --fs rw, as the guest asked.
type hostFile struct {
	f   *os.File
	off int64
	dir bool
	acc int // O_RDONLY, O_WRONLY or O_RDWR

	// A directory's entries, read on the first getdents64 and handed out
	// from pos on, so a listing resumes where the last call stopped.
	ents []dirent
	pos  int

	// fifo marks a named pipe, opened non-blocking on the host so that
	// no open, read or write of the guest's blocks the emulator; a guest
	// that reads without O_NONBLOCK sleeps until the host says it is
	// readable (ready).
	fifo bool
	// ends counts the guest's opens of this FIFO, for Linux's rule that
	// an open waits for the other end; it is nil for other files.
	ends *fifoEnds
}

// fifoEnds counts the open descriptions of one FIFO that the guest holds
// for reading and for writing.
type fifoEnds struct{ readers, writers int }

// fifoID names a FIFO on the host.
type fifoID struct{ dev, ino uint64 }

// fifoEnds returns the counts of the FIFO fi, made on first use.
func (k *Kernel) fifoEnds(fi os.FileInfo) *fifoEnds {
	st := infoStat(fi)
	id := fifoID{st.dev, st.ino}
	if k.fifos == nil {
		k.fifos = map[fifoID]*fifoEnds{}
	}
	e := k.fifos[id]
	if e == nil {
		e = &fifoEnds{}
		k.fifos[id] = e
	}
	return e
}

// count adds d to the ends that access mode acc opens.
func (e *fifoEnds) count(acc, d int) {
	if acc != abi.O_WRONLY {
		e.readers += d
	}
	if acc != abi.O_RDONLY {
		e.writers += d
	}
}

func (h *hostFile) read(p []byte) (int, error) {
	if h.fifo {
		return h.fifoIO(p, syscall.Read)
	}
	n, err := h.pread(p, h.off)
	h.off += int64(n)
	return n, err
}

func (h *hostFile) pread(p []byte, off int64) (int, error) {
	switch {
	case h.fifo:
		return 0, abi.ESPIPE
	case h.dir:
		return 0, abi.EISDIR
	case h.acc == abi.O_WRONLY:
		return 0, abi.EBADF
	}
	n, err := h.f.ReadAt(p, off)
	if err != nil && err != io.EOF && n == 0 {
		return 0, hostErrno(err)
	}
	return n, nil
}

func (h *hostFile) seek(off int64, whence int) (int64, error) {
	if h.fifo {
		return 0, abi.ESPIPE
	}
	var base int64
	switch whence {
	case 0:
	case 1:
		base = h.off
	case 2:
		base = h.stat().size
	default:
		return 0, abi.EINVAL
	}
	if base+off < 0 {
		return 0, abi.EINVAL
	}
	h.off = base + off
	if h.dir {
		// Seeking a directory moves the listing; back to 0 reads it anew.
		h.pos = int(h.off)
		if h.off == 0 {
			h.ents = nil
		}
	}
	return h.off, nil
}

func (h *hostFile) write(p []byte) (int, error) {
	if h.fifo {
		if h.acc == abi.O_RDONLY {
			return 0, abi.EBADF
		}
		return h.fifoIO(p, syscall.Write)
	}
	n, err := h.pwrite(p, h.off)
	h.off += int64(n)
	return n, err
}

func (h *hostFile) pwrite(p []byte, off int64) (int, error) {
	if h.acc == abi.O_RDONLY {
		return 0, abi.EBADF
	}
	if h.fifo {
		return 0, abi.ESPIPE
	}
	n, err := h.f.WriteAt(p, off)
	if err != nil && n == 0 {
		return 0, hostErrno(err)
	}
	return n, nil
}

// dirState says how a directory's host path may be used.
type dirState int

const (
	dirHere    dirState = iota // the path names the directory
	dirGone                    // the directory was removed
	dirTooLong                 // its path is PATH_MAX or longer
)

// path is where the directory is on the host now, for resolving names
// relative to it: the host's /proc/self/fd says where the descriptor's
// directory is even after a rename, as Linux's lookups from a directory
// descriptor follow it. When the directory was removed, or its path is
// too long to name, callers go through fdPath instead.
func (h *hostFile) path() (string, dirState) {
	p, err := os.Readlink(h.fdPath())
	switch {
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "", dirTooLong
	case err != nil || !filepath.IsAbs(p):
		return h.f.Name(), dirHere // no host /proc: the name it was opened by
	case strings.HasSuffix(p, " (deleted)"):
		if _, err := os.Stat(p); err != nil {
			return "", dirGone
		}
	}
	return p, dirHere
}

// fdPath names the directory through the host's /proc/self/fd, which
// reaches it however deep it is and after it was removed ("." still
// resolves, new names are ENOENT, as on Linux).
func (h *hostFile) fdPath() string { return "/proc/self/fd/" + strconv.Itoa(int(h.f.Fd())) }

// openDirPath opens a host directory only to name it (O_PATH), for the
// working directory: it needs no read permission, as Linux's chdir does
// not.
func openDirPath(p string) (*hostFile, error) {
	fd, err := syscall.Open(p, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, hostErrno(err)
	}
	return &hostFile{f: os.NewFile(uintptr(fd), p), dir: true}, nil
}

func (h *hostFile) close() {
	if h.ends != nil {
		h.ends.count(h.acc, -1)
	}
	h.f.Close()
}
func (h *hostFile) pollable() bool { return false }
func (h *hostFile) kind() string   { return h.f.Name() }
func (h *hostFile) ready() (uint32, uint64) {
	if !h.fifo {
		return abi.EPOLLIN | abi.EPOLLOUT, 0
	}
	// poll(2) with no timeout on the host's descriptor; POLLIN, POLLOUT,
	// POLLERR and POLLHUP have the EPOLL* values.
	var ev uint32
	rc, err := h.f.SyscallConn()
	if err != nil {
		return abi.EPOLLERR, 0
	}
	rc.Control(func(fd uintptr) {
		pfd := struct {
			fd             int32
			events, revent int16
		}{int32(fd), int16(abi.EPOLLIN | abi.EPOLLOUT), 0}
		var zero syscall.Timespec
		if _, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0); e == 0 {
			ev = uint32(uint16(pfd.revent))
		}
	})
	return ev, 0
}

// fifoIO reads or writes a host FIFO once, without waiting: EAGAIN when it
// would block.
func (h *hostFile) fifoIO(p []byte, io func(int, []byte) (int, error)) (int, error) {
	rc, err := h.f.SyscallConn()
	if err != nil {
		return 0, abi.EBADF
	}
	var n int
	var ioErr error
	rc.Control(func(fd uintptr) { n, ioErr = io(int(fd), p) })
	if ioErr != nil {
		return 0, hostErrno(ioErr)
	}
	return n, nil
}
func (h *hostFile) stat() statInfo { return hostStat(h.f) }

// memFile is a read-only file whose contents the emulator synthesizes
// (/sys and /proc answers), so the guest sees the same bytes on every host.
type memFile struct {
	name string
	data []byte
	off  int64
}

func (m *memFile) read(p []byte) (int, error) {
	n, _ := m.pread(p, m.off)
	m.off += int64(n)
	return n, nil
}

func (m *memFile) pread(p []byte, off int64) (int, error) {
	if off >= int64(len(m.data)) {
		return 0, nil
	}
	return copy(p, m.data[off:]), nil
}

func (m *memFile) seek(off int64, whence int) (int64, error) {
	switch whence {
	case 1:
		off += m.off
	case 2:
		off += int64(len(m.data))
	}
	if off < 0 {
		return 0, abi.EINVAL
	}
	m.off = off
	return off, nil
}

func (m *memFile) write(p []byte) (int, error) { return 0, abi.EBADF }
func (m *memFile) close()                      {}
func (m *memFile) pollable() bool              { return false }
func (m *memFile) kind() string                { return m.name }
func (m *memFile) ready() (uint32, uint64)     { return abi.EPOLLIN, 0 }
func (m *memFile) stat() statInfo {
	return statInfo{dev: 0x14, ino: 1, nlink: 1, mode: abi.S_IFREG | 0o444, size: 0, blksize: 4096}
}

// hostFIFOReadable reports whether a FIFO opened for reading has data or
// a writer that came and went: the only signs, on the host, that another
// process opened it for writing.
func hostFIFOReadable(f *os.File) bool {
	ev, _ := (&hostFile{f: f, fifo: true}).ready()
	return ev&(abi.EPOLLIN|abi.EPOLLHUP) != 0
}
