package syscalls

import (
	"encoding/binary"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Epoch is the wall-clock time of the guest's boot, in seconds since 1970:
// 2026-01-01 00:00:00 UTC. Guest time is virtual, so every run sees the same.
const Epoch = 1767225600

// readTimespec reads a struct timespec and returns nanoseconds.
func (c *Call) readTimespec(addr uint64) (int64, error) {
	b := c.scratch[:16]
	if err := c.M.ReadMem(addr, b); err != nil {
		return 0, abi.EFAULT
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, abi.EINVAL
	}
	if sec > 1<<32 {
		sec = 1 << 32 // far enough: about 136 years
	}
	return sec*1e9 + nsec, nil
}

// clockNow reads clock id on the virtual clock.
func (k *Kernel) clockNow(m Machine, id int32) (int64, error) {
	now := m.Now()
	switch id {
	case abi.CLOCK_REALTIME, abi.CLOCK_REALTIME_COARSE:
		return Epoch*1e9 + now, nil
	case abi.CLOCK_MONOTONIC, abi.CLOCK_MONOTONIC_RAW, abi.CLOCK_MONOTONIC_COARSE, abi.CLOCK_BOOTTIME,
		abi.CLOCK_PROCESS_CPUTIME_ID, abi.CLOCK_THREAD_CPUTIME_ID:
		return now, nil
	}
	return 0, abi.EINVAL
}

func sysClockGettime(c *Call) (uint64, error) {
	ns, err := c.K.clockNow(c.M, c.int32(0))
	if err != nil {
		return 0, err
	}
	return 0, c.writeTimespec(c.ptr(1), ns)
}

func sysClockGetres(c *Call) (uint64, error) {
	if _, err := c.K.clockNow(c.M, c.int32(0)); err != nil {
		return 0, err
	}
	if c.ptr(1) == 0 {
		return 0, nil
	}
	return 0, c.writeTimespec(c.ptr(1), 1)
}

func sysGettimeofday(c *Call) (uint64, error) {
	if c.ptr(0) != 0 {
		ns := Epoch*1e9 + c.M.Now()
		var b [16]byte
		binary.LittleEndian.PutUint64(b[0:], uint64(ns/1e9))
		binary.LittleEndian.PutUint64(b[8:], uint64(ns%1e9/1e3))
		if err := c.write(c.ptr(0), b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysTime(c *Call) (uint64, error) {
	sec := uint64(Epoch + c.M.Now()/1e9)
	if c.ptr(0) != 0 {
		if err := c.writeU64(c.ptr(0), sec); err != nil {
			return 0, err
		}
	}
	return sec, nil
}

func sysNanosleep(c *Call) (uint64, error) {
	d, err := c.readTimespec(c.ptr(0))
	if err != nil {
		return 0, err
	}
	return c.sleepUntil(c.M.Now() + d)
}

func sysClockNanosleep(c *Call) (uint64, error) {
	now, err := c.K.clockNow(c.M, c.int32(0))
	if err != nil {
		return 0, err
	}
	t, err := c.readTimespec(c.ptr(2))
	if err != nil {
		return 0, err
	}
	if c.int32(1)&abi.TIMER_ABSTIME == 0 {
		t += now
	}
	return c.sleepUntil(c.M.Now() + (t - now))
}

func (c *Call) sleepUntil(deadline int64) (uint64, error) {
	if deadline <= c.M.Now() {
		return 0, c.yield()
	}
	return 0, c.block("sleep", 0, deadline, nil, sleepDone)
}

func sleepDone(bool) (uint64, error) { return 0, nil }
