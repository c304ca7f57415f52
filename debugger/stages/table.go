// Package stages knows the stages of the Go runtime's boot and where the
// book Go: Under the Hood explains each one. The table is data: adding a
// stage, a version fallback or an explanation for other Go versions is an
// edit here, not new code paths.
package stages

import "github.com/gouth-emu/gouth-emu/loader"

// Chapter is a chapter of Go: Under the Hood, by number, title and path in
// the book's repository.
type Chapter struct {
	N     int
	Title string
	Path  string // in the book's repository; "" for chapters not written yet
}

// Chapters are the book's chapters, by number.
var Chapters = map[int]Chapter{
	1:  {1, "引导 (boot)", "content/1-boot.md"},
	2:  {2, "初始化概览 (initialisation overview)", "content/2-init.md"},
	3:  {3, "主 goroutine 生命周期 (main goroutine lifecycle)", "content/3-main.md"},
	4:  {4, "内存管理 (memory management)", "content/4-mem.md"},
	5:  {5, "Goroutine scheduler", ""},
	6:  {6, "Garbage collection", ""},
	7:  {7, "chan", ""},
	8:  {8, "defer", ""},
	9:  {9, "Cgo", ""},
	10: {10, "Finalizer", ""},
	11: {11, "标准库 (standard library): sync.Pool", "content/11-pkg/pool.md"},
}

// Stage is one step of the boot, or the first occurrence of a runtime
// mechanism.
type Stage struct {
	ID      string
	Symbols []string // the functions that mark it, first found wins: newest names first
	Parent  string   // the stage it nests in, "" at the top level
	Title   string
	Chapter int
	// Variants explain the stage, each for the Go versions it is true for:
	// together they cover every version exactly once (tested).
	Variants []Variant
	// Later marks stages that are not part of the boot proper: the first
	// occurrence of a mechanism, reached only if the program uses it.
	Later bool
	// FuncArg says where, at the function's entry, the *funcval whose code
	// the banner names is (newproc's new goroutine), by version; nil for
	// stages without one. Like Variants, its ranges cover every version once.
	FuncArg []ArgSlot
	// NewThread: the stage is reached only by a thread other than the
	// first (a new M doing what m0 did at boot).
	NewThread bool
}

// Variant is what a stage's banner says for the Go versions In: the
// explanation and the DWARF expressions to show, in the book's names
// (the debugger maps them to the version's names, debugger/renames.go).
// Absent, when set, says why the stage does not exist in those versions;
// Text and Watch are then empty.
type Variant struct {
	In     loader.Range
	Text   string
	Watch  []string
	Absent string
}

// ArgSlot is where a function argument is at the function's entry in the
// versions In: in register Reg ("rax", "rbx"), or, with the stack ABI, at
// SP+SP (above the return address).
type ArgSlot struct {
	In  loader.Range
	Reg string
	SP  int
}

// Variant returns the variant for version v (the newest for an unknown
// version), or nil if the table has none for v.
func (st *Stage) Variant(v loader.Version) *Variant {
	for i := range st.Variants {
		if st.Variants[i].In.Contains(v) {
			return &st.Variants[i]
		}
	}
	return nil
}

// FuncArgAt returns where the stage's *funcval argument is in version v.
func (st *Stage) FuncArgAt(v loader.Version) (ArgSlot, bool) {
	for _, a := range st.FuncArg {
		if a.In.Contains(v) {
			return a, true
		}
	}
	return ArgSlot{}, false
}

// Version ranges for the table, by the release a change arrived in.
func from(v string) loader.Range   { return loader.Range{From: loader.MustVersion(v)} }
func before(v string) loader.Range { return loader.Range{To: loader.MustVersion(v)} }
func between(a, b string) loader.Range {
	return loader.Range{From: loader.MustVersion(a), To: loader.MustVersion(b)}
}

// always is the one variant of a stage whose explanation holds for every
// version.
func always(text string, watch ...string) []Variant {
	return []Variant{{Text: text, Watch: watch}}
}

