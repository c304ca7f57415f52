package syscalls

import "github.com/gouth-emu/gouth-emu/abi"

// Networking is not emulated: a guest can neither reach the host's network
// nor make local sockets. The calls that create or name sockets are
// refused with EACCES, the errno of a sandbox that forbids them, so Go's
// net package reports a permission error rather than a missing feature.

func sysSocketDenied(c *Call) (uint64, error) { return 0, abi.EACCES }
