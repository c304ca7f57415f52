package syscalls

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
)

// CheckHostErrnos reports the first errno of the guest's table whose number
// means something else on the host, or nil. hostErrno hands a host call's
// errno to the guest unchanged, which is right where Linux numbers its
// errors as on x86-64: the asm-generic numbering of arm64, riscv64 and most
// others, but not that of mips, sparc, alpha or parisc. hostText is the
// host's text for an error number; nil means the host's syscall package.
func CheckHostErrnos(hostText func(abi.Errno) string) error {
	if hostText == nil {
		hostText = func(e abi.Errno) string { return syscall.Errno(e).Error() }
	}
	for _, e := range abi.Errnos() {
		// The texts are glibc's; Go's syscall package has them in lower case.
		if h := hostText(e); !strings.EqualFold(h, e.Error()) {
			return fmt.Errorf("host error number %d is %q, but %s (%q) on x86-64: gouth-emu passes host errors to the guest unchanged and needs a host that numbers them as x86-64 Linux does (amd64, arm64)",
				uint64(e), h, e.Name(), e.Error())
		}
	}
	return nil
}
