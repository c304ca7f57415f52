// patch is a guest for the debugger's memory writes: a test rewrites
// answer's code after it has run (and been translated) once.
package main

import "fmt"

var sink int

//go:noinline
func answer() int { return 1 }

//go:noinline
func mark(i int) { sink = i }

func main() {
	s := 0
	for i := 0; i < 3; i++ {
		s += answer()
		mark(i)
	}
	fmt.Println(s)
}
