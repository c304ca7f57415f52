package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gouth-emu/gouth-emu/emu"
)

// processStart is when gouth-emu's package variables were initialised: as
// close to the start of the process as Go code can see (the runtime's own
// start-up, before it, is not counted).
var processStart = time.Now()

// startup is the host time a run spent before the guest's first
// instruction, by phase. It is printed by --stats and never affects the
// guest.
type startup struct {
	begin   time.Time     // runGuest was called: the command line is parsed
	elf     time.Duration // loader.Open: read the file, validate it, read its ELF symbols
	machine emu.Startup   // emu.New: uc_open, engine set-up, process image
	stages  time.Duration // --stages, --trace-out: resolve the stages (symbols, inline sites), set their breakpoints
	total   time.Duration // processStart to the first instruction
	// symbols is how long the symbol table (ELF + pclntab) took to load,
	// if anything loaded it during the run.
	symbols       time.Duration
	symbolsLoaded bool
}

// end marks the first instruction: the guest starts running now.
func (s *startup) end() { s.total = time.Since(processStart) }

// printStartup writes the --stats start-up line. It holds host
// measurements, so it says "wall time", as the line that tests compare
// between runs leave out.
func printStartup(w io.Writer, s startup) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	phases := []struct {
		name string
		d    time.Duration
	}{
		{"go runtime and flags", s.begin.Sub(processStart)},
		{"elf load", s.elf},
		{"uc_open", s.machine.UnicornOpen},
		{"engine set-up", s.machine.Engine},
		{"process image", s.machine.Image},
		{"boot stages", s.stages},
	}
	var parts []string
	rest := s.total
	for _, p := range phases {
		parts = append(parts, p.name+" "+ms(p.d))
		rest -= p.d
	}
	parts = append(parts, "other "+ms(max(rest, 0)))
	syms := "not loaded"
	if s.symbolsLoaded {
		syms = "loaded in " + ms(s.symbols)
	}
	fmt.Fprintf(w, "gouth-emu: stats: startup wall time %s to the first instruction: %s; symbol table %s\n",
		ms(s.total), strings.Join(parts, ", "), syms)
}
