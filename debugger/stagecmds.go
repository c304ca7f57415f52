package debugger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/target"
)

// The boot-stage commands: the reason gouth-emu exists. Stages are watched
// with internal breakpoints that are dropped once reached, so they cost a
// few dozen stops per run; the commands are in the table (commands.go).

func (s *Session) cmdStage(args string) error {
	a := strings.TrimSpace(args)
	if a == "-" {
		r := s.previousStage()
		if r == nil {
			return errors.New("no stage was reached before this point")
		}
		return s.stageAgain(r)
	}
	var want *stages.Resolved
	if a != "" {
		r, err := s.stages.Find(a)
		if err != nil {
			return err
		}
		if r.Symbol == "" {
			return fmt.Errorf("stage %s cannot be reached in this binary: %s", r.ID, r.Why)
		}
		if r.Reached {
			return s.stageAgain(r)
		}
		want = r
	}
	if err := s.ready(NeedsLive); err != nil {
		return err
	}
	return s.runToStage(want, true)
}

// runToStage runs to stage want (nil: the next one) and explains it; a
// stop on the way is reported instead if stopOnTheWay is set, else passed
// (the guest's end and an interrupt always stop it).
func (s *Session) runToStage(want *stages.Resolved, stopOnTheWay bool) error {
	prevSyscalls := s.lastStageSyscalls
	// Signals are not stopped at on the way: a stage is the stop asked for.
	for {
		st := s.t.Continue(target.Resume{IgnoreSignals: true, AtStage: func() bool {
			return want == nil || s.stages.Last() == want
		}})
		if st.Stage {
			r := s.stages.Last()
			s.banner(r, prevSyscalls)
			s.lastStageSyscalls = r.Syscalls
			s.frame = 0
			s.t.Select(st.Tid)
			s.printCurrent(st.PC, st.Tid)
			return nil
		}
		if stopOnTheWay || st.Kind == target.StopExited || st.Kind == target.StopPaused {
			s.hit(st)
			s.reportStop(st)
			return nil
		}
	}
}

// previousStage is the last stage reached before the current point.
func (s *Session) previousStage() *stages.Resolved {
	now := s.t.Insns()
	var prev *stages.Resolved
	for _, r := range s.stages.Stages() {
		if r.Reached && r.Insns < now && (prev == nil || r.Insns > prev.Insns) {
			prev = r
		}
	}
	return prev
}

// stageAgain goes back to stage r, which was reached: the guest runs
// again from its start (see goto) to it, passing the user's breakpoints,
// and the stage is explained as when it was first reached.
func (s *Session) stageAgain(r *stages.Resolved) error {
	if err := s.canGoBack(); err != nil {
		return err
	}
	// The banner counts syscalls, and shows watches, since the stage
	// reached before r, as walking the stages forward does.
	var before *stages.Resolved
	for _, p := range s.stages.Stages() {
		if p.Reached && p.Insns < r.Insns && (before == nil || p.Insns > before.Insns) {
			before = p
		}
	}
	if err := s.rewind(); err != nil {
		return err
	}
	want, err := s.stages.Find(r.ID)
	if err != nil {
		return err
	}
	if before != nil {
		s.lastStageSyscalls = before.Syscalls
		s.prevStage, _ = s.stages.Find(before.ID)
	}
	defer s.liftBreakpoints()()
	err = s.runToStage(want, false)
	s.t.TakeExits()
	return err
}

