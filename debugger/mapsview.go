package debugger

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/target"
)

// The maps view names what the guest address space holds: the binary's
// segments by their role, PROT_NONE reservations, and, from the runtime's
// own data (DWARF), which anonymous mappings hold goroutine stacks, g0
// stacks and signal stacks (those mappings are the Go heap's arenas or the
// runtime's off-heap memory).

// region is a named stack found in the runtime's data.
type region struct {
	lo, hi uint64
	what   string // "G1 stack", "M0 gsignal stack"
}

func (s *Session) cmdMaps(string) error {
	regions := s.runtimeStacks()
	for _, v := range s.t.Maps() {
		s.printf("%012x-%012x %s  %-12s %s\n", v.Start, v.End, v.Prot, humanSize(v.End-v.Start), s.vmaName(v, regions))
	}
	s.printf("ffffffffff600000-ffffffffff601000 --x  4 KiB        [vsyscall] (go1.11's clock stubs)\n")
	return nil
}

func humanSize(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// vmaName describes one mapping.
func (s *Session) vmaName(v target.VMA, regions []region) string {
	if v.Name == s.cfg.File.Path {
		switch {
		case v.Prot&abi.ProtExec != 0:
			return "text  " + v.Name
		case v.Prot&abi.ProtWrite != 0:
			return "data, bss  " + v.Name
		default:
			return "rodata  " + v.Name
		}
	}
	if v.Prot == 0 {
		return "[reserved: PROT_NONE, costs no memory until mapped]"
	}
	var inside []string
	goroutines := 0
	for _, r := range regions {
		if r.lo >= v.Start && r.hi <= v.End {
			if strings.HasPrefix(r.what, "G") && strings.HasSuffix(r.what, " stack") && !strings.Contains(r.what, "g0") {
				goroutines++
				if goroutines > 4 {
					continue
				}
			}
			inside = append(inside, r.what)
		}
	}
	if goroutines > 4 {
		inside = append(inside, fmt.Sprintf("... (%d goroutine stacks)", goroutines))
	}
	kind := "[anon]"
	switch {
	case v.Name != "":
		kind = v.Name
	case goroutines > 0:
		kind = "[heap arena]"
	}
	if len(inside) == 0 {
		return kind
	}
	return kind + " " + strings.Join(inside, ", ")
}

// runtimeStacks lists the stacks the runtime knows: every goroutine's, and
// each M's g0 and gsignal stacks. Empty without DWARF.
func (s *Session) runtimeStacks() []region {
	rt := s.goRuntime()
	if rt == nil || rt.info == nil {
		return nil
	}
	v, err := s.view("maps")
	if err != nil {
		return nil
	}
	var out []region
	limit := int64(-1)
	if gl, err := v.global("runtime.allglen"); err == nil {
		if n, err := gl.Uint(); err == nil && n <= maxViewGs {
			limit = int64(n)
		}
	}
	if gs, err := v.pointers("runtime.allgs", limit, maxViewGs); err == nil {
		for _, ga := range gs {
			if g, err := rt.g(ga); err == nil && g.lo < g.hi {
				out = append(out, region{g.lo, g.hi, fmt.Sprintf("G%d stack", g.goid)})
			}
		}
	}
	if allm, err := v.global("runtime.allm"); err == nil {
		mp, _ := allm.Uint()
		for n := 0; mp != 0 && n < maxViewMs; n++ {
			m, err := rt.m(mp)
			if err != nil {
				break
			}
			for _, x := range []struct {
				g    uint64
				what string
			}{{m.g0, "g0"}, {m.gsignal, "gsignal"}} {
				if g, err := rt.g(x.g); err == nil && g.lo < g.hi {
					out = append(out, region{g.lo, g.hi, fmt.Sprintf("M%d %s stack", m.id, x.what)})
				}
			}
			mv, err := rt.info.At("runtime.m", mp, s.t)
			if err != nil {
				break
			}
			if mp, err = uintPath(mv, "alllink"); err != nil {
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out
}
