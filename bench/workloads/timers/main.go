// Command timers is the timer workload of the benchmark harness: 2,000
// short timers, half time.AfterFunc and half time.Sleep, spread over 20
// goroutines.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	goroutines = 20
	perG       = 100 // timers per goroutine: half AfterFunc, half Sleep
)

func main() {
	var fired, slept atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var done sync.WaitGroup
			for i := 0; i < perG/2; i++ {
				d := time.Duration(500+(g*37+i*11)%1000) * time.Microsecond
				done.Add(1)
				time.AfterFunc(d, func() {
					fired.Add(1)
					done.Done()
				})
				time.Sleep(d)
				slept.Add(1)
			}
			done.Wait()
		}(g)
	}
	wg.Wait()
	fmt.Printf("timers: %d AfterFunc fired, %d sleeps done\n", fired.Load(), slept.Load())
}
