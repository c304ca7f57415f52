// Command numg parks a few goroutines and reports runtime.NumGoroutine, so
// the debugger's goroutine list can be checked against the runtime's count.
package main

import (
	"fmt"
	"runtime"
	"time"
)

//go:noinline
func report(n int) { fmt.Println("NumGoroutine:", n) }

func main() {
	block := make(chan bool)
	for i := 0; i < 5; i++ {
		go func() { <-block }()
	}
	time.Sleep(time.Millisecond) // let them all park
	report(runtime.NumGoroutine())
	close(block)
}