// Table is the boot, in the order the runtime goes through it. Every
// sentence was checked against the runtime source of go1.11.1, go1.19,
// go1.26 and go1.27 (and go1.21, go1.22, go1.24, go1.25 for the
// boundaries after go1.21); boundaries before go1.21 are the releases the
// change is documented for.
var Table = []Stage{
	{ID: "rt0_linux", Symbols: []string{"_rt0_amd64_linux"}, Chapter: 1,
		Title: "_rt0_amd64_linux: the ELF entry point",
		Variants: always("The kernel starts the process here with argc, argv, envp and the auxiliary vector on the stack. " +
			"It is a single jump: the operating-system specific entry hands over to the architecture's.")},
	{ID: "rt0_amd64", Symbols: []string{"_rt0_amd64"}, Chapter: 1,
		Title: "_rt0_amd64: argc and argv into registers",
		Variants: always("argc is loaded from 0(SP) into DI and the address of argv into SI, then control passes to rt0_go. " +
			"Look at the registers after two stepi: DI and SI hold what the kernel put on the stack.")},
	{ID: "rt0_go", Symbols: []string{"runtime.rt0_go"}, Chapter: 1,
		Title: "runtime.rt0_go: the first runtime code",
		Variants: always("rt0_go carves g0's stack out of the OS stack, runs CPUID to learn the processor, sets up thread-local storage "+
			"so that g can be found at -8(FS), and links m0 and g0. Everything after this is called from here.",
			"runtime.g0.stack", "runtime.m0.g0")},
	{ID: "settls", Symbols: []string{"runtime.settls"}, Parent: "rt0_go", Chapter: 1,
		Title: "runtime.settls: thread-local storage",
		Variants: always("The FS base register is pointed at m0's TLS slot with arch_prctl(ARCH_SET_FS): the first system call of " +
			"every Go program. From now on -8(FS) holds the current g.")},
	{ID: "check", Symbols: []string{"runtime.check"}, Chapter: 2,
		Title: "runtime.check: sanity checks",
		Variants: always("The runtime verifies that the compiler laid out its basic types as it expects (sizes, alignment, atomics, " +
			"floating point). Nothing is printed unless something is badly wrong.")},
	{ID: "args", Symbols: []string{"runtime.args"}, Chapter: 2,
		Title: "runtime.args: argc, argv and the auxiliary vector",
		Variants: always("argc and argv are saved, and the auxiliary vector behind the environment is read: the page size, AT_RANDOM's "+
			"16 random bytes, and the vDSO if the kernel offers one (gouth-emu does not, so time comes from system calls).",
			"runtime.argc", "runtime.physPageSize")},
	{ID: "osinit", Symbols: []string{"runtime.osinit"}, Chapter: 2,
		Title: "runtime.osinit: how many CPUs",
		Variants: []Variant{
			{In: before("go1.12"),
				Text: "The number of CPUs comes from sched_getaffinity (gouth-emu answers with --cpus); it is all osinit " +
					"learns. GOMAXPROCS defaults to it.",
				Watch: []string{"runtime.ncpu", "runtime.physPageSize"}},
			{In: between("go1.12", "go1.25"),
				Text: "The number of CPUs comes from sched_getaffinity (gouth-emu answers with --cpus), and the huge page size is " +
					"read from /sys/kernel/mm/transparent_hugepage/hpage_pmd_size. GOMAXPROCS defaults to the CPU count; the " +
					"heap uses the huge page size.",
				Watch: []string{"runtime.ncpu", "runtime.physPageSize", "runtime.physHugePageSize"}},
			{In: from("go1.25"),
				Text: "The number of CPUs comes from sched_getaffinity (gouth-emu answers with --cpus), and the huge page size is " +
					"read from /sys/kernel/mm/transparent_hugepage/hpage_pmd_size. GOMAXPROCS defaults to the CPU count, or " +
					"from go1.25 to a lower cgroup CPU limit (the /proc/self/cgroup read before procresize); the heap uses " +
					"the huge page size.",
				Watch: []string{"runtime.ncpu", "runtime.physPageSize", "runtime.physHugePageSize"}},
		}},
	{ID: "schedinit", Symbols: []string{"runtime.schedinit"}, Chapter: 2,
		Title: "runtime.schedinit: the runtime initialises itself",
		Variants: always("One long function sets up nearly every runtime subsystem in turn: stacks, the memory allocator, m0, CPU "+
			"features, hashing, modules and type links, arguments and environment, GODEBUG, the collector and the Ps. "+
			"Its sub-stages follow.",
			"runtime.sched.maxmcount", "runtime.gomaxprocs")},
	{ID: "stackinit", Symbols: []string{"runtime.stackinit"}, Parent: "schedinit", Chapter: 4,
		Title: "stackinit: the stack pools",
		Variants: always("The free lists of goroutine stacks, by size class, are initialised. Goroutine stacks come from these pools " +
			"and from the heap.")},
	{ID: "mallocinit", Symbols: []string{"runtime.mallocinit"}, Parent: "schedinit", Chapter: 4,
		Title: "mallocinit: the heap",
		Variants: []Variant{
			{In: before("go1.14"),
				Text: "The allocator checks its size classes and lays out the arena hints: on amd64 the heap will grow from " +
					"0xc000000000 up. Its only mmap is 256 KiB for runtime metadata: the heap's first 64 MiB reservation, a " +
					"PROT_NONE mmap at 0xc000000000, comes at the first heap growth, among the syscalls of a later stage."},
			{In: between("go1.14", "go1.26"),
				Text: "The allocator checks its size classes, lays out the arena hints (on amd64 the heap will grow from " +
					"0xc000000000 up) and reserves address space for the page allocator's metadata: the large PROT_NONE mmap " +
					"calls. The heap's own first 64 MiB reservation at 0xc000000000 comes at the first heap growth."},
			{In: from("go1.26"),
				Text: "The allocator checks its size classes, lays out the arena hints and reserves address space for the page " +
					"allocator's metadata: the large PROT_NONE mmap calls. The heap's base is randomised from go1.26 (it was " +
					"0xc000000000): its first 64 MiB reservation comes at the first heap growth."},
		}},
	{ID: "mcommoninit", Symbols: []string{"runtime.mcommoninit"}, Parent: "schedinit", Chapter: 5,
		Title: "mcommoninit: m0 joins the scheduler",
		Variants: always("m0 gets its id, its random seed and its signal-handling goroutine (gsignal), and is added to the list of all Ms.",
			"runtime.m0.id", "runtime.sched.mnext")},
	{ID: "cpuinit", Symbols: []string{"runtime.cpuinit"}, Parent: "schedinit", Chapter: 2,
		Title: "cpuinit: CPU features",
		Variants: always("The CPUID results are turned into feature flags (SSE, AVX, ...) that choose code paths such as memmove's. " +
			"gouth-emu's CPU model has no AVX, so the SSE paths are taken.")},
	{ID: "alginit", Symbols: []string{"runtime.alginit"}, Parent: "schedinit", Chapter: 2,
		Title:    "alginit: hashing",
		Variants: always("Map hashing picks AES-based hashes when the CPU has AES instructions and seeds them from random bytes.")},
	{ID: "modulesinit", Symbols: []string{"runtime.modulesinit"}, Parent: "schedinit", Chapter: 2,
		Title:    "modulesinit: module data",
		Variants: always("The list of loaded modules (one, for a static binary) is built; it holds the pclntab, type links and GC metadata.")},
	{ID: "typelinksinit", Symbols: []string{"runtime.typelinksinit"}, Parent: "schedinit", Chapter: 2,
		Title:    "typelinksinit: type links",
		Variants: always("Types are de-duplicated across modules, which matters only when there are several (plugins, shared libraries).")},
	{ID: "itabsinit", Symbols: []string{"runtime.itabsinit"}, Parent: "schedinit", Chapter: 2,
		Title:    "itabsinit: interface tables",
		Variants: always("The interface method tables the linker built are added to the runtime's itab hash table.")},
	{ID: "goargs", Symbols: []string{"runtime.goargs"}, Parent: "schedinit", Chapter: 2,
		Title:    "goargs: os.Args",
		Variants: always("argv's C strings become the Go slice that os.Args reads later.", "runtime.argslice")},
	{ID: "goenvs", Symbols: []string{"runtime.goenvs"}, Parent: "schedinit", Chapter: 2,
		Title:    "goenvs: the environment",
		Variants: always("envp's strings become the slice behind os.Environ and syscall.Getenv.")},
	{ID: "parsedebugvars", Symbols: []string{"runtime.parseRuntimeDebugVars", "runtime.parsedebugvars"}, Parent: "schedinit", Chapter: 2,
		Title: "parsedebugvars: GODEBUG",
		Variants: []Variant{
			{In: before("go1.16"),
				Text: "GODEBUG and GOTRACEBACK are parsed into the runtime's debug settings (gctrace, schedtrace, ...). " +
					"GODEBUG=inittrace, which times package initialisation, came in go1.16."},
			{In: between("go1.16", "go1.26"),
				Text: "GODEBUG and GOTRACEBACK are parsed; try --env GODEBUG=inittrace=1 to see package initialisation times."},
			{In: from("go1.26"),
				Text: "GODEBUG is parsed (parseRuntimeDebugVars, the old parsedebugvars) at the very start of schedinit, " +
					"read straight from envp before stackinit, so that its settings apply to memory set-up too; " +
					"GOTRACEBACK follows after goenvs; try --env GODEBUG=inittrace=1 to see package initialisation times."},
		}},
	{ID: "gcinit", Symbols: []string{"runtime.gcinit"}, Parent: "schedinit", Chapter: 6,
		Title: "gcinit: the garbage collector",
		Variants: []Variant{
			{In: before("go1.19"),
				Text:  "The collector's pacer is initialised from GOGC; no collection runs yet.",
				Watch: []string{"runtime.gcpercent"}},
			{In: from("go1.19"),
				Text:  "The collector's pacer is initialised from GOGC and, from go1.19, GOMEMLIMIT; no collection runs yet.",
				Watch: []string{"runtime.gcpercent"}},
		}},
	{ID: "procresize", Symbols: []string{"runtime.procresize"}, Parent: "schedinit", Chapter: 5,
		Title: "procresize: the Ps",
		Variants: always("GOMAXPROCS Ps are allocated, each with its run queue and memory cache; m0 takes P 0 and the rest go idle.",
			"runtime.gomaxprocs", "runtime.sched.npidle")},
	{ID: "newproc", Symbols: []string{"runtime.newproc"}, Chapter: 3,
		Title: "runtime.newproc: the main goroutine",
		Variants: always("rt0_go creates the first real goroutine, whose function is runtime.main, and puts it on P 0's run queue. "+
			"It will not run until this thread enters the scheduler; 'goroutines' at the next stage shows it as G 1.",
			"runtime.allglen", "runtime.allgs[0].goid", "runtime.allgs[0].startpc"),
		// newproc(siz int32, fn *funcval) until go1.18, newproc(fn) after;
		// rt0_go calls it through the ABI0 wrapper from go1.17, so the
		// breakpoint on the Go function sees the register ABI.
		FuncArg: []ArgSlot{
			{In: before("go1.17"), SP: 16},
			{In: between("go1.17", "go1.18"), Reg: "rbx"},
			{In: from("go1.18"), Reg: "rax"},
		}},
	{ID: "mstart", Symbols: []string{"runtime.mstart"}, Chapter: 2,
		Title: "runtime.mstart: m0 starts scheduling",
		Variants: always("The first thread becomes an ordinary M: from here on it only runs the scheduler loop and goroutines. "+
			"mstart never returns.", "runtime.m0.g0.stack")},
	{ID: "mstart0", Symbols: []string{"runtime.mstart0"}, Parent: "mstart", Chapter: 2,
		Title: "mstart0: the g0 stack bounds",
		Variants: []Variant{
			{In: before("go1.17"), Absent: "before go1.17 mstart is itself the Go function that sets g0's stack bounds and guard"},
			{In: from("go1.17"),
				Text: "From go1.17 mstart is an assembly function and this is its Go part: it records g0's stack bounds if " +
					"the OS chose the stack, sets the stack guard and calls mstart1."},
		}},
	{ID: "mstart1", Symbols: []string{"runtime.mstart1"}, Parent: "mstart", Chapter: 5,
		Title: "mstart1: the M initialises itself",
		Variants: always("The M saves where to return for its g0, initialises the thread (signal stack and mask) and, on m0 only, " +
			"installs the signal handlers.")},
	{ID: "minit", Symbols: []string{"runtime.minit"}, Parent: "mstart", Chapter: 5,
		Title:    "minit: the thread's signal stack",
		Variants: always("The thread's alternate signal stack (gsignal's stack) is installed with sigaltstack and its id read with gettid.")},
	{ID: "initsig", Symbols: []string{"runtime.initsig"}, Parent: "mstart", Chapter: 2,
		Title: "initsig: signal handlers",
		Variants: []Variant{
			{In: before("go1.14"),
				Text: "rt_sigaction is called for every signal, about a hundred times in the trace: the runtime takes over " +
					"SIGSEGV (nil dereferences become panics), SIGPROF (profiling) and the rest. There is no signal-based " +
					"preemption before go1.14: SIGURG is an ordinary signal."},
			{In: from("go1.14"),
				Text: "rt_sigaction is called for every signal, about a hundred times in the trace: the runtime takes over " +
					"SIGSEGV (nil dereferences become panics), SIGURG (preemption, from go1.14) and the rest."},
		}},
	{ID: "schedule", Symbols: []string{"runtime.schedule"}, Chapter: 5,
		Title: "runtime.schedule: the scheduler loop",
		Variants: always("The M looks for a runnable goroutine: its P's local run queue, the global queue, the network poller, " +
			"other Ps. The only one so far is the main goroutine.")},
	{ID: "execute", Symbols: []string{"runtime.execute"}, Parent: "schedule", Chapter: 5,
		Title:    "execute: a goroutine gets the M",
		Variants: always("The chosen goroutine is marked running and bound to this M and P.")},
	{ID: "gogo", Symbols: []string{"runtime.gogo"}, Parent: "schedule", Chapter: 5,
		Title: "gogo: switching stacks",
		Variants: always("A few instructions load the goroutine's saved SP and PC from g.sched and jump: the thread is now on the " +
			"goroutine's stack.")},
	{ID: "runtime.main", Symbols: []string{"runtime.main"}, Chapter: 3,
		Title: "runtime.main: the main goroutine",
		Variants: always("The main goroutine starts sysmon, runs the runtime package's initialisation, enables the collector, runs " +
			"every other package's initialisation (main's last) and finally calls main.main.")},
	{ID: "newm", Symbols: []string{"runtime.newm"}, Parent: "runtime.main", Chapter: 5,
		Title:    "newm: a new M for sysmon",
		Variants: always("sysmon gets its own thread without a P. newm allocates the M and asks newosproc for an OS thread.")},
	{ID: "newosproc", Symbols: []string{"runtime.newosproc"}, Parent: "runtime.main", Chapter: 5,
		Title: "newosproc: clone",
		Variants: always("The thread is created with clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...) on a stack " +
			"the runtime allocated; the child starts in mstart. 'threads' shows the new one.")},
	{ID: "mstart_newm", Symbols: []string{"runtime.mstart"}, Parent: "runtime.main", Chapter: 5, NewThread: true,
		Title: "a new M starts",
		Variants: always("The cloned thread begins where m0 began after rt0_go: in mstart, on the g0 stack newosproc prepared. " +
			"It runs minit for its own signal stack, then the function its M was created for.")},
	{ID: "schedule_newm", Symbols: []string{"runtime.schedule"}, Parent: "runtime.main", Chapter: 5, NewThread: true,
		Title: "the first schedule on a new M",
		Variants: always("A new M with a P looks for work like m0 did; an M without one (sysmon) never gets here. " +
			"'threads' shows which M and G each thread runs.")},
	{ID: "sysmon", Symbols: []string{"runtime.sysmon"}, Parent: "runtime.main", Chapter: 5,
		Title: "sysmon: the monitor thread",
		Variants: []Variant{
			{In: before("go1.14"),
				Text: "sysmon wakes up every 20µs to 10ms: it retakes Ps from long system calls, asks goroutines that ran for " +
					"10ms to yield (it sets gp.preempt and stackguard0, so the next function call enters the scheduler) and " +
					"forces collections. Its nanosleeps fill the trace."},
			{In: from("go1.14"),
				Text: "sysmon wakes up every 20µs to 10ms: it retakes Ps from long system calls, preempts goroutines that ran " +
					"for 10ms (gp.preempt and stackguard0, and from go1.14 a SIGURG sent with tgkill for loops without calls) " +
					"and forces collections. Its nanosleeps fill the trace."},
		}},
	{ID: "runtime_init", Symbols: []string{"runtime.doInit1", "runtime.doInit", "runtime.init"}, Parent: "runtime.main", Chapter: 3,
		Title: "package initialisation: runtime",
		Variants: []Variant{
			{In: before("go1.13"),
				Text: "runtime.init, generated by the compiler (runtime.main calls it as runtime_init), runs the runtime " +
					"package's variable initialisers and init functions first; one of them starts the forcegc helper goroutine."},
			{In: between("go1.13", "go1.21"),
				Text: "doInit runs the runtime package's init task first: its variable initialisers and init functions; one " +
					"of them starts the forcegc helper goroutine."},
			{In: from("go1.21"),
				Text: "doInit1 runs the runtime package's init task first (runtime_inittasks): its variable initialisers and " +
					"init functions; one of them starts the forcegc helper goroutine."},
		}},
	{ID: "forcegchelper", Symbols: []string{"runtime.forcegchelper"}, Parent: "runtime.main", Chapter: 6,
		Title:    "forcegchelper: periodic collections",
		Variants: always("A goroutine that parks until sysmon decides no collection happened for two minutes.")},
	{ID: "gcenable", Symbols: []string{"runtime.gcenable"}, Parent: "runtime.main", Chapter: 6,
		Title: "gcenable: the background workers",
		Variants: []Variant{
			{In: before("go1.13"),
				Text: "The sweeper goroutine (bgsweep) is started, and the collector may run from now on. There is no " +
					"background scavenger before go1.13: sysmon returns unused heap memory to the system itself."},
			{In: from("go1.13"),
				Text: "The sweeper (bgsweep) and, from go1.13, the scavenger (bgscavenge) goroutines are started, and the " +
					"collector may run from now on."},
		}},
	{ID: "bgsweep", Symbols: []string{"runtime.bgsweep"}, Parent: "runtime.main", Chapter: 6,
		Title:    "bgsweep: the sweeper",
		Variants: always("Sweeps spans of the heap in the background after each collection.")},
	{ID: "bgscavenge", Symbols: []string{"runtime.bgscavenge"}, Parent: "runtime.main", Chapter: 6,
		Title: "bgscavenge: the scavenger",
		Variants: []Variant{
			{In: before("go1.13"), Absent: "before go1.13 sysmon scavenges: every 2.5 minutes it returns heap spans unused for 5 minutes"},
			{In: from("go1.13"), Text: "Returns unused heap memory to the operating system with madvise."},
		}},
	{ID: "sync_init", Symbols: []string{"sync.init.0", "sync.init"}, Parent: "runtime.main", Chapter: 11,
		Title: "package sync: sync.Pool registers its cleanup",
		Variants: []Variant{
			{In: before("go1.13"),
				Text: "sync's init hands the runtime a function that empties every sync.Pool at the start of each collection."},
			{In: from("go1.13"),
				Text: "sync's init hands the runtime a function that, at the start of each collection, moves every sync.Pool's " +
					"objects to its victim cache and drops the previous victims: an unused object survives one collection."},
		}},
	{ID: "main_init", Symbols: []string{"main.init", "main.init.0"}, Parent: "runtime.main", Chapter: 3,
		Title: "package main: init",
		Variants: []Variant{
			{In: before("go1.13"),
				Text: "main.init, generated by the compiler (runtime.main calls it as main_init), first calls the init of " +
					"every package main imports, each doing the same for its own imports once, then runs main's variable " +
					"initialisers and init functions: the imports' init stages come after this one."},
			{In: from("go1.13"),
				Text: "The main package's variable initialisers and init functions run last, after every package it imports."},
		}},
	{ID: "main.main", Symbols: []string{"main.main"}, Parent: "runtime.main", Chapter: 3,
		Title:    "main.main: your program",
		Variants: always("Everything before this was the runtime. When main.main returns, runtime.main exits the process.")},
	{ID: "exit", Symbols: []string{"runtime.exit"}, Chapter: 3,
		Title:    "runtime.exit: exit_group",
		Variants: always("The process ends with exit_group, taking every thread with it; deferred functions of other goroutines do not run.")},

	// First occurrences, reached only by programs that use the mechanism.
	{ID: "makechan", Symbols: []string{"runtime.makechan"}, Chapter: 7, Later: true,
		Title:    "make(chan): a channel",
		Variants: always("An hchan is allocated with its buffer, lock and queues of waiting senders and receivers.")},
	{ID: "chansend", Symbols: []string{"runtime.chansend1", "runtime.chansend"}, Chapter: 7, Later: true,
		Title:    "a channel send",
		Variants: always("The sender hands the value to a waiting receiver, copies it into the buffer, or parks on the send queue.")},
	{ID: "chanrecv", Symbols: []string{"runtime.chanrecv1", "runtime.chanrecv2", "runtime.chanrecv"}, Chapter: 7, Later: true,
		Title:    "a channel receive",
		Variants: always("The receiver takes from a waiting sender or the buffer, or parks on the receive queue.")},
	{ID: "deferproc", Symbols: []string{"runtime.deferproc", "runtime.deferprocStack"}, Chapter: 8, Later: true,
		Title: "defer",
		Variants: []Variant{
			{In: before("go1.13"),
				Text: "A defer record, from the P's pool or the heap, is pushed on the goroutine's defer list; deferreturn " +
					"runs it when the function returns."},
			{In: between("go1.13", "go1.14"),
				Text: "A defer record, on the caller's stack (deferprocStack, from go1.13) or the heap, is pushed on the " +
					"goroutine's defer list; deferreturn runs it when the function returns."},
			{In: from("go1.14"),
				Text: "A defer record, on the caller's stack (deferprocStack, from go1.13) or the heap, is pushed on the " +
					"goroutine's defer list (open-coded defers, from go1.14, avoid the call entirely)."},
		}},
	{ID: "SetFinalizer", Symbols: []string{"runtime.SetFinalizer"}, Chapter: 10, Later: true,
		Title:    "runtime.SetFinalizer",
		Variants: always("A finalizer special is attached to the object's span; the collector queues it when the object dies.")},
	{ID: "gcStart", Symbols: []string{"runtime.gcStart"}, Chapter: 6, Later: true,
		Title: "a garbage collection cycle",
		Variants: always("The mark worker goroutines are created, the world stops briefly to turn the write barrier on, and marking " +
			"runs concurrently; runtime.GC(), heap growth or two minutes without a collection trigger it.")},
}
