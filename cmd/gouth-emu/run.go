package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/syscalls"
	"github.com/gouth-emu/gouth-emu/target"
)

// guestFlags are the flags shared by the commands that start a guest.
type guestFlags struct {
	strace   bool
	cpus     int
	env      []string
	cleanEnv bool
	maxInsns uint64
	timeout  time.Duration
	stats    bool
	fs       string
	memLimit sizeFlag
	stages   bool   // run and timeline
	traceOut string // run and timeline: Chrome trace-event JSON (--trace-out)
	picture  string // timeline only: the SVG or HTML picture (-o)
}

func (g *guestFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.BoolVar(&g.strace, "strace", false, "print one line per system call on stderr")
	f.IntVar(&g.cpus, "cpus", 2, "number of CPUs the guest sees (sched_getaffinity)")
	f.StringArrayVar(&g.env, "env", nil, "set KEY=VALUE in the guest environment (repeatable)")
	f.BoolVar(&g.cleanEnv, "clean-env", false, "start the guest with an empty environment instead of the host's")
	f.Uint64Var(&g.maxInsns, "max-insns", 0, "stop the guest after N instructions (exit status 124)")
	f.DurationVar(&g.timeout, "timeout", 0, "stop the guest after this much host time, e.g. 10s (exit status 124)")
	f.BoolVar(&g.stats, "stats", false, "print instruction, syscall and time counters on stderr at exit")
	f.StringVar(&g.fs, "fs", "ro", "what the guest may do to the host filesystem: ro (read only), rw, or none (hidden)")
	f.Var(&g.memLimit, "mem-limit", "most guest memory that may be committed, e.g. 512M, 2G (default: a quarter of the host's or container's memory, at most 16G, less if ulimit -v is tight)")
}

// guest is the guest's configuration from the flags, and its binary,
// opened and checked.
func (g *guestFlags) guest(args []string) (emu.Config, *loader.File, error) {
	cfg, err := g.config(args)
	if err != nil {
		return emu.Config{}, nil, err
	}
	f, err := openGuest(args[0])
	return cfg, f, err
}

func (g *guestFlags) config(args []string) (emu.Config, error) {
	if g.cpus < 1 || g.cpus > 64 {
		return emu.Config{}, usageError{fmt.Errorf("--cpus %d: want 1 to 64", g.cpus)}
	}
	var env []string
	if !g.cleanEnv {
		env = os.Environ()
	}
	for _, kv := range g.env {
		if !strings.Contains(kv, "=") || strings.HasPrefix(kv, "=") {
			return emu.Config{}, usageError{fmt.Errorf("--env %q: want KEY=VALUE", kv)}
		}
		env = setEnv(env, kv)
	}
	mode, err := syscalls.ParseFSMode(g.fs)
	if err != nil {
		return emu.Config{}, usageError{fmt.Errorf("--fs %v", err)}
	}
	var limit uint64 // 0: emu.New fits it to the host
	if g.memLimit.set {
		if limit, err = parseSize(g.memLimit.s); err != nil {
			return emu.Config{}, usageError{fmt.Errorf("--mem-limit %q: %v", g.memLimit.s, err)}
		}
	}
	cfg := emu.Config{
		Args: args, Env: env, Cpus: g.cpus,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Warn: os.Stderr,
		MaxInsns: g.maxInsns, Timeout: g.timeout, MemLimit: limit, FS: mode,
	}
	if g.strace {
		cfg.Trace = os.Stderr
	}
	return cfg, nil
}

// sizeFlag is --mem-limit's text, parsed by config so that its error
// names the flag as the others do; set tells an empty value from none.
type sizeFlag struct {
	s   string
	set bool
}

func (f *sizeFlag) String() string     { return f.s }
func (f *sizeFlag) Set(s string) error { f.s, f.set = s, true; return nil }
func (f *sizeFlag) Type() string       { return "size" }

