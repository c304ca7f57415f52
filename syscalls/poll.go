package syscalls

import (
	"encoding/binary"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Pipes, eventfds and epoll: what the Go netpoller needs for the guest's own
// descriptors. Readiness is computed on demand; the scheduler polls Wait.Ready
// of sleeping threads, so no callbacks cross into the emulator.

// pipeBuf is the shared state of the two ends of a pipe.
type pipeBuf struct {
	data             []byte
	readers, writers int
	gen              uint64 // grows when data arrives or the other end closes
}

const pipeCapacity = 64 << 10

type pipeEnd struct {
	p        *pipeBuf
	isWriter bool
}

func (e *pipeEnd) read(b []byte) (int, error) {
	if e.isWriter {
		return 0, abi.EBADF
	}
	if len(e.p.data) == 0 {
		if e.p.writers == 0 {
			return 0, nil // EOF
		}
		return 0, abi.EAGAIN
	}
	n := copy(b, e.p.data)
	e.p.data = e.p.data[n:]
	e.p.gen++ // space became available to writers
	return n, nil
}

func (e *pipeEnd) write(b []byte) (int, error) {
	if !e.isWriter {
		return 0, abi.EBADF
	}
	if e.p.readers == 0 {
		return 0, abi.EPIPE
	}
	room := pipeCapacity - len(e.p.data)
	if room <= 0 {
		return 0, abi.EAGAIN
	}
	if len(b) > room {
		b = b[:room]
	}
	e.p.data = append(e.p.data, b...)
	e.p.gen++
	return len(b), nil
}

func (e *pipeEnd) close() {
	if e.isWriter {
		e.p.writers--
	} else {
		e.p.readers--
	}
	e.p.gen++
}

func (e *pipeEnd) ready() (uint32, uint64) {
	var ev uint32
	if e.isWriter {
		if e.p.readers == 0 {
			ev |= abi.EPOLLERR
		} else if len(e.p.data) < pipeCapacity {
			ev |= abi.EPOLLOUT
		}
	} else {
		if len(e.p.data) > 0 {
			ev |= abi.EPOLLIN
		}
		if e.p.writers == 0 {
			ev |= abi.EPOLLHUP
		}
	}
	return ev, e.p.gen
}

func (e *pipeEnd) pollable() bool { return true }
func (e *pipeEnd) kind() string   { return "pipe" }
func (e *pipeEnd) stat() statInfo {
	return statInfo{dev: 0xc, ino: 1, nlink: 1, mode: abi.S_IFIFO | 0o600, blksize: 4096}
}

func sysPipe2(c *Call) (uint64, error) {
	flags := int(c.int32(1))
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return 0, abi.EINVAL
	}
	p := &pipeBuf{readers: 1, writers: 1}
	r, err := c.K.fds.install(&pipeEnd{p: p}, flags)
	if err != nil {
		return 0, err
	}
	w, err := c.K.fds.install(&pipeEnd{p: p, isWriter: true}, flags|abi.O_WRONLY) // F_GETFL says so, as on Linux
	if err != nil {
		c.K.fds.closeFD(r)
		return 0, err
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(r))
	binary.LittleEndian.PutUint32(b[4:], uint32(w))
	if err := c.write(c.ptr(0), b[:]); err != nil {
		c.K.fds.closeFD(r)
		c.K.fds.closeFD(w)
		return 0, err
	}
	return 0, nil
}

func sysPipe(c *Call) (uint64, error) {
	c.Args[1] = 0
	return sysPipe2(c)
}

// eventFile is an eventfd counter.
type eventFile struct {
	count     uint64
	semaphore bool
	gen       uint64
}

func (e *eventFile) read(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, abi.EINVAL
	}
	if e.count == 0 {
		return 0, abi.EAGAIN
	}
	v := e.count
	if e.semaphore {
		v = 1
	}
	e.count -= v
	binary.LittleEndian.PutUint64(b, v)
	e.gen++
	return 8, nil
}

func (e *eventFile) write(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, abi.EINVAL
	}
	v := binary.LittleEndian.Uint64(b)
	if v == ^uint64(0) {
		return 0, abi.EINVAL
	}
	if e.count+v >= ^uint64(0) {
		return 0, abi.EAGAIN
	}
	e.count += v
	e.gen++
	return 8, nil
}

