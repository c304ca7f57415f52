// Command preempt needs asynchronous preemption: one goroutine spins in a
// loop without calls while main asks for garbage collections, which must
// stop the world and so preempt the spinner with SIGURG.
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
)

var stop atomic.Bool

func spin(counter *uint64) {
	var n uint64
	for !stop.Load() {
		n++
	}
	*counter = n
}

func main() {
	var counter uint64
	done := make(chan bool)
	go func() { spin(&counter); done <- true }()
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	stop.Store(true)
	<-done
	fmt.Println("GC cycles done while a goroutine spun; spinner ran:", counter > 0)
}
