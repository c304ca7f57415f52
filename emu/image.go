package emu

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/emu/sched"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// Auxiliary vector keys (linux/auxvec.h).
const (
	atNull     = 0
	atPhdr     = 3
	atPhent    = 4
	atPhnum    = 5
	atPagesz   = 6
	atBase     = 7
	atFlags    = 8
	atEntry    = 9
	atUID      = 11
	atEUID     = 12
	atGID      = 13
	atEGID     = 14
	atPlatform = 15
	atHwcap    = 16
	atClktck   = 17
	atSecure   = 23
	atRandom   = 25
	atHwcap2   = 26
	atExecfn   = 31
)

// hwcap is what Linux reports in AT_HWCAP on x86: CPUID.1:EDX of the
// emulated CPU model (fpu ... sse2, no hypervisor bits).
const hwcap = 0x178bfbff

// load maps the executable's segments and builds the main thread: its stack
// with argv, envp and the auxiliary vector, and its registers.
func (m *Machine) load() error {
	start := time.Now()
	defer func() { m.eng.startup.Image = time.Since(start) }()
	f := m.file
	// The image's writable segments and the stack are committed memory
	// like any later writable mapping.
	m.space.SetCommitLimit(m.cfg.MemLimit)
	for _, s := range f.Segments {
		start := s.Vaddr &^ (mem.PageSize - 1)
		fileEnd := (s.Vaddr + s.Filesz + mem.PageSize - 1) &^ (mem.PageSize - 1)
		end := (s.Vaddr + s.Memsz + mem.PageSize - 1) &^ (mem.PageSize - 1)
		// As Linux does, the pages holding file contents map the binary
		// (named, with their file offset, in /proc/self/maps) and the rest
		// of the bss is anonymous.
		var err error
		if fileEnd > start && s.Filesz > 0 {
			off := s.Offset - min(s.Offset, s.Vaddr-start) // page-aligned, like the mapping
			_, _, err = m.space.MapFile(start, fileEnd-start, s.Prot, mem.Fixed, f.Path, off)
		} else {
			fileEnd = start
		}
		if err == nil && end > fileEnd {
			_, _, err = m.space.Map(fileEnd, end-fileEnd, s.Prot, mem.Fixed, "")
		}
		if err != nil {
			return fmt.Errorf("%s: segment at %#x: %v", f.Path, s.Vaddr, err)
		}
		m.eng.setRange(start, end, toPerms(s.Prot))
	}
	for _, s := range f.Segments {
		if err := m.access(s.Vaddr, s.Data, true, 0); err != nil {
			return fmt.Errorf("%s: loading segment at %#x: %v", f.Path, s.Vaddr, err)
		}
	}
	if _, _, err := m.space.Map(stackTop-stackSize, stackSize, abi.ProtRead|abi.ProtWrite, mem.Fixed, "[stack]"); err != nil {
		return fmt.Errorf("stack: %v", err)
	}
	m.eng.setRange(stackTop-stackSize, stackTop, pteR|pteW)

	sp, err := m.buildStack()
	if err != nil {
		return err
	}
	ctx, err := m.eng.newContext()
	if err != nil {
		return err
	}
	m.eng.setReg(uc.X86_REG_RSP, sp)
	m.eng.setReg(uc.X86_REG_RIP, f.Entry)
	m.eng.setReg(uc.X86_REG_RDX, 0) // no atexit function from a dynamic loader
	// execve leaves the init FPU state: Unicorn's reset state has FCW 0 and
	// every x87 register tagged valid, which a signal frame would show.
	m.eng.setFPState(syscalls.InitFPState)
	m.eng.save(ctx)
	t := &sched.Thread{Tid: m.nextTid, Ctx: &thread{ctx: ctx}}
	m.sched.Add(t)
	m.cur = t
	if m.cfg.Events != nil {
		m.cfg.Events.ThreadStart(t.Tid, 0, 0)
	}
	return nil
}

// buildStack lays out the initial stack as Linux's binfmt_elf does and
// returns the stack pointer (pointing at argc).
func (m *Machine) buildStack() (uint64, error) {
	sp := uint64(stackTop)
	push := func(b []byte) uint64 {
		sp -= uint64(len(b))
		m.access(sp, b, true, 0)
		return sp
	}
	pushStr := func(s string) uint64 { return push(append([]byte(s), 0)) }

	execfn := pushStr(m.file.Path)
	var envp, argv []uint64
	for i := len(m.cfg.Env) - 1; i >= 0; i-- {
		envp = append([]uint64{pushStr(m.cfg.Env[i])}, envp...)
	}
	for i := len(m.cfg.Args) - 1; i >= 0; i-- {
		argv = append([]uint64{pushStr(m.cfg.Args[i])}, argv...)
	}
	platform := pushStr("x86_64")
	var random [16]byte
	m.kernel.Random(random[:])
	rnd := push(random[:])
	sp &^= 15

	auxv := [][2]uint64{
		{atPhdr, m.file.Phdr}, {atPhent, m.file.Phent}, {atPhnum, m.file.Phnum},
		{atPagesz, mem.PageSize}, {atBase, 0}, {atFlags, 0}, {atEntry, m.file.Entry},
		{atUID, uint64(os.Getuid())}, {atEUID, uint64(os.Geteuid())},
		{atGID, uint64(os.Getgid())}, {atEGID, uint64(os.Getegid())},
		{atPlatform, platform}, {atHwcap, hwcap}, {atClktck, 100}, {atSecure, 0},
		{atRandom, rnd}, {atHwcap2, 0}, {atExecfn, execfn}, {atNull, 0},
	}
	words := []uint64{uint64(len(argv))}
	words = append(words, argv...)
	words = append(words, 0)
	words = append(words, envp...)
	words = append(words, 0)
	for _, a := range auxv {
		words = append(words, a[0], a[1])
	}
	if len(words)%2 != 0 {
		sp -= 8 // keep argc 16-byte aligned
	}
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	if uint64(len(b)) > stackSize/2 {
		return 0, fmt.Errorf("arguments and environment too large (%d bytes)", len(b))
	}
	return push(b), nil
}
