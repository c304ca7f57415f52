package debugger

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// LineReader gives the session its command lines: a terminal with line
// editing, a script, or plain stdin. ReadLine returns io.EOF at the end.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// Prompt is what the session prints before each command.
const Prompt = "(gouth) "

// Banner prints where the session starts.
func (s *Session) Banner() {
	v := s.cfg.File.GoVersion
	if v == "" {
		v = "unknown Go version"
	}
	s.printf("gouth-emu: %s (%s), stopped at the first instruction\n", s.cfg.File.Path, v)
	if s.stages != nil {
		var ahead []string
		for _, r := range s.stages.Stages() {
			if r.Symbol != "" && !r.Later && r.Parent == "" {
				ahead = append(ahead, strings.TrimPrefix(r.Symbol, "runtime."))
			}
		}
		s.printf("%d boot stages ahead ('stage' walks them, 'stages' lists all): %s\n",
			s.stages.Total(), strings.Join(ahead, " → "))
	}
	s.printCurrent(s.t.Reg(abi.RIP), s.t.Selected())
}

// Script runs the commands of r, echoing each after the prompt so a
// transcript reads like an interactive session. It stops at quit.
func (s *Session) Script(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() && !s.quit {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s.printf("%s%s\n", Prompt, line)
		s.execPrint(line)
	}
}

// Interact reads commands from in until quit or end of input. An empty
// line repeats the last stepping command, as in gdb.
func (s *Session) Interact(in LineReader) {
	last := ""
	for !s.quit {
		line, err := in.ReadLine(Prompt)
		if err != nil {
			return
		}
		line = strings.TrimSpace(line)
		if line == "" {
			line = last
		}
		if c, _ := lookup(line); c != nil && c.Repeats {
			last = line
		} else {
			last = ""
		}
		s.execPrint(line)
	}
}

// Quit reports whether the user asked to end the session.
func (s *Session) Quit() bool { return s.quit }

func (s *Session) execPrint(line string) {
	if err := s.Exec(line); err != nil {
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		s.printf("error: %s\n", msg)
	}
}

// plainReader reads lines from a non-terminal input, printing the prompt.
type plainReader struct {
	sc  *bufio.Scanner
	out io.Writer
}

// NewPlainReader reads commands from r, one per line.
func NewPlainReader(r io.Reader, out io.Writer) LineReader {
	return &plainReader{sc: bufio.NewScanner(r), out: out}
}

func (p *plainReader) ReadLine(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	if !p.sc.Scan() {
		fmt.Fprintln(p.out)
		return "", io.EOF
	}
	return p.sc.Text(), nil
}
