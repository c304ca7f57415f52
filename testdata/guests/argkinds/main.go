// Command argkinds passes arguments of each kind the debugger shows (a
// small and a word-sized integer, a string, a slice, a struct and a
// pointer) to functions that call another, so that their arguments are
// checked both at their entry and from an outer frame.
package main

import "os"

// vec is a struct argument of three 4-byte fields.
type vec struct{ X, Y, Z int32 }

var sink int

//go:noinline
func leaf(k int) int {
	sink += k
	return sink
}

//go:noinline
func kinds(b int8, n int, s string, xs []int, v vec, p *vec) int {
	r := leaf(n)
	return r + int(b) + len(s) + len(xs) + int(v.X+v.Y+v.Z) + int(p.Y)
}

// pair's arguments have one type and one line: under the stack ABI,
// nothing in the binary says which is first.
//
//go:noinline
func pair(a, b int) int {
	return leaf(a - b)
}

func main() {
	p := &vec{4, 5, 6}
	n := kinds(-3, 42, "gouth", []int{7, 8, 9}, vec{1, 2, 3}, p)
	n += pair(10, 4)
	os.Exit(n & 0)
}
