package debugger

// Runtime views: the scheduler's own tables, read from guest memory.
//
//   - goroutines: every g of runtime.allgs (bounded by runtime.allglen),
//     with its id, status, M, start function, where it is, and why it
//     waits;
//   - ms: the Ms of the runtime.allm list, linked through m.alllink;
//   - ps: the Ps of runtime.allp, with the length of their run queues;
//   - sched: the counters of runtime.sched that this toolchain has.
//
// Every layout comes from the binary's DWARF (field names, offsets, sizes,
// atomic wrappers), so one reader serves go1.17 to go1.26 although the
// structures moved: goid went from int64 to uint64, atomicstatus and most
// sched counters became atomic wrappers, sched.runqsize became
// sched.runq.size. The names of g and P statuses are the runtime's own
// constants (runtime._Grunning, runtime._Pidle, ...), which the Go linker
// writes into the DWARF as well; wait reasons are the strings of
// runtime.waitReasonStrings. Without DWARF the views give one line saying
// so.

import (
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/godwarf"
	"github.com/gouth-emu/gouth-emu/debugger/unwind"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
)

// Bounds against garbage in guest memory.
const (
	maxViewGs = 100000 // goroutines listed
	maxViewMs = 10000  // Ms followed along alllink
	maxViewPs = 10000  // entries of allp
)

// rtView reads the runtime's tables for one command.
type rtView struct {
	s      *Session
	info   *godwarf.Info
	rt     *goRuntime
	consts map[string]int64 // integer constants of package runtime
}

// view prepares the runtime views for the command name: a live process
// and DWARF describing runtime.g, runtime.m and runtime.p. The views
// check their arguments first, so the machine is checked here rather
// than by the table's Needs.
func (s *Session) view(name string) (*rtView, error) {
	if s.t == nil {
		return nil, errExited
	}
	info, err := s.dwarf()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for _, t := range []string{"runtime.g", "runtime.m", "runtime.p"} {
		if _, err := info.Type(t); err != nil {
			return nil, fmt.Errorf("%s: the DWARF does not describe %s", name, t)
		}
	}
	return &rtView{s: s, info: info, rt: &goRuntime{info: info, mem: s.t}, consts: runtimeConsts(s.cfg.File)}, nil
}

// The integer constants of package runtime, from the DWARF of the last
// binary asked about: sessions restart and views repeat on one binary.
var constCache struct {
	sync.Mutex
	file   *loader.File
	consts map[string]int64
}

// runtimeConsts returns the DW_TAG_constant entries of the runtime's
// compile unit, by name ("runtime._Grunning" → 2); empty if there are none.
func runtimeConsts(f *loader.File) map[string]int64 {
	constCache.Lock()
	defer constCache.Unlock()
	if constCache.file == f && constCache.consts != nil {
		return constCache.consts
	}
	consts := map[string]int64{}
	func() {
		defer func() { recover() }() // debug/dwarf may panic on malformed input
		d, err := f.DWARF()
		if err != nil {
			return
		}
		r := d.Reader()
		for {
			e, err := r.Next()
			if err != nil || e == nil {
				return
			}
			if e.Tag == dwarf.TagCompileUnit {
				if name, _ := e.Val(dwarf.AttrName).(string); name != "runtime" {
					r.SkipChildren()
				}
				continue
			}
			if e.Tag == dwarf.TagConstant {
				name, _ := e.Val(dwarf.AttrName).(string)
				switch v := e.Val(dwarf.AttrConstValue).(type) {
				case int64:
					consts[name] = v
				case uint64:
					consts[name] = int64(v)
				}
			}
			if e.Children {
				r.SkipChildren()
			}
		}
	}()
	constCache.file, constCache.consts = f, consts
	return consts
}

// Status names, when the DWARF has no constants: the values every
// toolchain since go1.13 uses.
var (
	fallbackGStatus = map[uint64]string{0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 5: "moribund_unused", 6: "dead", 7: "enqueue_unused", 8: "copystack", 9: "preempted"}
	fallbackPStatus = map[uint64]string{0: "idle", 1: "running", 2: "syscall", 3: "gcstop", 4: "dead"}
	gStatusConst    = regexp.MustCompile(`^runtime\._G([a-z_]+)$`)
	pStatusConst    = regexp.MustCompile(`^runtime\._P([a-z]+)$`)
)

