// Package stages knows the stages of the Go runtime's boot and where the
// book Go: Under the Hood explains each one. The table is data: adding a
// stage or a version fallback is an edit here, not new code paths.
package stages

// Chapter is a chapter of Go: Under the Hood (../shared/seed in the design
// brief: the book's table of contents).
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
	Text    string // what happens and what to look at, in our words
	Chapter int
	Watch   []string // DWARF expressions to show when it is reached; names absent in a version are skipped
	// Later marks stages that are not part of the boot proper: the first
	// occurrence of a mechanism, reached only if the program uses it.
	Later bool
	// FuncArg: the function's first argument is a *funcval whose code the
	// banner names (newproc's new goroutine).
	FuncArg bool
	// NewThread: the stage is reached only by a thread other than the
	// first (a new M doing what m0 did at boot).
	NewThread bool
}

// Table is the boot, in the order the runtime goes through it.
var Table = []Stage{
	{ID: "rt0_linux", Symbols: []string{"_rt0_amd64_linux"}, Chapter: 1,
		Title: "_rt0_amd64_linux: the ELF entry point",
		Text: "The kernel starts the process here with argc, argv, envp and the auxiliary vector on the stack. " +
			"It is a single jump: the operating-system specific entry hands over to the architecture's."},
	{ID: "rt0_amd64", Symbols: []string{"_rt0_amd64"}, Chapter: 1,
		Title: "_rt0_amd64: argc and argv into registers",
		Text: "argc is loaded from 0(SP) into DI and the address of argv into SI, then control passes to rt0_go. " +
			"Look at the registers after two stepi: DI and SI hold what the kernel put on the stack."},
	{ID: "rt0_go", Symbols: []string{"runtime.rt0_go"}, Chapter: 1,
		Title: "runtime.rt0_go: the first runtime code",
		Text: "rt0_go carves g0's stack out of the OS stack, runs CPUID to learn the processor, sets up thread-local storage " +
			"so that g can be found at -8(FS), and links m0 and g0. Everything after this is called from here.",
		Watch: []string{"runtime.g0.stack", "runtime.m0.g0"}},
	{ID: "settls", Symbols: []string{"runtime.settls"}, Parent: "rt0_go", Chapter: 1,
		Title: "runtime.settls: thread-local storage",
		Text: "The FS base register is pointed at m0's TLS slot with arch_prctl(ARCH_SET_FS): the first system call of " +
			"every Go program. From now on -8(FS) holds the current g."},
	{ID: "check", Symbols: []string{"runtime.check"}, Chapter: 2,
		Title: "runtime.check: sanity checks",
		Text: "The runtime verifies that the compiler laid out its basic types as it expects (sizes, alignment, atomics, " +
			"floating point). Nothing is printed unless something is badly wrong."},
	{ID: "args", Symbols: []string{"runtime.args"}, Chapter: 2,
		Title: "runtime.args: argc, argv and the auxiliary vector",
		Text: "argc and argv are saved, and the auxiliary vector behind the environment is read: the page size, AT_RANDOM's " +
			"16 random bytes, and the vDSO if the kernel offers one (gouth-emu does not, so time comes from system calls).",
		Watch: []string{"runtime.argc", "runtime.physPageSize"}},
	{ID: "osinit", Symbols: []string{"runtime.osinit"}, Chapter: 2,
		Title: "runtime.osinit: how many CPUs",
		Text: "The number of CPUs comes from sched_getaffinity (gouth-emu answers with --cpus), and the huge page size is " +
			"read from /sys. These numbers size the scheduler later.",
		Watch: []string{"runtime.ncpu", "runtime.numCPUStartup", "runtime.physPageSize", "runtime.physHugePageSize"}},
	{ID: "schedinit", Symbols: []string{"runtime.schedinit"}, Chapter: 2,
		Title: "runtime.schedinit: the runtime initialises itself",
		Text: "One long function sets up nearly every runtime subsystem in turn: stacks, the memory allocator, m0, CPU " +
			"features, hashing, modules and type links, arguments and environment, GODEBUG, the collector and the Ps. " +
			"Its sub-stages follow.",
		Watch: []string{"runtime.sched.maxmcount", "runtime.gomaxprocs"}},
	{ID: "stackinit", Symbols: []string{"runtime.stackinit"}, Parent: "schedinit", Chapter: 4,
		Title: "stackinit: the stack pools",
		Text: "The free lists of goroutine stacks, by size class, are initialised. Goroutine stacks come from these pools " +
			"and from the heap."},
	{ID: "mallocinit", Symbols: []string{"runtime.mallocinit"}, Parent: "schedinit", Chapter: 4,
		Title: "mallocinit: the heap",
		Text: "The allocator checks its size classes and reserves address space for the heap arenas: watch the large " +
			"PROT_NONE mmap calls and the address hints such as 0xc000000000."},
	{ID: "mcommoninit", Symbols: []string{"runtime.mcommoninit"}, Parent: "schedinit", Chapter: 5,
		Title: "mcommoninit: m0 joins the scheduler",
		Text:  "m0 gets its id, its random seed and its signal-handling goroutine (gsignal), and is added to the list of all Ms.",
		Watch: []string{"runtime.m0.id", "runtime.sched.mnext"}},
	{ID: "cpuinit", Symbols: []string{"runtime.cpuinit"}, Parent: "schedinit", Chapter: 2,
		Title: "cpuinit: CPU features",
		Text: "The CPUID results are turned into feature flags (SSE, AVX, ...) that choose code paths such as memmove's. " +
			"gouth-emu's CPU model has no AVX, so the SSE paths are taken."},
	{ID: "alginit", Symbols: []string{"runtime.alginit"}, Parent: "schedinit", Chapter: 2,
		Title: "alginit: hashing",
		Text:  "Map hashing picks AES-based hashes when the CPU has AES instructions and seeds them from random bytes."},
	{ID: "modulesinit", Symbols: []string{"runtime.modulesinit"}, Parent: "schedinit", Chapter: 2,
		Title: "modulesinit: module data",
		Text:  "The list of loaded modules (one, for a static binary) is built; it holds the pclntab, type links and GC metadata."},
	{ID: "typelinksinit", Symbols: []string{"runtime.typelinksinit"}, Parent: "schedinit", Chapter: 2,
		Title: "typelinksinit: type links",
		Text:  "Types are de-duplicated across modules, which matters only when there are several (plugins, shared libraries)."},
	{ID: "itabsinit", Symbols: []string{"runtime.itabsinit"}, Parent: "schedinit", Chapter: 2,
		Title: "itabsinit: interface tables",
		Text:  "The interface method tables the linker built are added to the runtime's itab hash table."},
	{ID: "goargs", Symbols: []string{"runtime.goargs"}, Parent: "schedinit", Chapter: 2,
		Title: "goargs: os.Args",
		Text:  "argv's C strings become the Go slice that os.Args reads later.", Watch: []string{"runtime.argslice"}},
	{ID: "goenvs", Symbols: []string{"runtime.goenvs"}, Parent: "schedinit", Chapter: 2,
		Title: "goenvs: the environment",
		Text:  "envp's strings become the slice behind os.Environ and syscall.Getenv."},
	{ID: "parsedebugvars", Symbols: []string{"runtime.parsedebugvars"}, Parent: "schedinit", Chapter: 2,
		Title: "parsedebugvars: GODEBUG",
		Text:  "GODEBUG and GOTRACEBACK are parsed; try --env GODEBUG=inittrace=1 to see package initialisation times."},
	{ID: "gcinit", Symbols: []string{"runtime.gcinit"}, Parent: "schedinit", Chapter: 6,
		Title: "gcinit: the garbage collector",
		Text:  "The collector's pacer is initialised from GOGC (and GOMEMLIMIT in newer versions); no collection runs yet.",
		Watch: []string{"runtime.gcController.gcPercent"}},
	{ID: "procresize", Symbols: []string{"runtime.procresize"}, Parent: "schedinit", Chapter: 5,
		Title: "procresize: the Ps",
		Text:  "GOMAXPROCS Ps are allocated, each with its run queue and memory cache; m0 takes P 0 and the rest go idle.",
		Watch: []string{"runtime.gomaxprocs", "runtime.sched.npidle"}},
	{ID: "newproc", Symbols: []string{"runtime.newproc"}, Chapter: 3, FuncArg: true,
		Title: "runtime.newproc: the main goroutine",
		Text: "rt0_go creates the first real goroutine, whose function is runtime.main, and puts it on P 0's run queue. " +
			"It will not run until this thread enters the scheduler; 'goroutines' at the next stage shows it as G 1.",
		Watch: []string{"runtime.allglen", "runtime.allgs[0].goid", "runtime.allgs[0].startpc"}},
	{ID: "mstart", Symbols: []string{"runtime.mstart"}, Chapter: 2,
		Title: "runtime.mstart: m0 starts scheduling",
		Text: "The first thread becomes an ordinary M: from here on it only runs the scheduler loop and goroutines. " +
			"mstart never returns.", Watch: []string{"runtime.m0.g0.stack"}},
	{ID: "mstart0", Symbols: []string{"runtime.mstart0"}, Parent: "mstart", Chapter: 2,
		Title: "mstart0: the g0 stack bounds",
		Text:  "From go1.17 the Go part of mstart records g0's stack bounds and its guard before calling mstart1."},
	{ID: "mstart1", Symbols: []string{"runtime.mstart1"}, Parent: "mstart", Chapter: 5,
		Title: "mstart1: the M initialises itself",
		Text: "The M saves where to return for its g0, initialises the thread (signal stack and mask) and, on m0 only, " +
			"installs the signal handlers."},
	{ID: "minit", Symbols: []string{"runtime.minit"}, Parent: "mstart", Chapter: 5,
		Title: "minit: the thread's signal stack",
		Text:  "The thread's alternate signal stack (gsignal's stack) is installed with sigaltstack and its id read with gettid."},
	{ID: "initsig", Symbols: []string{"runtime.initsig"}, Parent: "mstart", Chapter: 2,
		Title: "initsig: signal handlers",
		Text: "rt_sigaction is called for every signal, about a hundred times in the trace: the runtime takes over SIGSEGV " +
			"(nil dereferences become panics), SIGURG (preemption) and the rest."},
	{ID: "schedule", Symbols: []string{"runtime.schedule"}, Chapter: 5,
		Title: "runtime.schedule: the scheduler loop",
		Text: "The M looks for a runnable goroutine: its P's local run queue, the global queue, the network poller, " +
			"other Ps. The only one so far is the main goroutine."},
	{ID: "execute", Symbols: []string{"runtime.execute"}, Parent: "schedule", Chapter: 5,
		Title: "execute: a goroutine gets the M",
		Text:  "The chosen goroutine is marked running and bound to this M and P."},
	{ID: "gogo", Symbols: []string{"runtime.gogo"}, Parent: "schedule", Chapter: 5,
		Title: "gogo: switching stacks",
		Text: "A few instructions load the goroutine's saved SP and PC from g.sched and jump: the thread is now on the " +
			"goroutine's stack."},
	{ID: "runtime.main", Symbols: []string{"runtime.main"}, Chapter: 3,
		Title: "runtime.main: the main goroutine",
		Text: "The main goroutine starts sysmon, runs package initialisation (runtime's first, main's last), enables the " +
			"collector and finally calls main.main."},
	{ID: "newm", Symbols: []string{"runtime.newm"}, Parent: "runtime.main", Chapter: 5,
		Title: "newm: a new M for sysmon",
		Text:  "sysmon gets its own thread without a P. newm allocates the M and asks newosproc for an OS thread."},
	{ID: "newosproc", Symbols: []string{"runtime.newosproc"}, Parent: "runtime.main", Chapter: 5,
		Title: "newosproc: clone",
		Text: "The thread is created with clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...) on a stack " +
			"the runtime allocated; the child starts in mstart. 'threads' shows the new one."},
	{ID: "mstart_newm", Symbols: []string{"runtime.mstart"}, Parent: "runtime.main", Chapter: 5, NewThread: true,
		Title: "a new M starts",
		Text: "The cloned thread begins where m0 began after rt0_go: in mstart, on the g0 stack newosproc prepared. " +
			"It runs minit for its own signal stack, then the function its M was created for."},
	{ID: "schedule_newm", Symbols: []string{"runtime.schedule"}, Parent: "runtime.main", Chapter: 5, NewThread: true,
		Title: "the first schedule on a new M",
		Text: "A new M with a P looks for work like m0 did; an M without one (sysmon) never gets here. " +
			"'threads' shows which M and G each thread runs."},
	{ID: "sysmon", Symbols: []string{"runtime.sysmon"}, Parent: "runtime.main", Chapter: 5,
		Title: "sysmon: the monitor thread",
		Text: "sysmon wakes up every 20µs to 10ms: it retakes Ps from long system calls, preempts long-running goroutines " +
			"(tgkill SIGURG) and forces collections. Its nanosleeps fill the trace."},
	{ID: "runtime_init", Symbols: []string{"runtime.doInit1", "runtime.doInit", "runtime.init"}, Parent: "runtime.main", Chapter: 3,
		Title: "package initialisation: runtime",
		Text: "The runtime package's own init functions run first (doInit1 from go1.21, doInit before, runtime.init in " +
			"go1.12 and earlier); among them the forcegc helper goroutine is started."},
	{ID: "forcegchelper", Symbols: []string{"runtime.forcegchelper"}, Parent: "runtime.main", Chapter: 6,
		Title: "forcegchelper: periodic collections",
		Text:  "A goroutine that parks until sysmon decides no collection happened for two minutes."},
	{ID: "gcenable", Symbols: []string{"runtime.gcenable"}, Parent: "runtime.main", Chapter: 6,
		Title: "gcenable: the background workers",
		Text: "The sweeper (bgsweep) and, from go1.12, the scavenger (bgscavenge) goroutines are started, and the " +
			"collector may run from now on."},
	{ID: "bgsweep", Symbols: []string{"runtime.bgsweep"}, Parent: "runtime.main", Chapter: 6,
		Title: "bgsweep: the sweeper",
		Text:  "Sweeps spans of the heap in the background after each collection."},
	{ID: "bgscavenge", Symbols: []string{"runtime.bgscavenge"}, Parent: "runtime.main", Chapter: 6,
		Title: "bgscavenge: the scavenger",
		Text:  "Returns unused heap memory to the operating system with madvise."},
	{ID: "sync_init", Symbols: []string{"sync.init.0", "sync.init"}, Parent: "runtime.main", Chapter: 11,
		Title: "package sync: sync.Pool registers its cleanup",
		Text:  "sync's init hands the runtime a function that empties every sync.Pool at the start of each collection."},
	{ID: "main_init", Symbols: []string{"main.init", "main.init.0"}, Parent: "runtime.main", Chapter: 3,
		Title: "package main: init",
		Text:  "The main package's variable initialisers and init functions run last, after every package it imports."},
	{ID: "main.main", Symbols: []string{"main.main"}, Parent: "runtime.main", Chapter: 3,
		Title: "main.main: your program",
		Text:  "Everything before this was the runtime. When main.main returns, runtime.main exits the process."},
	{ID: "exit", Symbols: []string{"runtime.exit"}, Chapter: 3,
		Title: "runtime.exit: exit_group",
		Text:  "The process ends with exit_group, taking every thread with it; deferred functions of other goroutines do not run."},

	// First occurrences, reached only by programs that use the mechanism.
	{ID: "makechan", Symbols: []string{"runtime.makechan"}, Chapter: 7, Later: true,
		Title: "make(chan): a channel",
		Text:  "An hchan is allocated with its buffer, lock and queues of waiting senders and receivers."},
	{ID: "chansend", Symbols: []string{"runtime.chansend1", "runtime.chansend"}, Chapter: 7, Later: true,
		Title: "a channel send",
		Text:  "The sender hands the value to a waiting receiver, copies it into the buffer, or parks on the send queue."},
	{ID: "chanrecv", Symbols: []string{"runtime.chanrecv1", "runtime.chanrecv2", "runtime.chanrecv"}, Chapter: 7, Later: true,
		Title: "a channel receive",
		Text:  "The receiver takes from a waiting sender or the buffer, or parks on the receive queue."},
	{ID: "deferproc", Symbols: []string{"runtime.deferproc", "runtime.deferprocStack"}, Chapter: 8, Later: true,
		Title: "defer",
		Text: "A heap or stack-allocated defer record is pushed on the goroutine's list (open-coded defers since go1.14 " +
			"avoid the call entirely)."},
	{ID: "SetFinalizer", Symbols: []string{"runtime.SetFinalizer"}, Chapter: 10, Later: true,
		Title: "runtime.SetFinalizer",
		Text:  "A finalizer special is attached to the object's span; the collector queues it when the object dies."},
	{ID: "gcStart", Symbols: []string{"runtime.gcStart"}, Chapter: 6, Later: true,
		Title: "a garbage collection cycle",
		Text: "The world stops briefly, the write barrier is turned on and mark workers start; runtime.GC() or heap " +
			"growth triggers it."},
}
