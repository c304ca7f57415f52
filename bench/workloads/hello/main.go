// Command hello is the smallest workload of the benchmark harness: the
// cost of booting the Go runtime and exiting.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
