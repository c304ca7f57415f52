// Command nilrecover dereferences nil pointers and recovers: the fault is a
// SIGSEGV that the runtime's handler turns into a panic.
package main

import "fmt"

type node struct {
	pad  [3]int
	next *node
}

func deref(n *node) (v *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	return n.next, nil
}

func main() {
	for i := 0; i < 3; i++ {
		_, err := deref(nil)
		fmt.Println(i, err)
	}
	var m map[string]int
	func() {
		defer func() { fmt.Println("write to nil map:", recover()) }()
		m["x"] = 1
	}()
	fmt.Println("still running")
}
