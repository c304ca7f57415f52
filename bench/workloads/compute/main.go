// Command compute is the CPU-bound workload of the benchmark harness:
// SHA-256 over a 4 MiB buffer, four times, each digest folded back into
// the buffer so no round can be skipped.
package main

import (
	"crypto/sha256"
	"fmt"
)

const (
	size   = 4 << 20
	rounds = 4
)

func main() {
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i*7 + i>>11)
	}
	var sum [sha256.Size]byte
	for r := 0; r < rounds; r++ {
		sum = sha256.Sum256(buf)
		copy(buf[r*sha256.Size:], sum[:])
	}
	fmt.Printf("compute: sha256 %d x %d MiB: %x\n", rounds, size>>20, sum)
}