// banner explains a stage: heading, text, watches, syscalls since the
// previous stage.
func (s *Session) banner(r *stages.Resolved, prevSyscalls uint64) {
	s.printf("%s\n", r.Heading(s.stages.Total()))
	s.printf("%s\n", wrap(r.Variant.Text, 78, "   "))
	if slot, ok := r.FuncArgAt(s.cfg.File.Version()); ok {
		if fn := s.funcArg(slot); fn != "" {
			s.printf("   start function of the new goroutine: %s\n", fn)
		}
	}
	// The previous stage's watches show what it did; this stage's show
	// the state it starts from.
	if p := s.prevStage; p != nil && len(p.Variant.Watch) > 0 {
		s.watches("watched since "+p.Symbol+", now:", p.Variant.Watch)
	}
	s.watches("at "+r.Symbol+":", r.Variant.Watch)
	s.prevStage = r
	n := int(r.Syscalls - prevSyscalls)
	if n > 0 {
		s.printf("   syscalls since the previous stage: %d\n", n)
		hist := s.t.History(min(n, 8))
		if n > len(hist) {
			s.printf("     ...\n")
		}
		for _, l := range hist {
			s.printf("     %s\n", l)
		}
	}
}

func (s *Session) watches(label string, exprs []string) {
	info, err := s.dwarf()
	if err != nil || len(exprs) == 0 {
		return
	}
	var lines []string
	for _, w := range exprs {
		// The table's watches use the book's names: a renamed one shows
		// as print shows it; one with no value yet (allgs[0] before the
		// first goroutine) is left out.
		if name, v, err := s.evalNamed(info, w); err == nil {
			lines = append(lines, fmt.Sprintf("     %s = %s", name.Label(), truncate(v.String(), 160)))
		}
	}
	if len(lines) > 0 {
		s.printf("   %s\n%s\n", label, strings.Join(lines, "\n"))
	}
}

// funcArg names the code of the *funcval that the function the thread
// just entered takes, found where slot says (a register, or the stack
// above the return address).
func (s *Session) funcArg(slot stages.ArgSlot) string {
	var fv uint64
	if slot.Reg != "" {
		reg, ok := abi.ByName(slot.Reg)
		if !ok {
			return ""
		}
		fv = s.t.Reg(reg)
	} else {
		var b [8]byte
		if s.t.Peek(s.t.Reg(abi.RSP)+uint64(slot.SP), b[:]) != nil {
			return ""
		}
		fv = binary.LittleEndian.Uint64(b[:])
	}
	var b [8]byte
	if fv == 0 || s.t.Peek(fv, b[:]) != nil {
		return ""
	}
	code := binary.LittleEndian.Uint64(b[:])
	if sym, off, ok := s.syms.ByAddr(code); ok && off == 0 {
		return sym.Name
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// wrap fills text to width with an indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line)+len(w)+1 > width && line != indent {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += w + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

func (s *Session) cmdStages(string) error {
	s.printf("%s: %d boot stages reachable\n", s.cfg.File.GoVersion, s.stages.Total())
	for _, r := range s.stages.Stages() {
		s.printf("%s\n", s.stageRow(r))
	}
	return nil
}

func (s *Session) stageRow(r *stages.Resolved) string {
	indent := ""
	if r.Parent != "" {
		indent = "  "
	}
	num, state := "  -", r.Why
	if r.Symbol != "" {
		num = fmt.Sprintf("%3d", r.N)
		state = "not reached"
		if r.Reached {
			state = fmt.Sprintf("reached at insn %d, thread %d", r.Insns, r.Tid)
		}
	}
	name := r.Symbol
	if name == "" {
		name = r.Symbols[0]
	}
	if r.Later {
		state += " (first use)"
	}
	return fmt.Sprintf("%s %s%-28s ch.%-2d %s", num, indent, name, r.Chapter, state)
}

func (s *Session) cmdChapter(args string) error {
	n, err := strconv.Atoi(strings.TrimSpace(args))
	ch, ok := stages.Chapters[n]
	if err != nil || !ok {
		return fmt.Errorf("want a chapter number 1-%d", len(stages.Chapters))
	}
	path := ch.Path
	if path == "" {
		path = "not written yet"
	}
	s.printf("Chapter %d: %s (%s)\n", ch.N, ch.Title, path)
	any := false
	for _, r := range s.stages.Stages() {
		if r.Chapter == n {
			s.printf("%s\n", s.stageRow(r))
			any = true
		}
	}
	if !any {
		s.printf("   no boot stage is explained in this chapter\n")
	}
	return nil
}
