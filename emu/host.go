package emu

import (
	"fmt"
	"math/bits"
	"os"
	"runtime"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// guestPage is the guest's page size, engine.c's PAGE.
const guestPage = 4096

// host is what checkHost looks at: the host's word size, page size and
// error numbering.
type host struct {
	arch      string // GOARCH, for messages
	wordBits  int
	pageSize  int
	errnoText func(abi.Errno) string // nil: the host's syscall package
}

// thisHost describes the machine gouth-emu runs on.
func thisHost() host {
	return host{arch: runtime.GOARCH, wordBits: bits.UintSize, pageSize: os.Getpagesize()}
}

// checkHost returns a one-line error naming the first property gouth-emu
// needs and h lacks, or nil:
//   - 64-bit words: engine.c keeps guest physical addresses, page-table
//     entries and the counters the translated code updates in host words
//     and pointers;
//   - a page size that is a power-of-two multiple of the guest's 4 KiB:
//     guest physical pages are 4 KiB pieces of one host mapping (larger
//     host pages, 16 KiB or 64 KiB on some arm64 kernels, are fine: engine.c
//     clears a freed guest page rather than giving it back to the host);
//   - x86-64's error numbers (syscalls.CheckHostErrnos).
//
// Byte order is not among them: guest memory is read and written as bytes
// in little-endian order (encoding/binary), and registers through Unicorn.
func checkHost(h host) error {
	if h.wordBits != 64 {
		return fmt.Errorf("host %s has %d-bit words: gouth-emu needs a 64-bit host (it is tested on amd64 and arm64)", h.arch, h.wordBits)
	}
	if h.pageSize < guestPage || h.pageSize%guestPage != 0 || h.pageSize&(h.pageSize-1) != 0 {
		return fmt.Errorf("host %s has %d-byte pages: gouth-emu needs a page size that is a power-of-two multiple of the guest's 4 KiB pages", h.arch, h.pageSize)
	}
	if err := syscalls.CheckHostErrnos(h.errnoText); err != nil {
		return fmt.Errorf("host %s: %v", h.arch, err)
	}
	return nil
}
