// Command readfile reads the file named by its first argument and prints
// its length, a checksum, its first line and its line count.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/ioutil"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: readfile FILE")
		os.Exit(2)
	}
	name := os.Args[1]
	data, err := ioutil.ReadFile(name) // not os.ReadFile: the guest builds with go1.11 too
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sum := 0
	for _, b := range data {
		sum = (sum + int(b)) % 65521
	}
	first := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		first = data[:i]
	}
	fmt.Printf("length: %d\n", len(data))
	fmt.Printf("checksum: %d\n", sum)
	fmt.Printf("first line: %q\n", first)

	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		lines++
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("lines: %d\n", lines)
}
