package target

import (
	"fmt"
	"sort"
)

// Owner is who wants a stop at an address: the hook stays while any owner
// holds it, so that deleting a user breakpoint does not blind the stage
// tracker, and a finished step does not remove a user's breakpoint.
type Owner uint8

// The owners, one per kind of client of the registry.
const (
	User     Owner = iota // a breakpoint, watchpoint or catchpoint the user set
	Stepping              // a stepping algorithm's temporary stop (next, finish, advance)
	Stage                 // the boot-stage tracker
	FrontEnd              // a front end's own stops (the gdb stub's Z packets)
	numOwners
)

var ownerNames = [numOwners]string{User: "user", Stepping: "stepping", Stage: "stage", FrontEnd: "front end"}

func (o Owner) String() string {
	if o < numOwners {
		return ownerNames[o]
	}
	return fmt.Sprintf("Owner(%d)", o)
}

// hooks installs and removes what a registry key stands for in the
// machine (a code hook, a watch); the registry calls install when a key
// gets its first holder and uninstall when it loses its last.
type hooks[K comparable] struct {
	install   func(K) error
	uninstall func(K) error
}

// registry counts, for each key, how many times each owner holds it. An
// owner may hold a key more than once (two user breakpoints on one
// address); the hook exists while any count is above zero.
type registry[K comparable] struct {
	hooks hooks[K]
	held  map[K]*[numOwners]int
}

func newRegistry[K comparable](h hooks[K]) registry[K] {
	return registry[K]{hooks: h, held: map[K]*[numOwners]int{}}
}

// add makes o hold k once more, installing the hook if k had no holder.
// If the install fails nothing is held and the error is returned.
func (r *registry[K]) add(k K, o Owner) error {
	if o >= numOwners {
		return fmt.Errorf("unknown owner %v", o)
	}
	c := r.held[k]
	if c == nil {
		if err := r.hooks.install(k); err != nil {
			return err
		}
		c = new([numOwners]int)
		r.held[k] = c
	}
	c[o]++
	return nil
}

// remove drops one of o's holds on k, uninstalling the hook when it was
// the last hold of any owner. Removing a hold that o does not have is an
// error and changes nothing.
func (r *registry[K]) remove(k K, o Owner) error {
	c := r.held[k]
	if o >= numOwners || c == nil || c[o] == 0 {
		return fmt.Errorf("%v holds no stop at %v", o, k)
	}
	c[o]--
	for _, n := range c {
		if n > 0 {
			return nil
		}
	}
	delete(r.held, k)
	return r.hooks.uninstall(k)
}

// holds reports whether o holds k.
func (r *registry[K]) holds(k K, o Owner) bool {
	c := r.held[k]
	return c != nil && o < numOwners && c[o] > 0
}

// heldByOthers reports whether an owner other than o holds k.
func (r *registry[K]) heldByOthers(k K, o Owner) bool {
	c := r.held[k]
	if c == nil {
		return false
	}
	for owner, n := range c {
		if Owner(owner) != o && n > 0 {
			return true
		}
	}
	return false
}

// owners lists the owners holding k, in Owner order.
func (r *registry[K]) owners(k K) []Owner {
	var out []Owner
	if c := r.held[k]; c != nil {
		for o, n := range c {
			if n > 0 {
				out = append(out, Owner(o))
			}
		}
	}
	return out
}

// keys returns every held key, sorted by less.
func (r *registry[K]) keys(less func(a, b K) bool) []K {
	out := make([]K, 0, len(r.held))
	for k := range r.held {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}
