package emu

// Poke writes guest memory regardless of protection, as ptrace's
// PTRACE_POKEDATA does for a debugger: read-only data and code can be
// changed. Translated code covering the bytes is dropped so that a write
// to text takes effect, and watched ranges it changes take the new bytes
// as their reference (a debugger's own write is not a guest change to
// report).
func (m *Machine) Poke(addr uint64, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if err := m.access(addr, p, true, 0); err != nil {
		return err
	}
	end := addr + uint64(len(p))
	m.eng.dropCode(addr, end)
	for i, w := range m.watches {
		if w.addr < end && addr < w.addr+uint64(w.n) {
			m.eng.watchAccept(i)
		}
	}
	return nil
}
