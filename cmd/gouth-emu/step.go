package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gouth-emu/gouth-emu/debugger"
	"github.com/gouth-emu/gouth-emu/debugger/disasm"
)

func newStepCmd() *cobra.Command {
	var g guestFlags
	var script, syntax, src string
	var batch bool
	var p profileFlags
	c := &cobra.Command{
		Use:   "step [flags] BINARY [ARGS...]",
		Short: "Debug a Go binary from its first instruction: breakpoints, stepping, registers, memory",
		Long: `step loads the binary stopped at its entry point (_rt0_amd64_linux) and reads
debugger commands: from a terminal with line editing and history, from stdin
otherwise. -x runs a script first; --batch exits after it. 'help' lists the
commands.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withProfiles(&p, func() error { return stepSession(&g, args, script, syntax, src, batch) })
		},
	}
	c.Flags().SetInterspersed(false)
	g.register(c)
	p.register(c)
	c.Flags().StringVarP(&script, "x", "x", "", "run debugger commands from FILE first")
	c.Flags().BoolVar(&batch, "batch", false, "exit after the -x script instead of reading commands")
	c.Flags().StringVar(&syntax, "syntax", "go", "disassembly syntax: go (Plan 9), intel or att")
	c.Flags().StringVar(&src, "src", "", "Go source tree for 'list' (default: the paths recorded in the binary)")
	return c
}

// stepSession runs the debugger on args[0], with commands from script
// first and, unless batch is set, from the terminal or stdin afterwards.
func stepSession(g *guestFlags, args []string, script, syntax, src string, batch bool) error {
	syn, err := disasm.ParseSyntax(syntax)
	if err != nil {
		return usageError{fmt.Errorf("--syntax: %v", err)}
	}
	var scriptFile *os.File
	if script != "" {
		if scriptFile, err = os.Open(script); err != nil {
			return usageError{fmt.Errorf("-x %s: %v", script, errors.Unwrap(err))}
		}
		defer scriptFile.Close()
	}
	cfg, f, err := g.guest(args)
	if err != nil {
		return err
	}
	cfg.History = 256
	s, err := debugger.New(debugger.Config{File: f, Guest: cfg, Out: os.Stdout, Syntax: syn, SrcDir: src})
	if err != nil {
		return fmt.Errorf("%s: %v", args[0], err)
	}
	defer s.Close()
	defer interruptSession(s)()
	s.Banner()
	if scriptFile != nil {
		s.Script(scriptFile)
	}
	if batch || s.Quit() {
		return nil
	}
	in, closeIn := lineReader()
	defer closeIn()
	s.Interact(in)
	return nil
}

// lineReader reads commands with line editing and history on a terminal,
// plainly otherwise.
func lineReader() (debugger.LineReader, func()) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return debugger.NewPlainReader(os.Stdin, io.Discard), func() {}
	}
	home, _ := os.UserHomeDir()
	rl, err := readline.NewEx(&readline.Config{
		Prompt:      debugger.Prompt,
		HistoryFile: filepath.Join(home, ".gouth_emu_history"),
	})
	if err != nil {
		return debugger.NewPlainReader(os.Stdin, os.Stdout), func() {}
	}
	return readlineReader{rl}, func() { rl.Close() }
}

type readlineReader struct{ rl *readline.Instance }

// ReadLine reads a line; Ctrl-C at the prompt drops what was typed and
// prompts again, as in gdb (while a command runs it interrupts the guest,
// see interruptSession).
func (r readlineReader) ReadLine(prompt string) (string, error) {
	r.rl.SetPrompt(prompt)
	for {
		line, err := r.rl.Readline()
		if err != readline.ErrInterrupt {
			return line, err
		}
	}
}

// interruptSession makes Ctrl-C stop the command that is running the
// guest, until the returned function is called.
func interruptSession(s *debugger.Session) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range sigs {
			s.Interrupt()
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(sigs)
		<-done
	}
}