// statusNames collects the constants matching re (runtime._Grunning →
// "running"), skipping names that start with skip; fallback if none do.
func (v *rtView) statusNames(re *regexp.Regexp, skip string, fallback map[uint64]string) map[uint64]string {
	names := map[uint64]string{}
	for n, val := range v.consts {
		m := re.FindStringSubmatch(n)
		if m == nil || skip != "" && strings.HasPrefix(m[1], skip) || val < 0 {
			continue
		}
		names[uint64(val)] = m[1]
	}
	if len(names) == 0 {
		return fallback
	}
	return names
}

// scanBit is runtime._Gscan, the bit of atomicstatus set while the GC
// scans the stack.
func (v *rtView) scanBit() uint64 {
	if c, ok := v.consts["runtime._Gscan"]; ok && c > 0 {
		return uint64(c)
	}
	return 0x1000
}

// gStatus names a g's atomicstatus: "running", "waiting+scan".
func (v *rtView) gStatus(names map[uint64]string, st uint64) string {
	scan := v.scanBit()
	name, ok := names[st&^scan]
	if !ok {
		name = strconv.FormatUint(st&^scan, 10)
	}
	if st&scan != 0 {
		name += "+scan"
	}
	return name
}

// global evaluates a runtime global through DWARF.
func (v *rtView) global(name string) (godwarf.Value, error) {
	return v.info.Eval(name, v.s.t)
}

// sliceHeader returns the data pointer and length of a slice value, from
// the fields the DWARF gives its header (array, len).
func sliceHeader(sl godwarf.Value, mem godwarf.Memory) (data uint64, n int64, err error) {
	t := sl.Type
	for i := 0; i < 8; i++ {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			break
		}
		t = td.Type
	}
	st, ok := t.(*dwarf.StructType)
	if !ok {
		return 0, 0, fmt.Errorf("%s is not a slice", sl.Name)
	}
	var gotData, gotLen bool
	for _, f := range st.Field {
		if f.Name != "array" && f.Name != "len" || f.Type.Size() != 8 {
			continue
		}
		var b [8]byte
		if err := mem.Peek(sl.Addr+uint64(f.ByteOffset), b[:]); err != nil {
			return 0, 0, fmt.Errorf("cannot read %s: %v", sl.Name, err)
		}
		w := binary.LittleEndian.Uint64(b[:])
		if f.Name == "array" {
			data, gotData = w, true
		} else {
			n, gotLen = int64(w), true
		}
	}
	if !gotData || !gotLen {
		return 0, 0, fmt.Errorf("%s is not a slice", sl.Name)
	}
	return data, n, nil
}

