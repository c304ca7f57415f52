package abi

// Prot is a set of memory protection bits, with the values of mmap's
// PROT_READ, PROT_WRITE and PROT_EXEC (not those of ELF's PF_R, PF_W and
// PF_X, which the loader translates). The loader's segments, the address
// space's mappings, the mmap and mprotect handlers and the debugger's maps
// all use it.
type Prot uint8

const (
	ProtRead  Prot = 0x1
	ProtWrite Prot = 0x2
	ProtExec  Prot = 0x4
	// ProtAll is every bit mmap and mprotect accept; others are EINVAL.
	ProtAll = ProtRead | ProtWrite | ProtExec
)

// ProtBits names each protection bit: its letter in /proc/<pid>/maps and
// its Linux name, in the order both show them.
var ProtBits = [...]struct {
	Bit    Prot
	Letter byte
	Name   string
}{
	{ProtRead, 'r', "PROT_READ"},
	{ProtWrite, 'w', "PROT_WRITE"},
	{ProtExec, 'x', "PROT_EXEC"},
}

// String returns p as /proc/<pid>/maps shows it: "r-x", "rw-", "---".
func (p Prot) String() string {
	var b [len(ProtBits)]byte
	for i, pb := range ProtBits {
		b[i] = '-'
		if p&pb.Bit != 0 {
			b[i] = pb.Letter
		}
	}
	return string(b[:])
}
