package emu

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

func TestCheckHost(t *testing.T) {
	// mipsText is how mips numbers errors: 11 is EAGAIN everywhere, 38 is
	// ENAMETOOLONG... not ENOSYS (89 there).
	mipsText := func(e abi.Errno) string {
		if e == abi.ENOSYS {
			return "file name too long"
		}
		return syscall.Errno(e).Error()
	}
	tests := []struct {
		name string
		h    host
		want string // a part of the error; "" for none
	}{
		{"this host", thisHost(), ""},
		{"arm64 4K", host{arch: "arm64", wordBits: 64, pageSize: 4096}, ""},
		{"arm64 16K", host{arch: "arm64", wordBits: 64, pageSize: 16384}, ""},
		{"arm64 64K", host{arch: "arm64", wordBits: 64, pageSize: 65536}, ""},
		{"32-bit", host{arch: "arm", wordBits: 32, pageSize: 4096}, "host arm has 32-bit words: gouth-emu needs a 64-bit host"},
		{"2K pages", host{arch: "x", wordBits: 64, pageSize: 2048}, "host x has 2048-byte pages"},
		{"12K pages", host{arch: "x", wordBits: 64, pageSize: 12288}, "host x has 12288-byte pages"},
		{"mips errnos", host{arch: "mips64le", wordBits: 64, pageSize: 4096, errnoText: mipsText},
			`host mips64le: host error number 38 is "file name too long", but ENOSYS ("Function not implemented") on x86-64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkHost(tt.h)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("got nil, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("got %q, want it to contain %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("got a multi-line error %q, want one line", err)
			}
		})
	}
}

// TestFreedPageReadsZero writes to an anonymous page, frees its physical
// page (munmap, or madvise MADV_DONTNEED) and reads the page that reuses
// it: a guest must see zeros there, with the host's real page size and
// with the 16 KiB and 64 KiB pages of some arm64 kernels, where one 4 KiB
// guest page cannot be given back to the host alone. The exit status is
// the byte read back.
func TestFreedPageReadsZero(t *testing.T) {
	mmap := syscallCode(9, 0, 4096, 3, 0x22, -1, 0) // mmap(NULL, 4096, RW, PRIVATE|ANONYMOUS, -1, 0)
	dirty := cat(mmap,
		[]byte{0x49, 0x89, 0xc5},                      // mov r13, rax
		[]byte{0x49, 0xc7, 0x45, 0x00, 0x55, 0, 0, 0}, // mov qword [r13], 0x55
		[]byte{0x4c, 0x89, 0xef},                      // mov rdi, r13
		movImm(regRSI, 4096),
	)
	exitWithRDI := []byte{0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05} // mov eax, 231; syscall
	codes := []struct {
		name string
		code []byte
	}{
		{"munmap", cat(dirty, movImm(regRAX, 11), []byte{0x0f, 0x05}, // munmap(r13, 4096)
			mmap, []byte{0x48, 0x8b, 0x38}, exitWithRDI)}, // mov rdi, [rax]
		{"madvise", cat(dirty, movImm(regRDX, 4), movImm(regRAX, 28), []byte{0x0f, 0x05}, // madvise(r13, 4096, MADV_DONTNEED)
			[]byte{0x49, 0x8b, 0x7d, 0x00}, exitWithRDI)}, // mov rdi, [r13]
	}
	for _, page := range []uint64{uint64(os.Getpagesize()), 16384, 65536} {
		for _, c := range codes {
			t.Run(fmt.Sprintf("%s/%dK", c.name, page/1024), func(t *testing.T) {
				var out bytes.Buffer
				m, err := New(rawFile(c.code), Config{Args: []string{"test"}, Stdout: &out, Stderr: &out, Warn: &out, MaxInsns: 1_000_000})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				m.eng.setHostPage(page)
				x, err := m.Run()
				if err != nil {
					t.Fatal(err)
				}
				if x.Status != 0 {
					t.Fatalf("got status %d (%s%s), want 0: the reused page must read as zeros", x.Status, x.Detail, out.String())
				}
			})
		}
	}
}
