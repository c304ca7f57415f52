package syscalls

func sysFutex(c *Call) (uint64, error) {
	addr, op, val := c.ptr(0), c.int32(1), c.u32(2)
	cmd := op &^ (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
	if addr%4 != 0 {
		return 0, EINVAL
	}
	switch cmd {
	case FUTEX_WAIT, FUTEX_WAIT_BITSET:
		if cmd == FUTEX_WAIT_BITSET && c.u32(5) == 0 {
			return 0, EINVAL
		}
		cur, err := c.readU32(addr)
		if err != nil {
			return 0, err
		}
		if cur != val {
			return 0, EAGAIN
		}
		deadline := NoDeadline
		if c.ptr(3) != 0 {
			t, err := c.readTimespec(c.ptr(3))
			if err != nil {
				return 0, err
			}
			if cmd == FUTEX_WAIT {
				deadline = c.M.Now() + t // relative
			} else {
				clk := int32(CLOCK_MONOTONIC)
				if op&FUTEX_CLOCK_REALTIME != 0 {
					clk = CLOCK_REALTIME
				}
				now, _ := c.K.clockNow(c.M, clk)
				deadline = c.M.Now() + (t - now) // absolute
			}
		}
		return 0, c.block("futex", addr, deadline, nil, futexDone)
	case FUTEX_WAKE, FUTEX_WAKE_BITSET:
		if cmd == FUTEX_WAKE_BITSET && c.u32(5) == 0 {
			return 0, EINVAL
		}
		n := int(int32(val))
		if n < 0 {
			n = 1 << 30
		}
		return uint64(c.M.FutexWake(addr, n)), nil
	}
	return 0, ENOSYS
}

// futexDone is a futex wait's result: woken, or timed out.
func futexDone(timedOut bool) (uint64, error) {
	if timedOut {
		return 0, ETIMEDOUT
	}
	return 0, nil
}