func (e *eventFile) ready() (uint32, uint64) {
	ev := uint32(abi.EPOLLOUT)
	if e.count > 0 {
		ev |= abi.EPOLLIN
	}
	return ev, e.gen
}

func (e *eventFile) close()         {}
func (e *eventFile) pollable() bool { return true }
func (e *eventFile) kind() string   { return "anon_inode:[eventfd]" }
func (e *eventFile) stat() statInfo {
	return statInfo{dev: 0xe, ino: 1, nlink: 1, mode: 0o600, blksize: 4096}
}

func sysEventfd2(c *Call) (uint64, error) {
	flags := int(c.int32(1))
	if flags&^(abi.EFD_CLOEXEC|abi.EFD_NONBLOCK|abi.EFD_SEMAPHORE) != 0 {
		return 0, abi.EINVAL
	}
	f := &eventFile{count: uint64(c.u32(0)), semaphore: flags&abi.EFD_SEMAPHORE != 0}
	fd, err := c.K.fds.install(f, flags&(abi.O_CLOEXEC|abi.O_NONBLOCK))
	return uint64(fd), err
}

func sysEventfd(c *Call) (uint64, error) {
	c.Args[1] = 0
	return sysEventfd2(c)
}

// epollFile is an epoll instance. Registrations are kept in the order they
// were added, so the order of reported events is deterministic.
type epollFile struct {
	regs []*epollReg
}

type epollReg struct {
	fd      int
	f       file
	events  uint32
	data    uint64
	lastGen uint64 // for EPOLLET: the readiness generation last reported
	seen    bool
	off     bool // EPOLLONESHOT fired
}

func (e *epollFile) read([]byte) (int, error)  { return 0, abi.EINVAL }
func (e *epollFile) write([]byte) (int, error) { return 0, abi.EINVAL }
func (e *epollFile) close()                    {}
func (e *epollFile) pollable() bool            { return true }
func (e *epollFile) kind() string              { return "anon_inode:[eventpoll]" }
func (e *epollFile) stat() statInfo {
	return statInfo{dev: 0xe, ino: 2, nlink: 1, mode: 0o600, blksize: 4096}
}

func (e *epollFile) ready() (uint32, uint64) {
	if e.anyReady() {
		return abi.EPOLLIN, 0
	}
	return 0, 0
}

type epollEvent struct {
	events uint32
	data   uint64
}

// reportable returns the events r would report now (0 for none) and its
// file's readiness generation.
func (r *epollReg) reportable() (uint32, uint64) {
	if r.off {
		return 0, 0
	}
	ev, gen := r.f.ready()
	ev &= r.events | abi.EPOLLERR | abi.EPOLLHUP
	if ev != 0 && r.events&abi.EPOLLET != 0 && r.seen && gen == r.lastGen {
		return 0, 0
	}
	return ev, gen
}

// anyReady reports whether collect would return an event.
func (e *epollFile) anyReady() bool {
	for _, r := range e.regs {
		if ev, _ := r.reportable(); ev != 0 {
			return true
		}
	}
	return false
}

// collect appends up to max ready events to dst; with consume set it
// records what was reported, which is what makes edge-triggered
// registrations quiet until their file changes again.
func (e *epollFile) collect(dst []epollEvent, max int, consume bool) []epollEvent {
	n := 0
	for _, r := range e.regs {
		if n >= max {
			break
		}
		ev, gen := r.reportable()
		if ev == 0 {
			continue
		}
		dst = append(dst, epollEvent{ev, r.data})
		n++
		if consume {
			r.seen, r.lastGen = true, gen
			if r.events&abi.EPOLLONESHOT != 0 {
				r.off = true
			}
		}
	}
	return dst
}

func sysEpollCreate1(c *Call) (uint64, error) {
	flags := int(c.int32(0))
	if flags&^abi.O_CLOEXEC != 0 {
		return 0, abi.EINVAL
	}
	fd, err := c.K.fds.install(&epollFile{}, flags)
	return uint64(fd), err
}

