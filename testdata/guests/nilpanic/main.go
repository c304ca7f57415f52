// Command nilpanic dereferences a nil pointer without recovering: the
// runtime prints the panic and a traceback on stderr and exits with 2.
package main

import "fmt"

type T struct{ a, b int }

//go:noinline
func get(t *T) int { return t.b }

func main() {
	fmt.Println("before")
	fmt.Println(get(nil))
}
