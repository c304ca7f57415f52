// Command gc allocates and drops a few megabytes at a time and forces
// collections, printing a checksum of what it built.
package main

import (
	"fmt"
	"runtime"
)

type node struct {
	val  int
	next *node
	pad  [6]int
}

func buildList(n, seed int) *node {
	var head *node
	for i := 0; i < n; i++ {
		head = &node{val: (i*7 + seed) % 1009, next: head}
	}
	return head
}

func sumList(h *node) int {
	s := 0
	for ; h != nil; h = h.next {
		s += h.val
	}
	return s
}

func main() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	checksum := 0
	var keep [][]byte
	for round := 0; round < 10; round++ {
		// About 2.5 MB of list nodes per round.
		l := buildList(40000, round)
		checksum = (checksum*31 + sumList(l)) % 1000000007

		// About 2 MB of byte slices per round, a few of which survive.
		bufs := make([][]byte, 0, 64)
		for i := 0; i < 64; i++ {
			b := make([]byte, 32*1024)
			for j := range b {
				b[j] = byte(i + j + round)
			}
			bufs = append(bufs, b)
		}
		keep = append(keep, bufs[round])
		if len(keep) > 4 {
			keep = keep[1:]
		}
		if round%3 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	runtime.GC()

	for _, b := range keep {
		for _, c := range b {
			checksum = (checksum + int(c)) % 1000000007
		}
	}

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Printf("checksum: %d\n", checksum)
	fmt.Printf("kept buffers: %d\n", len(keep))
	fmt.Printf("NumGC >= 6: %v\n", after.NumGC-before.NumGC >= 6)
	fmt.Printf("TotalAlloc grew by >= 40 MB: %v\n", after.TotalAlloc-before.TotalAlloc >= 40<<20)
}
