// Command spin never returns: a guest for the emulator's limits (--max-insns,
// --timeout, Ctrl-C). It is not run natively by the tests.
package main

var sink int

func main() {
	for i := 0; ; i++ {
		sink = i
	}
}
