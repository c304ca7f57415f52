// Package sched is the deterministic scheduler of guest threads: one CPU,
// threads taken in tid order, a switch at every blocking syscall and at the
// end of each instruction quantum, futex wait queues, and the virtual clock
// that jumps to the next timeout when every thread sleeps. It knows nothing
// of Unicorn; package emu saves and restores the CPU state it names.
package sched

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gouth-emu/gouth-emu/syscalls"
)

// State is a thread's scheduling state.
type State int

const (
	Runnable State = iota
	Blocked
	Exited
)

func (s State) String() string {
	return [...]string{"runnable", "blocked", "exited"}[s]
}

// Thread is one guest thread as the scheduler sees it.
type Thread struct {
	Tid   int
	State State
	Wait  *syscalls.Wait // while Blocked

	// Result is the RAX value a woken thread's syscall returns; Pending says
	// that the machine must still write it into the thread's registers.
	Result  uint64
	Pending bool
	// Rewind asks the machine to re-execute the syscall instruction
	// (RIP - 2): the call was interrupted by a signal and restarts.
	Rewind bool

	// Ctx is the machine's saved CPU state for this thread.
	Ctx any

	blockSeq uint64
}

// Completer computes a woken thread's syscall result (the kernel's Complete).
type Completer func(w *syscalls.Wait, timedOut bool) uint64

// Scheduler owns the threads and the virtual clock. It is used from the
// emulator's run loop only.
type Scheduler struct {
	threads  []*Thread // live threads in tid order
	now      int64
	complete Completer
	seq      uint64
}

// New returns a scheduler whose clock starts at 0.
func New(complete Completer) *Scheduler { return &Scheduler{complete: complete} }

// Now is the virtual time in nanoseconds.
func (s *Scheduler) Now() int64 { return s.now }

// Advance moves the clock forward by ns (the cost of executed instructions).
func (s *Scheduler) Advance(ns int64) {
	if ns > 0 {
		s.now += ns
	}
}

// Add registers a new runnable thread.
func (s *Scheduler) Add(t *Thread) {
	t.State = Runnable
	i := sort.Search(len(s.threads), func(i int) bool { return s.threads[i].Tid >= t.Tid })
	s.threads = append(s.threads, nil)
	copy(s.threads[i+1:], s.threads[i:])
	s.threads[i] = t
}

// Threads returns the live threads in tid order, in a new slice the caller
// may keep.
func (s *Scheduler) Threads() []*Thread { return append([]*Thread(nil), s.threads...) }

// Len returns the number of live threads.
func (s *Scheduler) Len() int { return len(s.threads) }

// Lookup returns the live thread tid, or nil.
func (s *Scheduler) Lookup(tid int) *Thread {
	i := sort.Search(len(s.threads), func(i int) bool { return s.threads[i].Tid >= tid })
	if i < len(s.threads) && s.threads[i].Tid == tid {
		return s.threads[i]
	}
	return nil
}

// Block puts t to sleep on w.
func (s *Scheduler) Block(t *Thread, w *syscalls.Wait) {
	s.seq++
	t.State, t.Wait, t.blockSeq = Blocked, w, s.seq
}

// Exit removes t from scheduling.
func (s *Scheduler) Exit(t *Thread) {
	t.State = Exited
	t.Wait = nil
	for i, x := range s.threads {
		if x == t {
			s.threads = append(s.threads[:i], s.threads[i+1:]...)
			return
		}
	}
}

func (s *Scheduler) wake(t *Thread, timedOut bool) {
	w := t.Wait
	t.State, t.Wait = Runnable, nil
	t.Result, t.Pending = s.complete(w, timedOut), true
}

// Interrupt ends t's sleep early, with rax as the syscall's result (or the
// syscall number, with rewind set, to restart the call).
func (s *Scheduler) Interrupt(t *Thread, rax uint64, rewind bool) {
	t.State, t.Wait = Runnable, nil
	t.Result, t.Pending, t.Rewind = rax, true, rewind
}

// FutexWake wakes up to n threads waiting on addr, longest waiter first.
// It allocates nothing: each round takes the longest waiter left (n is 1
// in Go's common case, and guest thread counts are small).
func (s *Scheduler) FutexWake(addr uint64, n int) int {
	woken := 0
	for woken < n {
		var first *Thread
		for _, t := range s.threads {
			if t.State == Blocked && t.Wait.Kind == "futex" && t.Wait.Addr == addr &&
				(first == nil || t.blockSeq < first.blockSeq) {
				first = t
			}
		}
		if first == nil {
			break
		}
		s.wake(first, false)
		woken++
	}
	return woken
}

// poll wakes sleepers whose deadline passed or whose condition holds.
func (s *Scheduler) poll() {
	for _, t := range s.threads {
		if t.State != Blocked {
			continue
		}
		switch {
		case t.Wait.Ready != nil && t.Wait.Ready():
			s.wake(t, false)
		case t.Wait.Deadline != syscalls.NoDeadline && t.Wait.Deadline <= s.now:
			s.wake(t, true)
		}
	}
}

// Next chooses the thread to run after prev. With keep set and prev still
// runnable, prev goes on (a syscall that did not block); otherwise threads
// are taken round-robin in tid order after prev. When every thread sleeps,
// the clock jumps to the earliest deadline. With no thread left Next
// returns nil, nil; when all sleep forever it returns a *DeadlockError.
func (s *Scheduler) Next(prev *Thread, keep bool) (*Thread, error) {
	for {
		s.poll()
		if len(s.threads) == 0 {
			return nil, nil
		}
		if keep && prev != nil && prev.State == Runnable {
			return prev, nil
		}
		start := 0
		if prev != nil {
			start = sort.Search(len(s.threads), func(i int) bool { return s.threads[i].Tid > prev.Tid })
		}
		for i := 0; i < len(s.threads); i++ {
			t := s.threads[(start+i)%len(s.threads)]
			if t.State == Runnable {
				return t, nil
			}
		}
		next := syscalls.NoDeadline
		for _, t := range s.threads {
			if d := t.Wait.Deadline; d != syscalls.NoDeadline && (next == syscalls.NoDeadline || d < next) {
				next = d
			}
		}
		if next == syscalls.NoDeadline {
			return nil, &DeadlockError{Now: s.now, Threads: s.Describe()}
		}
		if next > s.now {
			s.now = next
		}
	}
}

// Describe lists every live thread's state, one line each.
func (s *Scheduler) Describe() []string {
	var out []string
	for _, t := range s.threads {
		state := t.State.String()
		if t.State == Blocked {
			state = DescribeWait(t.Wait)
		}
		out = append(out, fmt.Sprintf("thread %d: %s", t.Tid, state))
	}
	return out
}

// DescribeWait says what a blocked thread waits for: "blocked on futex
// 0x4000", "sleeping until t=5000ns", "blocked in epoll".
func DescribeWait(w *syscalls.Wait) string {
	var s string
	switch w.Kind {
	case "futex":
		s = fmt.Sprintf("blocked on futex %#x", w.Addr)
	case "sleep":
		s = "sleeping"
	default:
		s = "blocked in " + w.Kind
	}
	if w.Deadline != syscalls.NoDeadline {
		s += fmt.Sprintf(" until t=%dns", w.Deadline)
	}
	return s
}

// DeadlockError reports that every thread sleeps with nothing to wake it.
type DeadlockError struct {
	Now     int64
	Threads []string
}

func (e *DeadlockError) Error() string {
	return "deadlock: every guest thread is blocked with no timeout (" + strings.Join(e.Threads, "; ") + ")"
}