func sysEpollCreate(c *Call) (uint64, error) {
	if c.int32(0) <= 0 {
		return 0, abi.EINVAL
	}
	c.Args[0] = 0
	return sysEpollCreate1(c)
}

func sysEpollCtl(c *Call) (uint64, error) {
	// Linux's order: copy the event, then look up both descriptors, then
	// check that the target can be polled and the first is an epoll.
	op := c.int32(1)
	var ev epollEvent
	if op != abi.EPOLL_CTL_DEL {
		b, err := c.read(c.ptr(3), 12)
		if err != nil {
			return 0, err
		}
		ev = epollEvent{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint64(b[4:])}
	}
	ef, err := c.K.fds.get(c.fd(0))
	if err != nil {
		return 0, err
	}
	fd := c.fd(2)
	f, err := c.K.fds.get(fd)
	if err != nil {
		return 0, err
	}
	if !f.pollable() {
		return 0, abi.EPERM
	}
	ep, ok := ef.(*epollFile)
	if !ok || f == ef {
		return 0, abi.EINVAL
	}
	var idx = -1
	for i, r := range ep.regs {
		if r.fd == fd && r.f == f {
			idx = i
		}
	}
	switch op {
	case abi.EPOLL_CTL_ADD:
		if idx >= 0 {
			return 0, abi.EEXIST
		}
		ep.regs = append(ep.regs, &epollReg{fd: fd, f: f, events: ev.events, data: ev.data})
	case abi.EPOLL_CTL_MOD:
		if idx < 0 {
			return 0, abi.ENOENT
		}
		ep.regs[idx] = &epollReg{fd: fd, f: f, events: ev.events, data: ev.data}
	case abi.EPOLL_CTL_DEL:
		if idx < 0 {
			return 0, abi.ENOENT
		}
		ep.regs = append(ep.regs[:idx], ep.regs[idx+1:]...)
	default:
		return 0, abi.EINVAL
	}
	return 0, nil
}

func sysEpollWait(c *Call) (uint64, error) {
	return c.epollWait(c.fd(0), c.ptr(1), int(c.int32(2)), int64(c.int32(3)))
}

func sysEpollPwait(c *Call) (uint64, error) {
	// The signal mask argument matters only while signals are delivered
	// during the wait; the netpoller passes none.
	return c.epollWait(c.fd(0), c.ptr(1), int(c.int32(2)), int64(c.int32(3)))
}

func (c *Call) epollWait(epfd int, buf uint64, max int, timeoutMs int64) (uint64, error) {
	f, err := c.K.fds.get(epfd)
	if err != nil {
		return 0, err
	}
	ep, ok := f.(*epollFile)
	if !ok {
		return 0, abi.EINVAL
	}
	if max <= 0 || max > 1<<16 {
		return 0, abi.EINVAL
	}
	if err := c.userRange(buf, uint64(max)*12); err != nil {
		return 0, err
	}
	c.ep, c.epBuf, c.epMax = ep, buf, max
	if ep.anyReady() || timeoutMs == 0 {
		return c.epollDeliver(false)
	}
	deadline := NoDeadline
	if timeoutMs > 0 {
		deadline = c.M.Now() + timeoutMs*1e6
	}
	if c.epReady == nil { // once per Call: Calls are reused
		c.epReady = func() bool { return c.ep.anyReady() }
		c.epDone = c.epollDeliver
	}
	return 0, c.block("epoll", 0, deadline, c.epReady, c.epDone)
}

// epollDeliver copies the ready events of c.ep, at most c.epMax, to the
// guest's array at c.epBuf (struct epoll_event is packed: 4 + 8 bytes).
func (c *Call) epollDeliver(bool) (uint64, error) {
	k := c.K
	evs := c.ep.collect(k.epEvents[:0], c.epMax, true)
	k.epEvents = evs[:0]
	if cap(k.epBytes) < 12*len(evs) {
		k.epBytes = make([]byte, 12*len(evs))
	}
	b := k.epBytes[:12*len(evs)]
	for i, ev := range evs {
		binary.LittleEndian.PutUint32(b[12*i:], ev.events)
		binary.LittleEndian.PutUint64(b[12*i+4:], ev.data)
	}
	return uint64(len(evs)), c.write(c.epBuf, b)
}
