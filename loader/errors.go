package loader

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FormatError describes why Open rejected a guest executable, whether the
// file could not be read at all or its contents are unusable.
//
// Error returns exactly one line of the form "PATH: REASON". Bytes taken
// from the file (an interpreter path, a section name) may appear in Reason,
// so control characters and invalid UTF-8 are escaped to keep the message on
// one line.
type FormatError struct {
	Path   string
	Reason string
	// Offset is the file offset of the offending bytes, or -1 when the
	// problem is not tied to one place in the file.
	Offset int64
	// Err is the underlying error (an *fs.PathError, a debug/elf error), or
	// nil. It is returned by Unwrap so that errors.Is(err, fs.ErrNotExist)
	// and similar checks work.
	Err error
}

func (e *FormatError) Error() string {
	return oneLine(e.Path) + ": " + oneLine(e.Reason)
}

// Unwrap returns the underlying error, if any.
func (e *FormatError) Unwrap() error { return e.Err }

// oneLine returns s unchanged if it is valid UTF-8 without control
// characters, and otherwise an escaped form of it (without surrounding
// quotes).
func oneLine(s string) string {
	clean := utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == utf8.RuneError
	}) < 0
	if clean {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// printable reports whether b is short, non-empty printable ASCII without
// spaces: such a string (an interpreter path, a version) can be shown
// verbatim, anything else is quoted.
func printable(b []byte) bool {
	if len(b) == 0 || len(b) > 256 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