// pointers reads the elements of a slice of pointers (allgs, allp), at
// most max of them, and of them at most limit (when limit ≥ 0).
func (v *rtView) pointers(name string, limit int64, max int64) ([]uint64, error) {
	sl, err := v.global(name)
	if err != nil {
		return nil, err
	}
	_, n, err := sliceHeader(sl, v.s.t)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && limit < n {
		n = limit
	}
	if n < 0 || n > max {
		return nil, fmt.Errorf("%s has a bad length %d", name, n)
	}
	out := make([]uint64, 0, n)
	for i := int64(0); i < n; i++ {
		e, err := sl.Index(i)
		if err != nil {
			return nil, err
		}
		p, err := e.Uint()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// threadOf is what a guest thread is running, as far as the runtime says.
type threadOf struct {
	target.ThreadInfo
	g, m uint64 // the g in its TLS slot and that g's M; 0 if unknown
}

// onThread is a thread running a g: on the g's own stack, or on its M's g0
// or gsignal stack in the runtime's service.
type onThread struct {
	t     threadOf
	stack string // "" on the g's own stack, else "g0" or "gsignal"
}

// running maps each g that a thread runs to the thread: the g in its TLS
// slot, or the curg of its M when it runs on g0 or gsignal (the first such
// thread when two claim one g).
func (v *rtView) running() map[uint64]onThread {
	running := map[uint64]onThread{}
	for _, t := range v.threads() {
		if t.g == 0 {
			continue
		}
		ms, err := v.rt.m(t.m)
		switch {
		case err != nil:
			running[t.g] = onThread{t: t}
		case t.g == ms.g0 || t.g == ms.gsignal:
			stack := "g0"
			if t.g == ms.gsignal {
				stack = "gsignal"
			}
			if cg, err := v.rt.g(ms.curg); err == nil && cg.m == ms.addr {
				if _, seen := running[ms.curg]; !seen {
					running[ms.curg] = onThread{t: t, stack: stack}
				}
			}
		default:
			running[t.g] = onThread{t: t}
		}
	}
	return running
}

// threads maps the guest threads to their g and M (threadG says which g
// a thread that shares its parent's FS base really runs).
func (v *rtView) threads() []threadOf {
	var out []threadOf
	for _, t := range v.s.t.Threads() {
		to := threadOf{ThreadInfo: t, g: v.rt.threadG(t.Tid, t.FSBase)}
		if gs, err := v.rt.g(to.g); err == nil {
			to.m = gs.m
		} else {
			to.g = 0
		}
		out = append(out, to)
	}
	return out
}

// current returns the selected thread's g and M (0 if unknown).
func (v *rtView) current() (g, m uint64) {
	fs := v.s.reg(abi.FSBase)
	g = v.rt.threadG(v.s.t.Selected(), fs)
	gs, err := v.rt.g(g)
	if err != nil {
		return 0, 0
	}
	return g, gs.m
}

// mID returns the id of the M at addr, "-" for none.
func (v *rtView) mID(addr uint64) string {
	if addr == 0 {
		return "-"
	}
	ms, err := v.rt.m(addr)
	if err != nil {
		return fmt.Sprintf("?%#x", addr)
	}
	return strconv.FormatInt(ms.id, 10)
}

// goid returns the goroutine id of the g at addr, "-" for none.
func (v *rtView) goid(addr uint64) string {
	if addr == 0 {
		return "-"
	}
	gs, err := v.rt.g(addr)
	if err != nil {
		return fmt.Sprintf("?%#x", addr)
	}
	return strconv.FormatUint(gs.goid, 10)
}

// location is "func file:line" for a frame starting at start.
func (v *rtView) location(start unwind.Start) string {
	if start.PC == 0 {
		return "-"
	}
	frames, _ := unwind.Walk(v.s.cfg.File, v.s.t, start, 1)
	if len(frames) > 0 && frames[0].Func != "" {
		f := frames[0]
		if f.File == "" {
			return f.Func
		}
		return fmt.Sprintf("%s %s:%d", f.Func, shortPath(f.File), f.Line)
	}
	pc := start.PC
	if start.Return {
		pc--
	}
	file, line, fn := v.s.syms.LineForPC(pc)
	switch {
	case fn == "":
		return fmt.Sprintf("%#x", start.PC)
	case file == "":
		return fn
	}
	return fmt.Sprintf("%s %s:%d", fn, shortPath(file), line)
}

// waitReasons returns runtime.waitReasonStrings, nil if unreadable.
func (v *rtView) waitReasons() []string {
	arr, err := v.global("runtime.waitReasonStrings")
	if err != nil {
		return nil
	}
	var out []string
	for i := int64(0); i < 256; i++ {
		e, err := arr.Index(i)
		if err != nil {
			break
		}
		s, _, err := e.Str(64)
		if err != nil {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// table prints rows with aligned columns; right lists the columns to
// align right. The last column is not padded.
func (s *Session) table(rows [][]string, right ...int) {
	var w []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], len(c))
		}
	}
	isRight := map[int]bool{}
	for _, i := range right {
		isRight[i] = true
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			switch {
			case isRight[i]:
				fmt.Fprintf(&b, "%*s", w[i], c)
			case i == len(r)-1:
				b.WriteString(c)
			default:
				fmt.Fprintf(&b, "%-*s", w[i], c)
			}
		}
		s.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
}

func (s *Session) cmdGoroutines(args string) error {
	all := false
	switch a := strings.TrimSpace(args); a {
	case "":
	case "all":
		all = true
	default:
		return fmt.Errorf("goroutines takes no argument but 'all', got %q", a)
	}
	v, err := s.view("goroutines")
	if err != nil {
		return err
	}
	list, err := s.listGoroutines(v, all)
	if err != nil {
		return err
	}
	if list.none {
		s.printf("No goroutines yet (runtime.allgs is empty).\n")
		return nil
	}
	table := [][]string{{"", "G", "status", "M", "start", "location", "wait reason"}}
	for _, r := range list.rows {
		table = append(table, r.cols)
	}
	s.table(table, 1, 3)
	if list.dead > 0 {
		s.printf("(%d dead goroutines not shown; 'goroutines all' lists them)\n", list.dead)
	}
	return nil
}

// gList is what goroutines shows.
type gList struct {
	none bool   // runtime.allgs is empty
	rows []gRow // by goroutine id
	dead int    // dead goroutines left out
}

// gRow is a goroutine's row: mark, G, status, M, start, location and
// wait reason.
type gRow struct {
	goid uint64
	cols []string
}

// listGoroutines reads the goroutines of runtime.allgs into their rows,
// the dead ones only if all is set.
func (s *Session) listGoroutines(v *rtView, all bool) (gList, error) {
	limit := int64(-1)
	if gl, err := v.global("runtime.allglen"); err == nil {
		if n, err := gl.Uint(); err == nil && n <= maxViewGs {
			limit = int64(n)
		}
	}
	gs, err := v.pointers("runtime.allgs", limit, maxViewGs)
	if err != nil {
		return gList{}, fmt.Errorf("goroutines: %v", err)
	}
	if len(gs) == 0 {
		return gList{none: true}, nil
	}
	statuses := v.statusNames(gStatusConst, "scan", fallbackGStatus)
	waitingVal, haveWaiting := uint64(0), false
	for val, n := range statuses {
		if n == "waiting" {
			waitingVal, haveWaiting = val, true
		}
	}
	reasons := v.waitReasons()
	running := v.running()
	curG, curM := v.current()
	if cm, err := v.rt.m(curM); err == nil && (curG == cm.g0 || curG == cm.gsignal) {
		curG = cm.curg
	}
	var list gList
	for _, addr := range gs {
		if addr == 0 {
			continue
		}
		g, err := v.rt.g(addr)
		if err != nil {
			list.rows = append(list.rows, gRow{^uint64(0), []string{"", "?", "", "", "", err.Error(), ""}})
			continue
		}
		gv, err := v.info.At("runtime.g", addr, s.t)
		if err != nil {
			return gList{}, err
		}
		st, err := uintPath(gv, "atomicstatus")
		if err != nil {
			return gList{}, fmt.Errorf("goroutines: %v", err)
		}
		status := v.gStatus(statuses, st)
		if strings.HasPrefix(status, "dead") && !all {
			list.dead++
			continue
		}
		mark := " "
		if addr == curG {
			mark = "*"
		}
		where := v.location(g.savedStart(s.cfg.File))
		if strings.HasPrefix(status, "dead") {
			where = "-" // what sched holds is from the g's last life
		}
		if t, ok := running[addr]; ok {
			where = v.location(unwind.Start{PC: t.t.PC, SP: t.t.SP})
			if t.stack != "" {
				where += " [on " + t.stack + "]"
			}
		}
		wait := ""
		if wr, err := uintPath(gv, "waitreason"); err == nil && haveWaiting && st&^v.scanBit() == waitingVal && wr != 0 {
			wait = strconv.FormatUint(wr, 10)
			if wr < uint64(len(reasons)) && reasons[wr] != "" {
				wait = reasons[wr] + " (" + wait + ")"
			}
		}
		start := "-"
		if g.startPC != 0 {
			start = s.funcName(g.startPC)
		}
		list.rows = append(list.rows, gRow{g.goid, []string{mark, strconv.FormatUint(g.goid, 10), status, v.mID(g.m), start, where, wait}})
	}
	// allgs is in allocation order, and dead gs are reused: by id reads
	// better.
	sort.SliceStable(list.rows, func(i, j int) bool { return list.rows[i].goid < list.rows[j].goid })
	return list, nil
}

// mRow is what ms shows of an M.
type mRow struct {
	addr                   uint64 // of the runtime.m
	id                     int64
	tid, curg, p           uint64
	spinning, haveSpinning bool
}

func (s *Session) cmdMs(args string) error {
	if a := strings.TrimSpace(args); a != "" {
		return fmt.Errorf("ms takes no argument, got %q", a)
	}
	v, err := s.view("ms")
	if err != nil {
		return err
	}
	rows, none, err := s.listMs(v)
	if err != nil {
		return err
	}
	if none {
		s.printf("No Ms yet (runtime.allm is nil).\n")
		return nil
	}
	_, curM := v.current()
	out := [][]string{{"", "M", "tid", "curg", "P", "spinning"}}
	for _, r := range rows {
		mark := " "
		if r.addr == curM {
			mark = "*"
		}
		tid := "-"
		if r.tid != 0 {
			tid = strconv.FormatUint(r.tid, 10)
		}
		spinning := "?"
		if r.haveSpinning {
			spinning = strconv.FormatBool(r.spinning)
		}
		out = append(out, []string{mark, strconv.FormatInt(r.id, 10), tid, v.goid(r.curg), v.pID(r.p), spinning})
	}
	s.table(out, 1, 2, 3, 4)
	return nil
}

// listMs reads the Ms of the runtime.allm list, by id; none reports that
// the list is empty.
func (s *Session) listMs(v *rtView) (rows []mRow, none bool, err error) {
	allm, err := v.global("runtime.allm")
	if err != nil {
		return nil, false, fmt.Errorf("ms: %v", err)
	}
	mp, err := allm.Uint()
	if err != nil {
		return nil, false, fmt.Errorf("ms: %v", err)
	}
	if mp == 0 {
		return nil, true, nil
	}
	addrs := map[uint64]bool{}
	for mp != 0 && !addrs[mp] && len(rows) < maxViewMs {
		addrs[mp] = true
		mv, err := v.info.At("runtime.m", mp, s.t)
		if err != nil {
			return nil, false, err
		}
		ms, err := v.rt.m(mp)
		if err != nil {
			return nil, false, fmt.Errorf("ms: M at %#x: %v", mp, err)
		}
		r := mRow{addr: mp, id: ms.id, curg: ms.curg}
		if r.tid, err = uintPath(mv, "procid"); err != nil {
			return nil, false, fmt.Errorf("ms: %v", err)
		}
		if r.p, err = uintPath(mv, "p"); err != nil {
			return nil, false, fmt.Errorf("ms: %v", err)
		}
		if sp, err := uintPath(mv, "spinning"); err == nil {
			r.spinning, r.haveSpinning = sp != 0, true
		}
		rows = append(rows, r)
		if mp, err = uintPath(mv, "alllink"); err != nil {
			return nil, false, fmt.Errorf("ms: %v", err)
		}
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].id < rows[b].id })
	return rows, false, nil
}

