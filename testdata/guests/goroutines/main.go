// Command goroutines exercises goroutines, channels, a mutex, a WaitGroup
// and select. Its output does not depend on scheduling order.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

const (
	workers    = 8
	increments = 10000
	items      = 1000
)

// mutexCounter has many goroutines bump one shared counter.
func mutexCounter() int {
	var (
		mu sync.Mutex
		n  int
		wg sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < increments; i++ {
				mu.Lock()
				n++
				mu.Unlock()
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	return n
}

// pipeline passes 1..items through three stages: square, add one, sum.
func pipeline() (sum, count int) {
	src := make(chan int)     // unbuffered
	sq := make(chan int, 16)  // buffered
	inc := make(chan int, 64) // buffered
	go func() {
		for i := 1; i <= items; i++ {
			src <- i
		}
		close(src)
	}()
	go func() {
		for v := range src {
			sq <- v * v
		}
		close(sq)
	}()
	go func() {
		for v := range sq {
			inc <- v + 1
		}
		close(inc)
	}()
	for v := range inc {
		sum += v
		count++
	}
	return sum, count
}

// fanIn has producers send on two channels; a select merges them until
// both are closed. Totals per channel are order-independent.
func fanIn() (a, b, n int) {
	ca := make(chan int)
	cb := make(chan int, 8)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 500; i++ {
			ca <- i
		}
		close(ca)
	}()
	go func() {
		for i := 0; i < 300; i++ {
			cb <- 2 * i
		}
		close(cb)
	}()
	go func() {
		defer close(done)
		for ca != nil || cb != nil {
			select {
			case v, ok := <-ca:
				if !ok {
					ca = nil
					continue
				}
				a += v
				n++
			case v, ok := <-cb:
				if !ok {
					cb = nil
					continue
				}
				b += v
				n++
			}
		}
	}()
	<-done
	return a, b, n
}

// workerResults computes per-worker results gathered by index.
func workerResults() []int {
	res := make([]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			h := uint32(2166136261)
			for i := 0; i < 20000; i++ {
				h ^= uint32(id*31 + i)
				h *= 16777619
			}
			res[id] = int(h % 100000)
		}(w)
	}
	wg.Wait()
	return res
}

func main() {
	fmt.Printf("mutex counter: %d (want %d)\n", mutexCounter(), workers*increments)
	s, c := pipeline()
	fmt.Printf("pipeline: sum=%d count=%d\n", s, c)
	a, b, n := fanIn()
	fmt.Printf("select: a=%d b=%d received=%d\n", a, b, n)
	fmt.Printf("workers: %v\n", workerResults())
	fmt.Printf("NumCPU: %d\n", runtime.NumCPU())
}
