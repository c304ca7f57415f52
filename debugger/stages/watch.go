package stages

import (
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
)

// Watch resolves the boot stages against f (which loads its symbols) and
// has t watch them: the one stage watcher of step, run --stages and
// compare.
func Watch(t *target.Target, f *loader.File) (*Tracker, error) {
	tr, err := New(f)
	if err != nil {
		return nil, err
	}
	if err := t.WatchStages(tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// Run runs t, which Watch set up with tr, to the guest's end, calling
// reached for each stage as it is reached.
func Run(t *target.Target, tr *Tracker, reached func(*Resolved)) *target.Exit {
	for {
		st := t.Continue(target.Resume{AtStage: func() bool { return true }})
		switch {
		case st.Kind == target.StopExited:
			return st.Exit
		case st.Stage:
			reached(tr.Last())
		}
	}
}