// pID returns the id of the P at addr (a puintptr or *p), "-" for none.
func (v *rtView) pID(addr uint64) string {
	if addr == 0 {
		return "-"
	}
	pv, err := v.info.At("runtime.p", addr, v.s.t)
	if err == nil {
		var id godwarf.Value
		if id, err = pv.Field("id"); err == nil {
			var n int64
			if n, err = id.Int(); err == nil {
				return strconv.FormatInt(n, 10)
			}
		}
	}
	return fmt.Sprintf("?%#x", addr)
}

func (s *Session) cmdPs(args string) error {
	if a := strings.TrimSpace(args); a != "" {
		return fmt.Errorf("ps takes no argument, got %q", a)
	}
	v, err := s.view("ps")
	if err != nil {
		return err
	}
	ps, err := v.pointers("runtime.allp", -1, maxViewPs)
	if err != nil {
		return fmt.Errorf("ps: %v", err)
	}
	if len(ps) == 0 {
		s.printf("No Ps yet (runtime.allp is empty until schedinit calls procresize).\n")
		return nil
	}
	statuses := v.statusNames(pStatusConst, "", fallbackPStatus)
	var curP uint64
	if _, curM := v.current(); curM != 0 {
		if mv, err := v.info.At("runtime.m", curM, s.t); err == nil {
			curP, _ = uintPath(mv, "p")
		}
	}
	rows := [][]string{{"", "P", "status", "runq", "runnext", "M"}}
	for _, addr := range ps {
		if addr == 0 {
			continue
		}
		pv, err := v.info.At("runtime.p", addr, s.t)
		if err != nil {
			return err
		}
		id := v.pID(addr)
		st, err := uintPath(pv, "status")
		if err != nil {
			return fmt.Errorf("ps: %v", err)
		}
		status, ok := statuses[st]
		if !ok {
			status = strconv.FormatUint(st, 10)
		}
		runq := "?"
		head, herr := uintPath(pv, "runqhead")
		tail, terr := uintPath(pv, "runqtail")
		if herr == nil && terr == nil {
			runq = strconv.FormatUint(uint64(uint32(tail-head)), 10)
		}
		next := "-"
		if n, err := uintPath(pv, "runnext"); err == nil {
			next = v.goid(n)
		}
		m, err := uintPath(pv, "m")
		if err != nil {
			return fmt.Errorf("ps: %v", err)
		}
		mark := " "
		if addr == curP {
			mark = "*"
		}
		rows = append(rows, []string{mark, id, status, runq, next, v.mID(m)})
	}
	s.table(rows, 1, 3, 4, 5)
	return nil
}

