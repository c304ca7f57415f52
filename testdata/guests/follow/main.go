// follow is a guest for the stepping tests: next and finish must come back
// to the frame they started in when the goroutine is resumed by another
// thread (moved) and when its stack is copied to grow (grow).
package main

import (
	"fmt"
	"runtime"
)

var sink int

// deep recurses with large frames, so its goroutine's stack must grow
// (be copied) several times.
//
//go:noinline
func deep(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%256])
}

// grow calls deep: stepping over that call returns on a copied stack.
//
//go:noinline
func grow() int {
	x := deep(2000)
	return x + 1
}

// hop parks its goroutine on c.
//
//go:noinline
func hop(c chan int) int {
	return <-c
}

// moved calls hop: the goroutine parks on this thread, and the sender
// keeps that thread busy, so another thread resumes it.
//
//go:noinline
func moved(c chan int) int {
	v := hop(c)
	return v + 1
}

func spin(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i ^ s>>3
	}
	return s
}

func main() {
	runtime.GOMAXPROCS(2)
	c := make(chan int)
	done := make(chan int)
	go func() {
		c <- 1
		done <- spin(20000000)
	}()
	a := moved(c)
	b := grow()
	sink = <-done
	fmt.Println(a, b)
}
