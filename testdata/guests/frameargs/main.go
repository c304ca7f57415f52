// Command frameargs calls functions whose arguments are known constants, for
// the debugger's tests of arguments in backtraces.
package main

//go:noinline
func add(a, b int) int { return a + b }

//go:noinline
func greet(s string, n int) int { return len(s) + n }

// outer keeps x live across the call, so it is on the stack there.
//
//go:noinline
func outer(x int) int {
	y := add(x, 3)
	return y * x
}

func main() {
	println(add(40, 2), greet("hello", 3), outer(39))
}
