// Command hello is the smallest guest: it prints one line.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
