package loader

import (
	"fmt"
	"sort"
	"strings"
)

// SourceFiles returns the source file names the line table knows, sorted.
func (s *Symbols) SourceFiles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tab == nil {
		return nil
	}
	seen := map[string]bool{}
	func() {
		defer func() { recover() }() // a corrupt table: keep what was found
		for i := range s.tab.Funcs {
			fn := &s.tab.Funcs[i]
			if file, _, _ := s.tab.PCToLine(fn.Entry); file != "" {
				seen[file] = true
			}
		}
	}()
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// LineToPC returns the first PC of source line line in the file whose name
// is file or ends with "/"+file. An ambiguous suffix is an error naming the
// candidates.
func (s *Symbols) LineToPC(file string, line int) (pc uint64, full string, err error) {
	var match []string
	for _, f := range s.SourceFiles() {
		if f == file || strings.HasSuffix(f, "/"+file) {
			match = append(match, f)
		}
	}
	switch {
	case len(match) == 0:
		return 0, "", fmt.Errorf("no source file %q in the line table", file)
	case len(match) > 1:
		exact := -1
		for i, f := range match {
			if f == file {
				exact = i
			}
		}
		if exact < 0 {
			return 0, "", fmt.Errorf("%q is ambiguous: %s", file, strings.Join(match, ", "))
		}
		match = match[exact : exact+1]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("corrupt line table")
		}
	}()
	p, _, lerr := s.tab.LineToPC(match[0], line)
	if lerr != nil {
		return 0, "", fmt.Errorf("no code at %s:%d", match[0], line)
	}
	return p, match[0], nil
}
