// Command timerblock blocks main on a channel that only a timer's callback
// fills, so the process must sleep until the timer fires.
package main

import (
	"fmt"
	"time"
)

func main() {
	c := make(chan string)
	time.AfterFunc(30*time.Millisecond, func() { c <- "timer fired" })
	start := time.Now()
	fmt.Println(<-c)
	fmt.Println("waited at least 30ms:", time.Since(start) >= 30*time.Millisecond)
}
