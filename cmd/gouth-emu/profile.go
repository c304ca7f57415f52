package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profileFlags are --cpuprofile and --memprofile: pprof profiles of
// gouth-emu itself (the host process), not of the guest.
type profileFlags struct {
	cpu, mem string
}

// memProfileRate is the sampling interval of --memprofile, in bytes: finer
// than the runtime's default (512 KiB) so that the emulator's few small
// allocations show up.
const memProfileRate = 4096

func (p *profileFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&p.cpu, "cpuprofile", "", "write a pprof CPU profile of gouth-emu itself to FILE")
	f.StringVar(&p.mem, "memprofile", "", "write a pprof allocation profile of gouth-emu itself to FILE at exit")
}

// start creates the profile files, so that a path that cannot be written
// fails (status 2) before the guest runs, and starts CPU profiling. The
// returned stop function ends CPU profiling and writes the allocation
// profile; it must be called once, when the command is done.
func (p *profileFlags) start() (stop func() error, err error) {
	var cpuF, memF *os.File
	closeAll := func() {
		for _, f := range []*os.File{cpuF, memF} {
			if f != nil {
				f.Close()
			}
		}
	}
	if p.mem != "" {
		if memF, err = os.Create(p.mem); err != nil {
			return nil, usageError{fmt.Errorf("--memprofile %s: %v", p.mem, errors.Unwrap(err))}
		}
		runtime.MemProfileRate = memProfileRate
	}
	if p.cpu != "" {
		if cpuF, err = os.Create(p.cpu); err != nil {
			closeAll()
			return nil, usageError{fmt.Errorf("--cpuprofile %s: %v", p.cpu, errors.Unwrap(err))}
		}
		if err := pprof.StartCPUProfile(cpuF); err != nil {
			closeAll()
			return nil, usageError{fmt.Errorf("--cpuprofile %s: %v", p.cpu, err)}
		}
	}
	return func() error {
		var errs []error
		if cpuF != nil {
			pprof.StopCPUProfile()
			if err := cpuF.Close(); err != nil {
				errs = append(errs, fmt.Errorf("--cpuprofile %s: %v", p.cpu, err))
			}
		}
		if memF != nil {
			runtime.GC() // so the profile counts every allocation made so far
			err := pprof.Lookup("allocs").WriteTo(memF, 0)
			if cerr := memF.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("--memprofile %s: %v", p.mem, err))
			}
		}
		return errors.Join(errs...)
	}, nil
}

// withProfiles runs fn between p.start and its stop. A failure to write a
// profile is reported on stderr and, if fn succeeded, makes the command
// fail; the guest's own exit status is kept otherwise.
func withProfiles(p *profileFlags, fn func() error) error {
	stop, err := p.start()
	if err != nil {
		return err
	}
	err = fn()
	if perr := stop(); perr != nil {
		if err == nil {
			return perr
		}
		fmt.Fprintf(os.Stderr, "gouth-emu: %s\n", firstLine(perr.Error()))
	}
	return err
}