// parseSize reads a byte count: plain bytes, or with a K, M or G suffix
// (powers of 1024), as in 512M or 2G.
func parseSize(s string) (uint64, error) {
	const want = "want a size such as 268435456, 512M or 2G"
	shift := 0
	if n := len(s); n > 0 {
		if i := strings.IndexByte("KMG", s[n-1]&^0x20); i >= 0 && s[n-1] >= 'A' {
			shift, s = 10*(i+1), s[:n-1]
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 || v > (1<<62)>>shift {
		return 0, errors.New(want)
	}
	return v << shift, nil
}

// setEnv replaces or appends KEY=VALUE.
func setEnv(env []string, kv string) []string {
	key := kv[:strings.IndexByte(kv, '=')+1]
	for i, e := range env {
		if strings.HasPrefix(e, key) {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

func newRunCmd() *cobra.Command {
	var g guestFlags
	var p profileFlags
	c := &cobra.Command{
		Use:   "run [flags] BINARY [ARGS...]",
		Short: "Run a Go binary under emulation; the exit status is the guest's",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withProfiles(&p, func() error { return runGuest(&g, args) })
		},
	}
	c.Flags().SetInterspersed(false) // flags after BINARY belong to the guest
	g.register(c)
	p.register(c)
	c.Flags().BoolVar(&g.stages, "stages", false, "print one line on stderr for each boot stage reached, with its chapter of Go: Under the Hood")
	c.Flags().StringVar(&g.traceOut, "trace-out", "", "write threads, boot stages and syscalls as Chrome trace-event JSON (Perfetto, chrome://tracing) to FILE")
	return c
}

// openGuest validates the binary; errors are the user's (status 2).
func openGuest(path string) (*loader.File, error) {
	f, err := loader.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	if abs, err := filepath.Abs(f.Path); err == nil {
		f.Path = abs
	}
	return f, nil
}

func runGuest(g *guestFlags, args []string) error {
	st := startup{begin: time.Now()}
	cfg, err := g.config(args)
	if err != nil {
		return err
	}
	elfStart := time.Now()
	f, err := openGuest(args[0])
	if err != nil {
		return err
	}
	st.elf = time.Since(elfStart)
	rc, err := startRecording(g, &cfg) // --trace-out, timeline -o
	if g.stages || rc != nil {
		f.Prefetch() // resolve the stages while the machine is built
	}
	if err != nil {
		return err
	}
	defer rc.close()
	m, err := emu.New(f, cfg)
	var re *emu.ResourceError
	if errors.As(err, &re) {
		return err // the host's doing, not the binary's
	}
	if err != nil {
		return fmt.Errorf("%s: %v", args[0], err)
	}
	defer m.Close()
	st.machine = m.Startup()

	defer interruptOnCtrlC(m)()

	var x *emu.Exit
	if g.stages || rc != nil {
		watchStart := time.Now()
		t := target.Over(m, f)
		tr, err := stages.Watch(t, f)
		if err != nil {
			return err
		}
		st.stages = time.Since(watchStart)
		st.end()
		x = runStages(t, tr, g.stages, rc)
	} else {
		st.end()
		if x, err = m.Run(); err != nil {
			return err
		}
	}
	st.symbols, st.symbolsLoaded = f.SymbolsLoaded()
	if err := rc.finish(m, f); err != nil {
		return err
	}
	if g.stats {
		printStats(os.Stderr, m.Stats())
		printStartup(os.Stderr, st)
	}
	if x.Detail != "" {
		fmt.Fprintf(os.Stderr, "gouth-emu: %s\n", x.Detail)
	}
	if x.Status != 0 {
		return exitError{x.Status}
	}
	return nil
}

// interruptOnCtrlC passes Ctrl-C to the guest through m.Interrupt until
// the returned function is called.
func interruptOnCtrlC(m *emu.Machine) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	go func() {
		if _, ok := <-sigs; ok {
			m.Interrupt()
		}
	}()
	return func() {
		signal.Stop(sigs) // no more sends after this returns
		close(sigs)
	}
}

// runStages runs t, whose boot stages tr watches (stages.Watch, the
// watcher step uses too), to the guest's end, printing one line on stderr
// for each stage reached if show is set, and recording them in rc if it
// is not nil.
func runStages(t *target.Target, tr *stages.Tracker, show bool, rc *recording) *emu.Exit {
	return stages.Run(t, tr, func(r *stages.Resolved) {
		if show {
			fmt.Fprintln(os.Stderr, r.Line())
		}
		rc.stage(tr, r)
	})
}

func printStats(w io.Writer, s emu.Stats) {
	mips := 0.0
	if s.Wall > 0 {
		mips = float64(s.Insns) / s.Wall.Seconds() / 1e6
	}
	fmt.Fprintf(w, "gouth-emu: stats: %d instructions, %d blocks, %d syscalls, %d threads created\n",
		s.Insns, s.Blocks, s.Syscalls, s.Threads)
	fmt.Fprintf(w, "gouth-emu: stats: virtual time %v, wall time %v, %.1f MIPS, peak guest memory %d KiB\n",
		s.Virtual, s.Wall.Round(time.Microsecond), mips, s.PeakCommitted>>10)
	names := make([]string, 0, len(s.SyscallsByName))
	for n := range s.SyscallsByName {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := s.SyscallsByName[names[i]], s.SyscallsByName[names[j]]
		return a > b || a == b && names[i] < names[j]
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, s.SyscallsByName[n]))
	}
	fmt.Fprintf(w, "gouth-emu: stats: syscalls by name: %s\n", strings.Join(parts, ", "))
}
