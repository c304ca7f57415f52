package main

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/gouth-emu/gouth-emu/gdbstub"
	"github.com/gouth-emu/gouth-emu/target"
)

// defaultListen is where gdbserver listens unless told: loopback only,
// since a client can read and write all of the guest's memory.
const defaultListen = "127.0.0.1:1234"

func newGDBServerCmd() *cobra.Command {
	var g guestFlags
	var listen string
	c := &cobra.Command{
		Use:   "gdbserver [--listen ADDR] [flags] BINARY [ARGS...]",
		Short: "Serve gdb's remote protocol on a Go binary stopped at its first instruction",
		Long: `gdbserver loads the binary stopped at its entry point and waits for one gdb
(or other remote-protocol client) on ADDR, by default ` + defaultListen + `; it prints the
'target remote' line to type. --listen :0 picks a free port. Any address
other than the default must be given explicitly: a client can read and write
the guest's memory, so listen beyond loopback only on a network you trust.
When the client detaches, kills the guest or disconnects, the guest ends.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return gdbServe(&g, listen, args) },
	}
	c.Flags().SetInterspersed(false)
	g.register(c)
	c.Flags().StringVar(&listen, "listen", defaultListen, "TCP address to serve on (HOST:PORT; :0 picks a port)")
	return c
}

// gdbServe starts args[0] under a target, serves one client on listen
// and ends the guest when the client is gone.
func gdbServe(g *guestFlags, listen string, args []string) error {
	cfg, f, err := g.guest(args)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %s: %v", listen, err)}
	}
	defer ln.Close()
	t, err := target.New(f, cfg)
	if err != nil {
		return fmt.Errorf("%s: %v", args[0], err)
	}
	defer t.Close()
	addr := ln.Addr().String()
	fmt.Fprintf(os.Stderr, "gouth-emu: gdbserver listening on %s for %s\n", addr, args[0])
	fmt.Fprintf(os.Stderr, "gouth-emu: in gdb: target remote %s\n", addr)
	nc, err := ln.Accept()
	if err != nil {
		return err
	}
	ln.Close() // one client
	defer nc.Close()
	err = gdbstub.Serve(nc, t)
	if errors.Is(err, gdbstub.ErrKilled) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("gdbserver: %v", err)
	}
	if x := t.Exited(); x != nil && x.Status != 0 {
		return exitError{x.Status}
	}
	return nil
}
