// Command divzero divides by zero: a SIGFPE the runtime turns into a
// recoverable panic, then an unrecovered one.
package main

import "fmt"

//go:noinline
func div(a, b int) int { return a / b }

func main() {
	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		fmt.Println(div(10, 0))
	}()
	fmt.Println(div(7, 2))
	fmt.Println(div(1, 0))
}
