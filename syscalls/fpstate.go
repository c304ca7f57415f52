package syscalls

import "encoding/binary"

// FPState is a thread's x87 and SSE state: what FXSAVE stores in 64-bit
// mode, and what a signal frame's fpstate holds (struct _fpstate_64 in
// arch/x86/include/uapi/asm/sigcontext.h).
type FPState struct {
	FCW, FSW uint16 // x87 control and status words (FSW holds TOP)
	FTW      uint8  // abridged tag word: bit i set when physical register i is valid
	FOP      uint16 // last x87 opcode
	FIP, FDP uint64 // last x87 instruction and data pointers
	MXCSR    uint32
	ST       [8][10]byte  // ST0-ST7 in stack order, 80-bit extended precision
	XMM      [16][16]byte // XMM0-XMM15, little-endian
}

// FXSAVE image offsets (Intel SDM vol. 1, table 10-2, 64-bit format).
const (
	fxFCW       = 0
	fxFSW       = 2
	fxFTW       = 4
	fxFOP       = 6
	fxFIP       = 8
	fxFDP       = 16
	fxMXCSR     = 24
	fxMXCSRMask = 28
	fxST        = 32  // 8 registers, 16 bytes apart
	fxXMM       = 160 // 16 registers, 16 bytes apart
	// Bytes 464-511 are struct _fpx_sw_bytes, which the processor leaves
	// alone; BuildFrame writes them as zeros.
	fxSWReserved = 464
)

// MXCSRMask is the emulated CPU's MXCSR_MASK: the MXCSR bits it
// implements (flags, masks, rounding, flush-to-zero and DAZ), as Unicorn's
// own FXSAVE reports it. Setting any other bit faults.
const MXCSRMask = 0xffff

// InitFPState is the state Linux gives a signal handler
// (fpu__clear_user_states restores init_fpstate): x87 reset control word,
// every x87 register empty, MXCSR with all exceptions masked and round to
// nearest, XMM registers zero.
var InitFPState = FPState{FCW: 0x37f, MXCSR: 0x1f80}

// fxsave encodes s as the 512-byte FXSAVE image of a signal frame.
func (s *FPState) fxsave() []byte {
	b := make([]byte, fpstateSize)
	le := binary.LittleEndian
	le.PutUint16(b[fxFCW:], s.FCW)
	le.PutUint16(b[fxFSW:], s.FSW)
	b[fxFTW] = s.FTW
	le.PutUint16(b[fxFOP:], s.FOP)
	le.PutUint64(b[fxFIP:], s.FIP)
	le.PutUint64(b[fxFDP:], s.FDP)
	le.PutUint32(b[fxMXCSR:], s.MXCSR)
	le.PutUint32(b[fxMXCSRMask:], MXCSRMask)
	for i := range s.ST {
		copy(b[fxST+16*i:], s.ST[i][:])
	}
	for i := range s.XMM {
		copy(b[fxXMM+16*i:], s.XMM[i][:])
	}
	return b
}

// fxrstor decodes an FXSAVE image as the FXRSTOR instruction does,
// ignoring the MXCSR_MASK field and the reserved bytes. Like FXRSTOR it
// refuses an MXCSR with bits outside MXCSRMask (the CPU raises #GP).
func fxrstor(b []byte) (FPState, bool) {
	le := binary.LittleEndian
	s := FPState{
		FCW: le.Uint16(b[fxFCW:]), FSW: le.Uint16(b[fxFSW:]), FTW: b[fxFTW],
		FOP: le.Uint16(b[fxFOP:]),
		FIP: le.Uint64(b[fxFIP:]), FDP: le.Uint64(b[fxFDP:]),
		MXCSR: le.Uint32(b[fxMXCSR:]),
	}
	if s.MXCSR&^MXCSRMask != 0 {
		return s, false
	}
	for i := range s.ST {
		copy(s.ST[i][:], b[fxST+16*i:])
	}
	for i := range s.XMM {
		copy(s.XMM[i][:], b[fxXMM+16*i:])
	}
	return s, true
}
