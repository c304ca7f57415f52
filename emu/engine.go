package emu

/*
#cgo CFLAGS: -O2 -Wall
// Register reads and writes run once or twice per syscall: their pointer
// argument must not move the Go variable to the heap, and they never call
// back into Go.
#cgo noescape uc_reg_read
#cgo nocallback uc_reg_read
#cgo noescape uc_reg_write
#cgo nocallback uc_reg_write
#include <stdlib.h>
#include "engine.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"
	"golang.org/x/arch/x86/x86asm"
)

// engine is the Go face of engine.c: a Unicorn instance with gouth-emu's
// page table, physical memory, counting and syscall hooks installed.
type engine struct {
	u       uc.Unicorn
	h       *C.uc_engine
	g       *C.gouth_engine
	phys    []byte  // the guest's physical memory, a view of C memory
	startup Startup // how long New took, phase by phase
}

// Stop reasons, mirrored from engine.h.
const (
	stopNone    = C.STOP_NONE
	stopSyscall = C.STOP_SYSCALL
	stopBudget  = C.STOP_BUDGET
	stopRequest = C.STOP_REQUEST
	stopIntr    = C.STOP_INTR
	stopBreak   = C.STOP_BREAK
	stopStep    = C.STOP_STEP
	stopWatch   = C.STOP_WATCH
)

// maxWatches and MaxWatchLen are engine.h's bounds on watchpoints:
// how many, and how many bytes each.
const (
	maxWatches  = C.MAX_WATCHES
	MaxWatchLen = C.WATCH_MAX_LEN
)

const rip = uc.X86_REG_RIP

// reserveError is a host mapping newEngine could not make: the guest's
// physical memory (tcg false) or Unicorn's translation buffer.
type reserveError struct {
	tcg   bool
	size  uint64
	errno syscall.Errno
}

func (e *reserveError) Error() string {
	what := "the guest's memory"
	if e.tcg {
		what = "Unicorn's translation buffer"
	}
	return fmt.Sprintf("cannot reserve %s for %s: %v", sizeText(e.size), what, e.errno)
}

// newEngine opens Unicorn with b's translation buffer and reserves b.Phys
// bytes of physical memory; a host that has no room for either gets a
// *reserveError.
func newEngine(b Budget) (*engine, error) {
	if err := checkHost(thisHost()); err != nil {
		return nil, err
	}
	t0 := time.Now()
	u, err := uc.NewUnicorn(uc.ARCH_X86, uc.MODE_64)
	if err != nil {
		return nil, fmt.Errorf("unicorn: %v", err)
	}
	t1 := time.Now()
	h := (*C.uc_engine)(unsafe.Pointer(u.Handle()))
	var cerr *C.char
	var fail, errno C.int
	g := C.gouth_new(h, C.uint64_t(b.Phys), C.uint64_t(b.TCG), &cerr, &fail, &errno)
	if g == nil {
		u.Close()
		switch fail {
		case C.GOUTH_FAIL_PHYS:
			return nil, &reserveError{size: b.Phys, errno: syscall.Errno(errno)}
		case C.GOUTH_FAIL_TCG:
			return nil, &reserveError{tcg: true, size: b.TCG, errno: syscall.Errno(errno)}
		}
		return nil, errors.New("unicorn: " + C.GoString(cerr))
	}
	e := &engine{u: u, h: h, g: g, startup: Startup{UnicornOpen: t1.Sub(t0), Engine: time.Since(t1)}}
	e.phys = unsafe.Slice((*byte)(unsafe.Pointer(g.phys)), b.Phys)
	return e, nil
}

// tcgSize is the size of Unicorn's translation buffer, as Unicorn reports it.
func (e *engine) tcgSize() uint64 {
	var n C.uint32_t
	C.gouth_tcg_size(e.g, &n)
	return uint64(n)
}

func (e *engine) close() {
	if e.g != nil {
		C.gouth_free(e.g)
		e.g = nil
		e.phys = nil
	}
	e.u.Close()
}

// pte returns the page-table entry for va, or nil if its leaf table does not
// exist. It reads the C table directly: no cgo call.
func (e *engine) pte(va uint64) *uint64 {
	if va>>47 != 0 {
		return nil
	}
	l2 := e.g.l1[va>>30]
	if l2 == nil {
		return nil
	}
	return (*uint64)(unsafe.Add(unsafe.Pointer(l2), ((va>>12)&(1<<C.L2_BITS-1))*8))
}

// back gives the page of pte a physical page if it has none; ok is false
// when guest memory is exhausted.
func (e *engine) back(p *uint64) (uint64, bool) {
	if *p&C.PTE_BACKED != 0 {
		return *p & C.PTE_ADDR_MASK, true
	}
	pa := uint64(C.gouth_back(e.g, (*C.uint64_t)(unsafe.Pointer(p))))
	return pa, pa != 0
}

func (e *engine) setRange(start, end uint64, perms uint64) {
	C.gouth_set_range(e.g, C.uint64_t(start), C.uint64_t(end), C.uint64_t(perms))
}

func (e *engine) clearRange(start, end uint64) {
	C.gouth_clear_range(e.g, C.uint64_t(start), C.uint64_t(end))
}

func (e *engine) discardRange(start, end uint64) {
	C.gouth_discard_range(e.g, C.uint64_t(start), C.uint64_t(end))
}

func (e *engine) flushTLB() { C.gouth_flush_tlb(e.g) }

// setHostPage makes the engine treat the host's pages as n bytes, for
// tests of the large-page path on a 4 KiB host.
func (e *engine) setHostPage(n uint64) { e.g.host_page = C.uint64_t(n) }

// run executes from pc with the given instruction budget; see gouth_run.
func (e *engine) run(pc uint64, budget int64) error {
	if r := C.gouth_run(e.g, C.uint64_t(pc), C.int64_t(budget)); r != C.UC_ERR_OK {
		return uc.UcError(r)
	}
	return nil
}

func (e *engine) stopReason() int   { return int(e.g.stop) }
func (e *engine) insns() uint64     { return uint64(e.g.insns) }
func (e *engine) blocks() uint64    { return uint64(e.g.acct[C.ACCT_BLOCKS]) }
func (e *engine) budget() int64     { return int64(e.g.budget) }
func (e *engine) committed() uint64 { return uint64(e.g.committed) }

func (e *engine) syscall() (uint64, [6]uint64) {
	var a [6]uint64
	for i := range a {
		a[i] = uint64(e.g.sys_args[i])
	}
	return uint64(e.g.sys_nr), a
}

// fault describes the last failed translation.
func (e *engine) fault() (addr uint64, access int, oom bool) {
	return uint64(e.g.fault_addr), int(e.g.fault_type), e.g.fault_oom != 0
}

func (e *engine) intno() uint32 { return uint32(e.g.intno) }

// requestStop asks a running engine to stop; safe from another goroutine.
func (e *engine) requestStop() { C.uc_emu_stop(e.h) }

func (e *engine) reg(r int) uint64 {
	var v C.uint64_t
	C.uc_reg_read(e.h, C.int(r), unsafe.Pointer(&v))
	return uint64(v)
}

func (e *engine) setReg(r int, v uint64) {
	cv := C.uint64_t(v)
	C.uc_reg_write(e.h, C.int(r), unsafe.Pointer(&cv))
}

// context is a saved CPU state (all registers, FS base, SSE state).
type context struct{ c *C.uc_context }

func (e *engine) newContext() (*context, error) {
	var c *C.uc_context
	if r := C.uc_context_alloc(e.h, &c); r != C.UC_ERR_OK {
		return nil, uc.UcError(r)
	}
	return &context{c}, nil
}

func (e *engine) save(c *context) { C.uc_context_save(e.h, c.c) }

func (e *engine) restore(c *context) { C.uc_context_restore(e.h, c.c) }

func (c *context) free() {
	if c.c != nil {
		C.uc_context_free(c.c)
		c.c = nil
	}
}

func (e *engine) addBreakpoint(addr uint64) (uintptr, error) {
	var h C.uc_hook
	if r := C.gouth_add_breakpoint(e.g, C.uint64_t(addr), &h); r != C.UC_ERR_OK {
		return 0, uc.UcError(r)
	}
	return uintptr(h), nil
}

func (e *engine) delBreakpoint(h uintptr, addr uint64) error {
	if r := C.gouth_del_breakpoint(e.g, C.uc_hook(h), C.uint64_t(addr)); r != C.UC_ERR_OK {
		return uc.UcError(r)
	}
	return nil
}

// dropCode drops translated code for guest addresses [start, end).
func (e *engine) dropCode(start, end uint64) {
	C.gouth_drop_code(e.g, C.uint64_t(start), C.uint64_t(end))
}

// stepHook installs or removes the stepping hook (and flushes translated
// code when that changes anything).
func (e *engine) stepHook(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.gouth_step_hook(e.g, v)
}

func (e *engine) setStep(active bool, left int64) {
	e.g.step_active = 0
	if active {
		e.g.step_active = 1
	}
	e.g.step_left = C.int64_t(left)
}

// setWatches replaces the watched ranges and takes their current bytes
// as the reference.
func (e *engine) setWatches(ws []watch) {
	e.g.nwatches = C.int(len(ws))
	for i, w := range ws {
		e.g.watches[i].addr = C.uint64_t(w.addr)
		e.g.watches[i].len = C.uint32_t(w.n)
		C.gouth_watch_accept(e.g, C.int(i))
	}
}

// watchChanged returns the index of a watched range that changed, or -1.
func (e *engine) watchChanged() int { return int(C.gouth_watch_changed(e.g)) }

// watchAccept takes range i's current bytes as its reference.
func (e *engine) watchAccept(i int) { C.gouth_watch_accept(e.g, C.int(i)) }

// watchHit is the range whose change stopped the engine (STOP_WATCH).
func (e *engine) watchHit() int { return int(e.g.watch_hit) }

func (e *engine) stepLeft() int64       { return int64(e.g.step_left) }
func (e *engine) stopPC() uint64        { return uint64(e.g.stop_pc) }
func (e *engine) setBPSkip(addr uint64) { e.g.bp_skip = C.uint64_t(addr) }

// uncountRest corrects the instruction count after a stop inside a block:
// a block is counted whole when it is entered, but only the
// instructions before pc ran.
func (e *engine) uncountRest(pc uint64, peekPrefix func(uint64, []byte) int) {
	start, count := uint64(e.g.blk_addr), uint64(e.g.blk_count)
	if count == 0 || pc < start || pc-start > count*15 {
		return
	}
	code := make([]byte, pc-start+15)
	n := peekPrefix(start, code)
	executed := uint64(0)
	for a := start; a < pc; executed++ {
		if executed >= count {
			return // pc is not in this block: keep its count
		}
		inst, err := x86asm.Decode(code[a-start:n], 64)
		if err != nil {
			return // cannot tell: keep the block's count
		}
		a += uint64(inst.Len)
	}
	if executed < count {
		e.g.insns -= C.uint64_t(count - executed)
		e.g.budget += C.int64_t(count - executed)
	}
	e.g.blk_count = 0
}

// contextReg reads register r from a saved context.
func (e *engine) contextReg(c *context, r int) uint64 {
	var v C.uint64_t
	C.uc_context_reg_read(c.c, C.int(r), unsafe.Pointer(&v))
	return uint64(v)
}
