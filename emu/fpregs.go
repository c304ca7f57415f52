package emu

/*
#include <string.h>
#include <unicorn/unicorn.h>

// gouth_fp is the x87 and SSE state in the order of syscalls.FPState.
typedef struct {
    uint16_t fcw, fsw, ftag, fop;  // ftag: the full tag word, 2 bits per register
    uint64_t fip, fdp;
    uint32_t mxcsr;
    uint8_t st[8][10];
    uint8_t xmm[16][16];
} gouth_fp;

static void gouth_fp_read(uc_engine *uc, gouth_fp *f) {
    uc_reg_read(uc, UC_X86_REG_FPCW, &f->fcw);
    uc_reg_read(uc, UC_X86_REG_FPSW, &f->fsw);
    uc_reg_read(uc, UC_X86_REG_FPTAG, &f->ftag);
    uc_reg_read(uc, UC_X86_REG_FOP, &f->fop);
    uc_reg_read(uc, UC_X86_REG_FIP, &f->fip);
    uc_reg_read(uc, UC_X86_REG_FDP, &f->fdp);
    uc_reg_read(uc, UC_X86_REG_MXCSR, &f->mxcsr);
    for (int i = 0; i < 8; i++) {
        uc_reg_read(uc, UC_X86_REG_ST0 + i, f->st[i]);
    }
    for (int i = 0; i < 16; i++) {
        uc_reg_read(uc, UC_X86_REG_XMM0 + i, f->xmm[i]);
    }
}

// gouth_fp_write sets the status word (and with it TOP) before the stack
// registers, which Unicorn addresses relative to TOP.
static void gouth_fp_write(uc_engine *uc, const gouth_fp *f) {
    uc_reg_write(uc, UC_X86_REG_FPSW, &f->fsw);
    uc_reg_write(uc, UC_X86_REG_FPCW, &f->fcw);
    uc_reg_write(uc, UC_X86_REG_FPTAG, &f->ftag);
    uc_reg_write(uc, UC_X86_REG_FOP, &f->fop);
    uc_reg_write(uc, UC_X86_REG_FIP, &f->fip);
    uc_reg_write(uc, UC_X86_REG_FDP, &f->fdp);
    uc_reg_write(uc, UC_X86_REG_MXCSR, &f->mxcsr);
    for (int i = 0; i < 8; i++) {
        uc_reg_write(uc, UC_X86_REG_ST0 + i, f->st[i]);
    }
    for (int i = 0; i < 16; i++) {
        uc_reg_write(uc, UC_X86_REG_XMM0 + i, f->xmm[i]);
    }
}
*/
import "C"

import (
	"unsafe"

	"github.com/gouth-emu/gouth-emu/syscalls"
)

// fpState reads the CPU's x87 and SSE state (for signal frames). The tag
// word is kept abridged, as FXSAVE stores it: bit i is set unless physical
// register i is empty (tag 11).
func (e *engine) fpState() syscalls.FPState {
	var f C.gouth_fp
	C.gouth_fp_read(e.h, &f)
	s := syscalls.FPState{
		FCW: uint16(f.fcw), FSW: uint16(f.fsw), FOP: uint16(f.fop),
		FIP: uint64(f.fip), FDP: uint64(f.fdp), MXCSR: uint32(f.mxcsr),
	}
	for i := 0; i < 8; i++ {
		if (f.ftag>>(2*i))&3 != 3 {
			s.FTW |= 1 << i
		}
	}
	s.ST = *(*[8][10]byte)(unsafe.Pointer(&f.st))
	s.XMM = *(*[16][16]byte)(unsafe.Pointer(&f.xmm))
	return s
}

// setFPState loads s into the CPU, as FXRSTOR would. Unicorn only tells an
// empty register (tag 11) from a valid one, so a valid register's tag is
// written as 00 and the tag word it reports is recomputed from the value.
func (e *engine) setFPState(s syscalls.FPState) {
	f := C.gouth_fp{
		fcw: C.uint16_t(s.FCW), fsw: C.uint16_t(s.FSW), fop: C.uint16_t(s.FOP),
		fip: C.uint64_t(s.FIP), fdp: C.uint64_t(s.FDP), mxcsr: C.uint32_t(s.MXCSR),
	}
	for i := 0; i < 8; i++ {
		if s.FTW&(1<<i) == 0 {
			f.ftag |= 3 << (2 * i)
		}
	}
	*(*[8][10]byte)(unsafe.Pointer(&f.st)) = s.ST
	*(*[16][16]byte)(unsafe.Pointer(&f.xmm)) = s.XMM
	C.gouth_fp_write(e.h, &f)
}
