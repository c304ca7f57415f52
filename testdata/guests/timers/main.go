// Command timers exercises sleeps, timers, a ticker and a context deadline.
// The order of events is fixed by construction (distinct durations, one
// step at a time), and elapsed times are printed only as comparisons.
package main

import (
	"context"
	"fmt"
	"time"
)

func check(name string, start time.Time, want time.Duration) {
	fmt.Printf("%s: elapsed >= %v: %v\n", name, want, time.Since(start) >= want)
}

func main() {
	// Plain sleep.
	start := time.Now()
	time.Sleep(5 * time.Millisecond)
	check("sleep", start, 5*time.Millisecond)

	// Two time.After channels of different lengths: the shorter fires first.
	start = time.Now()
	short := time.After(3 * time.Millisecond)
	long := time.After(12 * time.Millisecond)
	var order []string
	for len(order) < 2 {
		select {
		case <-short:
			order = append(order, "short")
			check("after short", start, 3*time.Millisecond)
			short = nil
		case <-long:
			order = append(order, "long")
			check("after long", start, 12*time.Millisecond)
			long = nil
		}
	}
	fmt.Printf("after order: %v\n", order)

	// A timer stopped before it fires does not fire.
	t := time.NewTimer(time.Hour)
	fmt.Printf("stop active timer: %v\n", t.Stop())
	select {
	case <-t.C:
		fmt.Println("stopped timer fired (unexpected)")
	case <-time.After(4 * time.Millisecond):
		fmt.Println("stopped timer stayed quiet")
	}

	// Reset makes it fire after the new duration.
	start = time.Now()
	t.Reset(6 * time.Millisecond)
	<-t.C
	check("reset timer", start, 6*time.Millisecond)
	fmt.Printf("stop fired timer: %v\n", t.Stop())

	// A ticker ticks three times.
	start = time.Now()
	tk := time.NewTicker(2 * time.Millisecond)
	ticks := 0
	for ticks < 3 {
		<-tk.C
		ticks++
		fmt.Printf("tick %d\n", ticks)
	}
	tk.Stop()
	check("three ticks", start, 6*time.Millisecond)

	// A context deadline beats a longer timer.
	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		fmt.Printf("context done: %v\n", ctx.Err())
	case <-time.After(time.Second):
		fmt.Println("timer beat the context (unexpected)")
	}
	check("context", start, 5*time.Millisecond)

	// Events from goroutines sleeping for distinct lengths arrive in order.
	// The gaps are wide so that a loaded host cannot reorder the native run.
	events := make(chan int, 3)
	for _, ms := range []int{100, 5, 50} {
		go func(ms int) {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			events <- ms
		}(ms)
	}
	got := []int{<-events, <-events, <-events}
	fmt.Printf("sleeper order: %v\n", got)
}
