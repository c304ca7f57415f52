// echoin prints each line of its stdin in capitals: a guest whose run
// depends on its input, for goto backwards (which replays it).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Println(strings.ToUpper(sc.Text()))
	}
}
