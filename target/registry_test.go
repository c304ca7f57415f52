package target

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// fakeHooks records the machine's side of a registry: which keys have a
// hook, and every install and uninstall in order. Installing a key twice
// or uninstalling one that has no hook is a test failure, as it would be
// a leaked or double-freed hook in the machine.
type fakeHooks struct {
	t       *testing.T
	live    map[uint64]bool
	log     []string
	failing map[uint64]bool // installs that fail
}

func newFake(t *testing.T) *fakeHooks {
	return &fakeHooks{t: t, live: map[uint64]bool{}, failing: map[uint64]bool{}}
}

func (f *fakeHooks) hooks() hooks[uint64] {
	return hooks[uint64]{
		install: func(a uint64) error {
			if f.failing[a] {
				return errors.New("install refused")
			}
			if f.live[a] {
				f.t.Errorf("install %#x: already installed", a)
			}
			f.live[a] = true
			f.log = append(f.log, fmt.Sprintf("+%#x", a))
			return nil
		},
		uninstall: func(a uint64) error {
			if !f.live[a] {
				f.t.Errorf("uninstall %#x: not installed", a)
			}
			delete(f.live, a)
			f.log = append(f.log, fmt.Sprintf("-%#x", a))
			return nil
		},
	}
}

func (f *fakeHooks) installed() []uint64 {
	var out []uint64
	for a := range f.live {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

type regOp struct {
	add   bool
	addr  uint64
	owner Owner
	fails bool // the call must return an error
}

func TestRegistryTable(t *testing.T) {
	add := func(a uint64, o Owner) regOp { return regOp{add: true, addr: a, owner: o} }
	del := func(a uint64, o Owner) regOp { return regOp{addr: a, owner: o} }
	bad := func(op regOp) regOp { op.fails = true; return op }
	cases := []struct {
		name string
		ops  []regOp
		log  []string // installs and uninstalls, in order
		left []uint64 // hooks at the end
	}{
		{"one owner", []regOp{add(1, User), del(1, User)}, []string{"+0x1", "-0x1"}, nil},
		{"user then stage, user deleted first",
			[]regOp{add(1, User), add(1, Stage), del(1, User)}, []string{"+0x1"}, []uint64{1}},
		{"stage then user, stage retired first",
			[]regOp{add(1, Stage), add(1, User), del(1, Stage), del(1, User)}, []string{"+0x1", "-0x1"}, nil},
		{"two user breakpoints on one address",
			[]regOp{add(1, User), add(1, User), del(1, User)}, []string{"+0x1"}, []uint64{1}},
		{"stepping stop on a user breakpoint",
			[]regOp{add(1, User), add(1, Stepping), del(1, Stepping)}, []string{"+0x1"}, []uint64{1}},
		{"every owner, removed in reverse",
			[]regOp{add(1, User), add(1, Stepping), add(1, Stage), add(1, FrontEnd),
				del(1, FrontEnd), del(1, Stage), del(1, Stepping), del(1, User)},
			[]string{"+0x1", "-0x1"}, nil},
		{"removing what the owner does not hold changes nothing",
			[]regOp{add(1, Stage), bad(del(1, User)), bad(del(2, User))}, []string{"+0x1"}, []uint64{1}},
		{"one hold removed twice",
			[]regOp{add(1, User), add(1, Stage), del(1, User), bad(del(1, User))}, []string{"+0x1"}, []uint64{1}},
		{"independent addresses",
			[]regOp{add(1, User), add(2, Stage), del(1, User)}, []string{"+0x1", "+0x2", "-0x1"}, []uint64{2}},
		{"unknown owner", []regOp{bad(add(1, numOwners))}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			r := newRegistry(f.hooks())
			for i, op := range c.ops {
				var err error
				if op.add {
					err = r.add(op.addr, op.owner)
				} else {
					err = r.remove(op.addr, op.owner)
				}
				if (err != nil) != op.fails {
					t.Errorf("op %d (%+v): got error %v, want error %v", i, op, err, op.fails)
				}
			}
			if !slices.Equal(f.log, c.log) {
				t.Errorf("hook calls: got %v, want %v", f.log, c.log)
			}
			if got := f.installed(); !slices.Equal(got, c.left) {
				t.Errorf("hooks left: got %#x, want %#x", got, c.left)
			}
		})
	}
}

func TestRegistryFailedInstallHoldsNothing(t *testing.T) {
	f := newFake(t)
	f.failing[1] = true
	r := newRegistry(f.hooks())
	if err := r.add(1, User); err == nil {
		t.Fatal("add with a failing install: got no error")
	}
	if r.holds(1, User) || len(r.owners(1)) != 0 {
		t.Errorf("after a failed install: owners %v, want none", r.owners(1))
	}
	delete(f.failing, 1)
	if err := r.add(1, User); err != nil {
		t.Fatalf("add after the failure: %v", err)
	}
	if got := f.installed(); !slices.Equal(got, []uint64{1}) {
		t.Errorf("hooks: got %v, want [1]", got)
	}
}

// TestRegistryRandom runs random adds and removes against a model that
// counts holds per (address, owner): after every step the installed hooks
// must be exactly the addresses some owner holds, and the owners the
// registry reports must be the model's.
func TestRegistryRandom(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		f := newFake(t)
		r := newRegistry(f.hooks())
		model := map[uint64]*[numOwners]int{}
		const addrs = 6
		for step := 0; step < 2000; step++ {
			a := uint64(rng.Intn(addrs))
			o := Owner(rng.Intn(int(numOwners)))
			if model[a] == nil {
				model[a] = new([numOwners]int)
			}
			if rng.Intn(2) == 0 {
				if err := r.add(a, o); err != nil {
					t.Fatalf("seed %d step %d: add(%d, %v): %v", seed, step, a, o, err)
				}
				model[a][o]++
			} else {
				err := r.remove(a, o)
				if model[a][o] == 0 {
					if err == nil {
						t.Fatalf("seed %d step %d: remove(%d, %v) of no hold: got no error", seed, step, a, o)
					}
				} else {
					if err != nil {
						t.Fatalf("seed %d step %d: remove(%d, %v): %v", seed, step, a, o, err)
					}
					model[a][o]--
				}
			}
			var want []uint64
			for addr := uint64(0); addr < addrs; addr++ {
				var owners []Owner
				if c := model[addr]; c != nil {
					for owner, n := range c {
						if n > 0 {
							owners = append(owners, Owner(owner))
						}
					}
				}
				if len(owners) > 0 {
					want = append(want, addr)
				}
				if got := r.owners(addr); !slices.Equal(got, owners) {
					t.Fatalf("seed %d step %d: owners(%d): got %v, want %v", seed, step, addr, got, owners)
				}
				for _, owner := range owners {
					if !r.holds(addr, owner) {
						t.Fatalf("seed %d step %d: holds(%d, %v) = false", seed, step, addr, owner)
					}
				}
			}
			if got := f.installed(); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: hooks: got %v, want %v", seed, step, got, want)
			}
		}
	}
}