// schedFields are the counters sched shows, each the first of its
// alternatives that the binary has.
var schedFields = []struct {
	paths []string
	help  string
}{
	{[]string{"runtime.gomaxprocs"}, "GOMAXPROCS"},
	{[]string{"runtime.ncpu", "runtime.numCPUStartup"}, "CPUs the runtime found at start"},
	{[]string{"runtime.sched.runq.size", "runtime.sched.runqsize"}, "goroutines in the global run queue"},
	{[]string{"runtime.sched.npidle"}, "idle Ps"},
	{[]string{"runtime.sched.nmspinning"}, "Ms spinning, looking for work"},
	{[]string{"runtime.sched.needspinning"}, "a P wants an M to start spinning"},
	{[]string{"runtime.sched.nmidle"}, "idle Ms"},
	{[]string{"runtime.sched.nmidlelocked"}, "idle Ms locked to a goroutine"},
	{[]string{"runtime.sched.mnext"}, "Ms created so far, and the next M's id"},
	{[]string{"runtime.sched.maxmcount"}, "most Ms allowed"},
	{[]string{"runtime.sched.nmsys"}, "system Ms, not counted for deadlock"},
	{[]string{"runtime.sched.nmfreed"}, "Ms freed"},
	{[]string{"runtime.sched.goidgen"}, "goroutine ids handed out (Ps take them in batches)"},
	{[]string{"runtime.allglen"}, "goroutines ever allocated, dead ones included"},
	{[]string{"runtime.sched.ngsys"}, "system goroutines"},
	{[]string{"runtime.sched.nGsyscallNoP"}, "goroutines in syscalls without a P"},
	{[]string{"runtime.sched.gcwaiting"}, "the GC is stopping the world"},
	{[]string{"runtime.sched.stopwait"}, "Ps a stopping world still waits for"},
	{[]string{"runtime.sched.sysmonwait"}, "sysmon is parked"},
}

