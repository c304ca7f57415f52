package loader

import (
	"debug/dwarf"
	"errors"
	"fmt"
)

// errNoDWARF is returned by DWARF for binaries linked without debug info.
var errNoDWARF = errors.New("no DWARF debug info (built with -ldflags=-w?)")

// DWARF returns the guest's DWARF debug information, decompressing
// .zdebug_* and SHF_COMPRESSED sections as needed. A binary without debug
// sections gives an error saying so; malformed debug data gives an error,
// never a panic.
func (f *File) DWARF() (d *dwarf.Data, err error) {
	if f.ef == nil || f.ef.Section(".debug_info") == nil && f.ef.Section(".zdebug_info") == nil {
		return nil, errNoDWARF
	}
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("malformed DWARF: debug/dwarf panicked: %v", r)
		}
	}()
	d, err = f.ef.DWARF()
	if err != nil {
		return nil, fmt.Errorf("malformed DWARF: %v", err)
	}
	return d, nil
}
