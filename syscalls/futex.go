package syscalls

import "github.com/gouth-emu/gouth-emu/abi"

func sysFutex(c *Call) (uint64, error) {
	addr, op, val := c.ptr(0), c.int32(1), c.u32(2)
	cmd := op &^ (abi.FUTEX_PRIVATE_FLAG | abi.FUTEX_CLOCK_REALTIME)
	if addr%4 != 0 {
		return 0, abi.EINVAL
	}
	switch cmd {
	case abi.FUTEX_WAIT, abi.FUTEX_WAIT_BITSET:
		if cmd == abi.FUTEX_WAIT_BITSET && c.u32(5) == 0 {
			return 0, abi.EINVAL
		}
		cur, err := c.readU32(addr)
		if err != nil {
			return 0, err
		}
		if cur != val {
			return 0, abi.EAGAIN
		}
		deadline := NoDeadline
		if c.ptr(3) != 0 {
			t, err := c.readTimespec(c.ptr(3))
			if err != nil {
				return 0, err
			}
			if cmd == abi.FUTEX_WAIT {
				deadline = c.M.Now() + t // relative
			} else {
				clk := int32(abi.CLOCK_MONOTONIC)
				if op&abi.FUTEX_CLOCK_REALTIME != 0 {
					clk = abi.CLOCK_REALTIME
				}
				now, _ := c.K.clockNow(c.M, clk)
				deadline = c.M.Now() + (t - now) // absolute
			}
		}
		return 0, c.block("futex", addr, deadline, nil, futexDone)
	case abi.FUTEX_WAKE, abi.FUTEX_WAKE_BITSET:
		if cmd == abi.FUTEX_WAKE_BITSET && c.u32(5) == 0 {
			return 0, abi.EINVAL
		}
		n := int(int32(val))
		if n < 0 {
			n = 1 << 30
		}
		return uint64(c.M.FutexWake(addr, n)), nil
	}
	return 0, abi.ENOSYS
}

// futexDone is a futex wait's result: woken, or timed out.
func futexDone(timedOut bool) (uint64, error) {
	if timedOut {
		return 0, abi.ETIMEDOUT
	}
	return 0, nil
}