func (s *Session) cmdSched(args string) error {
	if a := strings.TrimSpace(args); a != "" {
		return fmt.Errorf("sched takes no argument, got %q", a)
	}
	v, err := s.view("sched")
	if err != nil {
		return err
	}
	if _, err := v.global("runtime.sched"); err != nil {
		return fmt.Errorf("sched: %v", err)
	}
	var rows [][]string
	for _, f := range schedFields {
		for _, p := range f.paths {
			val, err := v.global(p)
			if err != nil {
				continue
			}
			str := val.String()
			if n, err := val.Int(); err == nil && str != "true" && str != "false" {
				str = strconv.FormatInt(n, 10) // uintptr counters too
			}
			rows = append(rows, []string{p, str, f.help})
			break
		}
	}
	if len(rows) == 0 {
		return errors.New("sched: runtime.sched has none of the counters this command knows")
	}
	s.table(rows, 1)
	return nil
}

// cmdGoroutine shows goroutine ID's stack, as delve's 'goroutine ID bt'
// does: a running goroutine's from its thread (across the g0 or gsignal
// switch when the M is in the runtime for it), a parked one's from the
// context it saved when it was switched out (g.sched).
func (s *Session) cmdGoroutine(args string) error {
	id, err := strconv.ParseUint(strings.TrimSpace(args), 10, 64)
	if err != nil {
		return fmt.Errorf("want a goroutine id, got %q ('goroutines' lists them)", strings.TrimSpace(args))
	}
	v, err := s.view("goroutine")
	if err != nil {
		return err
	}
	gs, err := v.pointers("runtime.allgs", -1, maxViewGs)
	if err != nil {
		return fmt.Errorf("goroutine: %v", err)
	}
	var g gState
	found := false
	for _, addr := range gs {
		if gg, err := v.rt.g(addr); err == nil && addr != 0 && gg.goid == id {
			g, found = gg, true
			break
		}
	}
	if !found {
		return fmt.Errorf("no goroutine %d; 'goroutines' lists them", id)
	}
	if on, ok := v.running()[g.addr]; ok {
		t := on.t
		s.printf("goroutine %d, running on thread %d:\n", id, t.Tid)
		frames, err := s.threadFrames(t.Tid, t.PC, t.SP, t.FSBase)
		s.printFrames(frames, err, false)
		return nil
	}
	if g.schedPC == 0 {
		return fmt.Errorf("goroutine %d has no saved context (g.sched.pc is 0)", id)
	}
	s.printf("goroutine %d, parked (from g.sched):\n", id)
	walked, err := unwind.Walk(s.cfg.File, s.t, g.savedStart(s.cfg.File), 100)
	frames := make([]shownFrame, len(walked))
	for i, f := range walked {
		frames[i] = shownFrame{Frame: f}
	}
	s.printFrames(frames, err, false)
	return nil
}
