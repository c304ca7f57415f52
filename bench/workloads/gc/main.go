// Command gc is the allocation workload of the benchmark harness: it
// builds and drops linked lists, with a forced collection every few
// rounds.
package main

import (
	"fmt"
	"runtime"
)

type node struct {
	next  *node
	value int
	pad   [4]int
}

const (
	rounds  = 40
	length  = 20000
	gcEvery = 8
)

func build(n, seed int) *node {
	var head *node
	for i := 0; i < n; i++ {
		head = &node{next: head, value: (i*31 + seed) % 1000}
	}
	return head
}

func main() {
	var keep []*node // a few lists survive, so the collector has work to mark
	total := 0
	for r := 0; r < rounds; r++ {
		l := build(length, r)
		for p := l; p != nil; p = p.next {
			total += p.value
		}
		if r%4 == 0 {
			keep = append(keep, l)
		}
		if r%gcEvery == gcEvery-1 {
			runtime.GC()
		}
	}
	live := 0
	for _, l := range keep {
		for p := l; p != nil; p = p.next {
			live++
		}
	}
	fmt.Printf("gc: %d lists of %d nodes, sum %d, %d nodes kept\n", rounds, length, total, live)
}
