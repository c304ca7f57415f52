package emu

import "time"

// Startup is the host time New spent before the guest's first instruction
// could run, phase by phase. It is host wall time, for --stats and
// benchmarks only: nothing the guest sees depends on it.
type Startup struct {
	// UnicornOpen is uc_open: the Unicorn instance and its x86-64 CPU.
	UnicornOpen time.Duration
	// Engine is gouth-emu's C side set up on it (engine.c): the virtual
	// TLB and its fill hook, instruction accounting, the syscall and
	// interrupt hooks, the page table, and the physical memory reservation.
	Engine time.Duration
	// Image is the process image: the binary's segments mapped and
	// copied, the stack with argv, envp and auxv, the first thread.
	Image time.Duration
}

// Startup returns how long New took, phase by phase.
func (m *Machine) Startup() Startup { return m.eng.startup }
