// Command memlimit allocates 64 MiB at a time and keeps every chunk, so
// under gouth-emu --mem-limit it must end with the runtime's "out of
// memory". It prints nothing unless it gets far beyond any test's limit.
// It is run only under the emulator: natively it would take the host's
// memory.
package main

import (
	"fmt"
	"os"
)

const chunk = 64 << 20

var kept [][]byte

func main() {
	for len(kept) < 64 { // 4 GiB: far beyond the tests' --mem-limit
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page, as a real program would
		}
		kept = append(kept, b)
	}
	fmt.Printf("allocated %d MiB without running out of memory\n", len(kept)*chunk>>20)
	os.Exit(1)
}
