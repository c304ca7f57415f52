package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gouth-emu/gouth-emu/loader"
)

func newInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info BINARY",
		Short: "Print what the loader finds in a Go binary",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := loader.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			return printInfo(os.Stdout, f)
		},
	}
}

func printInfo(w io.Writer, f *loader.File) error {
	version := f.GoVersion
	if version == "" {
		version = "unknown"
	}
	fmt.Fprintf(w, "file:       %s\n", f.Path)
	fmt.Fprintf(w, "go version: %s\n", version)
	fmt.Fprintf(w, "entry:      %#x", f.Entry)
	syms, err := f.Symbols()
	if err == nil {
		if s, off, ok := syms.ByAddr(f.Entry); ok {
			fmt.Fprintf(w, " %s+%#x", s.Name, off)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "segments:")
	for _, s := range f.Segments {
		fmt.Fprintf(w, "  %#010x-%#010x %s  file %#x bytes at offset %#x\n", s.Vaddr, s.Vaddr+s.Memsz, s.Prot, s.Filesz, s.Offset)
	}
	if err != nil {
		fmt.Fprintf(w, "symbols:    unavailable: %v\n", err)
		return nil
	}
	fmt.Fprintf(w, "symbols:    %d\n", len(syms.All()))
	for _, name := range []string{"runtime.rt0_go", "runtime.schedinit", "runtime.newproc", "runtime.mstart", "runtime.main", "main.main"} {
		if s, ok := syms.Lookup(name); ok {
			file, line, _ := syms.LineForPC(s.Addr)
			fmt.Fprintf(w, "  %-20s %#x  %s:%d\n", s.Name, s.Addr, file, line)
		}
	}
	return nil
}
