package syscalls

import (
	"encoding/binary"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Guest memory helpers for handlers. Every guest pointer goes through
// Machine.ReadMem/WriteMem, which check it; a bad one is EFAULT.

func (c *Call) read(addr uint64, n int) ([]byte, error) {
	if n < 0 || n > 1<<30 {
		return nil, abi.EINVAL
	}
	b := make([]byte, n)
	if err := c.M.ReadMem(addr, b); err != nil {
		return nil, abi.EFAULT
	}
	return b, nil
}

// userTop is the end of user space (TASK_SIZE_MAX on x86-64).
const userTop = 0x7ffffffff000

// userRange is Linux's access_ok: the range must lie in user space. The
// pages themselves are checked when they are copied.
func (c *Call) userRange(addr, n uint64) error {
	if addr+n < addr || addr+n > userTop {
		return abi.EFAULT
	}
	return nil
}

func (c *Call) write(addr uint64, b []byte) error {
	if err := c.M.WriteMem(addr, b); err != nil {
		return abi.EFAULT
	}
	return nil
}

// The fixed-size helpers below copy through c.scratch: a local array
// handed to the Machine interface would escape, one heap allocation per
// call.

func (c *Call) readU64(addr uint64) (uint64, error) {
	b := c.scratch[:8]
	if err := c.M.ReadMem(addr, b); err != nil {
		return 0, abi.EFAULT
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (c *Call) readU32(addr uint64) (uint32, error) {
	b := c.scratch[:4]
	if err := c.M.ReadMem(addr, b); err != nil {
		return 0, abi.EFAULT
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *Call) writeU64(addr, v uint64) error {
	b := c.scratch[:8]
	binary.LittleEndian.PutUint64(b, v)
	return c.write(addr, b)
}

func (c *Call) writeU32(addr uint64, v uint32) error {
	b := c.scratch[:4]
	binary.LittleEndian.PutUint32(b, v)
	return c.write(addr, b)
}

// writeTimespec writes ns as a struct timespec.
func (c *Call) writeTimespec(addr uint64, ns int64) error {
	b := c.scratch[:16]
	binary.LittleEndian.PutUint64(b[0:], uint64(ns/1e9))
	binary.LittleEndian.PutUint64(b[8:], uint64(ns%1e9))
	return c.write(addr, b)
}

// readGuest copies n bytes of guest memory at addr into a buffer of the
// kernel's that the next readGuest reuses, so the caller must be done with
// it before the call returns or sleeps. Large copies get a buffer of their
// own, which is not kept.
func (c *Call) readGuest(addr uint64, n int) ([]byte, error) {
	if n < 0 || n > 1<<30 {
		return nil, abi.EINVAL
	}
	if n > maxKeptIOBuf {
		return c.read(addr, n)
	}
	k := c.K
	if cap(k.ioBuf) < n {
		k.ioBuf = make([]byte, max(n, 512))
	}
	b := k.ioBuf[:n]
	if err := c.M.ReadMem(addr, b); err != nil {
		return nil, abi.EFAULT
	}
	return b, nil
}

// maxKeptIOBuf is the largest buffer readGuest keeps for reuse.
const maxKeptIOBuf = 64 << 10

// readString reads a NUL-terminated guest string of at most max bytes.
func (c *Call) readString(addr uint64, max int) (string, error) {
	return readCString(c.M, addr, max)
}

func readCString(m Machine, addr uint64, max int) (string, error) {
	var out []byte
	var chunk [64]byte
	for len(out) < max {
		// Read byte-wise near page ends so a string that ends just before an
		// unmapped page is still readable.
		n := len(chunk)
		if rem := int(4096 - (addr+uint64(len(out)))%4096); rem < n {
			n = rem
		}
		if err := m.ReadMem(addr+uint64(len(out)), chunk[:n]); err != nil {
			return "", abi.EFAULT
		}
		for i := 0; i < n; i++ {
			if chunk[i] == 0 {
				return string(append(out, chunk[:i]...)), nil
			}
		}
		out = append(out, chunk[:n]...)
	}
	return "", abi.ERANGE
}

func sysMmap(c *Call) (uint64, error) {
	addr, length, prot, flags, fd := c.uint(0), c.uint(1), int(c.int32(2)), int(c.int32(3)), c.fd(4)
	if flags&abi.MAP_ANONYMOUS == 0 {
		// File mappings are not needed by the Go runtime; say so plainly.
		if _, err := c.K.fds.get(fd); err != nil {
			return 0, err
		}
		return 0, abi.ENODEV
	}
	return c.M.Mmap(addr, length, prot, flags)
}

func sysMunmap(c *Call) (uint64, error) {
	return 0, c.M.Munmap(c.uint(0), c.uint(1))
}

func sysMprotect(c *Call) (uint64, error) {
	return 0, c.M.Mprotect(c.uint(0), c.uint(1), int(c.int32(2)))
}

// sysMadvise honours MADV_DONTNEED, whose zero-fill the Go runtime relies
// on (go1.26's collector reuses scavenged memory as zeroed), and accepts
// the other advice as the hints they are.
func sysMadvise(c *Call) (uint64, error) {
	if c.uint(0)%4096 != 0 {
		return 0, abi.EINVAL
	}
	if c.int32(2) == abi.MADV_DONTNEED {
		return 0, c.M.Discard(c.uint(0), c.uint(1))
	}
	return 0, nil
}

// sysBrk reports a zero-size heap: Go never uses brk, and a failing brk makes
// other allocators fall back to mmap.
func sysBrk(c *Call) (uint64, error) { return 0, nil }

// sysMincore reports every page of a mapped range as resident: the
// emulator keeps all guest memory in host memory. The errors are Linux's,
// negative errnos as ever: EINVAL for an unaligned address, ENOMEM for a
// range that is not (wholly) mapped, EFAULT for a bad vector. Pages
// mapped PROT_NONE count as unmapped, a limit of the Machine interface.
func sysMincore(c *Call) (uint64, error) {
	addr, n, vec := c.uint(0), c.uint(1), c.ptr(2)
	if addr%4096 != 0 {
		return 0, abi.EINVAL
	}
	if addr+n < addr || addr+n > userTop {
		return 0, abi.ENOMEM
	}
	pages := (n + 4095) / 4096
	if pages == 0 {
		return 0, nil
	}
	if err := c.userRange(vec, pages); err != nil {
		return 0, err // access_ok; the mapping is looked at before the copy
	}
	if err := c.M.Access(addr, n, false); err != nil {
		return 0, abi.ENOMEM
	}
	b := make([]byte, min(pages, maxIO))
	for i := range b {
		b[i] = 1
	}
	for done := uint64(0); done < pages; done += uint64(len(b)) {
		if err := c.write(vec+done, b[:min(uint64(len(b)), pages-done)]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}
