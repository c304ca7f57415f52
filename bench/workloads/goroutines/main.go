// Command goroutines is the scheduling workload of the benchmark harness:
// two goroutines ping-pong over unbuffered channels, then 100 goroutines
// increment a counter behind a mutex.
package main

import (
	"fmt"
	"sync"
)

const (
	roundTrips = 20000
	workers    = 100
	increments = 1000
)

func pingPong() int {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < roundTrips; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	<-pong
	return v
}

func counter() int {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
		n  int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < increments; i++ {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return n
}

func main() {
	fmt.Printf("goroutines: ping-pong %d round trips, counter %d\n", pingPong(), counter())
}
