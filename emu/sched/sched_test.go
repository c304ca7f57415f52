package sched

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gouth-emu/gouth-emu/syscalls"
)

// completeTimedOut is a Completer that returns 1 for a timeout, 0 for a wake.
func completeTimedOut(w *syscalls.Wait, timedOut bool) uint64 {
	if timedOut {
		return 1
	}
	return 0
}

func newThreads(s *Scheduler, tids ...int) []*Thread {
	var out []*Thread
	for _, tid := range tids {
		t := &Thread{Tid: tid}
		s.Add(t)
		out = append(out, t)
	}
	return out
}

func futexWait(addr uint64, deadline int64) *syscalls.Wait {
	return &syscalls.Wait{Kind: "futex", Addr: addr, Deadline: deadline}
}

func TestRoundRobinOrder(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1003, 1000, 1001)
	var got []int
	var cur *Thread
	for i := 0; i < 6; i++ {
		next, err := s.Next(cur, false)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, next.Tid)
		cur = next
	}
	if want := []int{1000, 1001, 1003, 1000, 1001, 1003}; !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	// keep: a thread that made a non-blocking syscall goes on running.
	if next, _ := s.Next(th[0], true); next != th[0] {
		t.Fatalf("Next(keep) = %d, want %d", next.Tid, th[0].Tid)
	}
}

func TestFutexWakeFIFO(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1, 2, 3, 4)
	s.Block(th[2], futexWait(0x100, syscalls.NoDeadline))
	s.Block(th[0], futexWait(0x100, syscalls.NoDeadline))
	s.Block(th[1], futexWait(0x200, syscalls.NoDeadline))
	if n := s.FutexWake(0x100, 1); n != 1 {
		t.Fatalf("FutexWake(0x100, 1) = %d, want 1", n)
	}
	if th[2].State != Runnable || th[0].State != Blocked {
		t.Fatalf("states after one wake: thread 3 %v, thread 1 %v; want the first waiter (3) woken", th[2].State, th[0].State)
	}
	if !th[2].Pending || th[2].Result != 0 {
		t.Fatalf("woken thread result = %d pending %v, want 0 pending", th[2].Result, th[2].Pending)
	}
	if n := s.FutexWake(0x100, 10); n != 1 {
		t.Fatalf("FutexWake(0x100, 10) = %d, want 1", n)
	}
	if n := s.FutexWake(0x300, 1); n != 0 {
		t.Fatalf("FutexWake on an address with no waiters = %d, want 0", n)
	}
	if th[1].State != Blocked {
		t.Fatalf("thread on another address was woken")
	}
}

func TestTimeoutJumpsClock(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1, 2)
	s.Advance(500)
	s.Block(th[0], futexWait(0x100, 5000))
	s.Block(th[1], &syscalls.Wait{Kind: "sleep", Deadline: 3000})
	next, err := s.Next(th[1], false)
	if err != nil {
		t.Fatal(err)
	}
	if next != th[1] || s.Now() != 3000 {
		t.Fatalf("Next = thread %d at t=%d, want thread 2 at t=3000", next.Tid, s.Now())
	}
	if th[1].Result != 1 {
		t.Fatalf("sleeper result = %d, want the timeout result 1", th[1].Result)
	}
	s.Block(th[1], &syscalls.Wait{Kind: "sleep", Deadline: 9000})
	next, _ = s.Next(th[1], false)
	if next != th[0] || s.Now() != 5000 || th[0].Result != 1 {
		t.Fatalf("Next = thread %d at t=%d result %d, want thread 1 at t=5000 timed out", next.Tid, s.Now(), th[0].Result)
	}
}

func TestReadyPolled(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1, 2)
	ready := false
	s.Block(th[0], &syscalls.Wait{Kind: "epoll", Deadline: syscalls.NoDeadline, Ready: func() bool { return ready }})
	if next, _ := s.Next(th[1], false); next != th[1] {
		t.Fatalf("Next = %d, want 2 while 1 is not ready", next.Tid)
	}
	ready = true
	if next, _ := s.Next(th[1], false); next != th[0] || th[0].Result != 0 {
		t.Fatalf("Next = %d result %d, want 1 woken as ready", next.Tid, th[0].Result)
	}
}

func TestDeadlock(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1000, 1001)
	s.Block(th[0], futexWait(0x4000, syscalls.NoDeadline))
	s.Block(th[1], &syscalls.Wait{Kind: "epoll", Deadline: syscalls.NoDeadline, Ready: func() bool { return false }})
	_, err := s.Next(th[0], false)
	var d *DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("Next err = %v, want a deadlock", err)
	}
	want := []string{"thread 1000: blocked on futex 0x4000", "thread 1001: blocked in epoll"}
	if !reflect.DeepEqual(d.Threads, want) {
		t.Fatalf("deadlock report = %q, want %q", d.Threads, want)
	}
}

func TestExitLastThread(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1)
	s.Exit(th[0])
	if next, err := s.Next(th[0], false); next != nil || err != nil {
		t.Fatalf("Next with no threads = %v, %v; want nil, nil", next, err)
	}
}

// TestFutexWakeDoesNotAllocate: waking waiters is on the syscall fast path
// of every channel and mutex handoff between threads.
func TestFutexWakeDoesNotAllocate(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1, 2, 3)
	waits := []*syscalls.Wait{futexWait(0x100, syscalls.NoDeadline), futexWait(0x100, syscalls.NoDeadline)}
	allocs := testing.AllocsPerRun(100, func() {
		s.Block(th[1], waits[0])
		s.Block(th[2], waits[1])
		if n := s.FutexWake(0x100, 1); n != 1 {
			t.Fatalf("FutexWake(0x100, 1) = %d, want 1", n)
		}
		if n := s.FutexWake(0x100, 1<<30); n != 1 {
			t.Fatalf("FutexWake(0x100, all) = %d, want the 1 left", n)
		}
	})
	if allocs != 0 {
		t.Errorf("FutexWake allocated %.1f times per round, want 0", allocs)
	}
}

func TestLookup(t *testing.T) {
	s := New(completeTimedOut)
	th := newThreads(s, 1003, 1000, 1001)
	s.Exit(th[2])
	tests := []struct {
		tid  int
		want *Thread
	}{{1000, th[1]}, {1003, th[0]}, {1001, nil}, {1002, nil}, {999, nil}, {1004, nil}}
	for _, tt := range tests {
		if got := s.Lookup(tt.tid); got != tt.want {
			t.Errorf("Lookup(%d) = %v, want %v", tt.tid, got, tt.want)
		}
	}
	if got := s.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2 after one exit", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { s.Lookup(1003) }); allocs != 0 {
		t.Errorf("Lookup allocated %.1f times, want 0", allocs)
	}
}
