// Command args prints its arguments and one environment variable, writes
// a line to stderr, and exits with the status given by its first argument.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	for _, a := range os.Args[1:] {
		fmt.Println(a)
	}
	fmt.Printf("GOUTH_TEST_VAR=%q\n", os.Getenv("GOUTH_TEST_VAR"))
	fmt.Fprint(os.Stderr, "to stderr\n")
	status := 0
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad status: %v\n", err)
			os.Exit(2)
		}
		status = n
	}
	os.Exit(status)
}
