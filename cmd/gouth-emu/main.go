// Command gouth-emu runs statically linked Go linux/amd64 executables in an
// emulator that plays Linux for them, to show how the Go runtime starts.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses of gouth-emu itself; otherwise the guest's status is ours.
const (
	exitUsage = 2   // bad flags, bad input file
	exitLimit = 124 // a limit stopped the guest (--max-insns, --timeout, deadlock, memory)
)

// usageError marks errors that are the user's: one line, status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// exitError carries the guest's exit status out of a command.
type exitError struct{ status int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.status) }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	// Ctrl-C stops the guest through Machine.Stop (see runGuest); the first
	// one only, a second one kills gouth-emu itself.
	signal.Ignore(syscall.SIGPIPE)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.status
	default:
		fmt.Fprintf(os.Stderr, "gouth-emu: %s\n", firstLine(err.Error()))
		return exitUsage
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "gouth-emu",
		Short: "Run and step through static Go linux/amd64 binaries in an x86-64 emulator",
		Long: `gouth-emu loads a statically linked Go linux/amd64 executable into an
x86-64 emulator (Unicorn), plays the part of Linux for it, and runs it from
its first instruction, so you can watch the Go runtime boot.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %v (see 'gouth-emu %s --help')", c.Name(), err, c.Name())}
	})
	root.AddCommand(newRunCmd(), newStepCmd(), newGDBServerCmd(), newInfoCmd(), newTimelineCmd(), newCompareCmd())
	return root
}
