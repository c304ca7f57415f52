package debugger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestCommandTable checks the table's invariants: every command is in one
// of the known groups, which are each listed once and used, and no name or
// alias is taken twice (lookup would pick one silently).
func TestCommandTable(t *testing.T) {
	known := map[Group]bool{}
	for _, g := range Groups {
		if known[g.Group] {
			t.Errorf("group %q is in Groups twice", g.Group)
		}
		known[g.Group] = true
		if g.Title == "" {
			t.Errorf("group %q has no title", g.Group)
		}
		if len(grouped(g.Group)) == 0 {
			t.Errorf("group %q has no commands", g.Group)
		}
	}
	seen := map[string]string{}
	for _, c := range Commands {
		if !known[c.Group] {
			t.Errorf("command %q is in group %q, not one of Groups", c.Name, c.Group)
		}
		if c.Help == "" || c.run == nil {
			t.Errorf("command %q lacks its help or its function", c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if other, ok := seen[n]; ok {
				t.Errorf("%q names both %q and %q", n, other, c.Name)
			}
			seen[n] = c.Name
			if got, _ := lookup(n); got != c {
				t.Errorf("lookup(%q) does not find %q", n, c.Name)
			}
		}
	}
}

// TestCommandNeeds runs every command whose table entry needs the guest
// in the states that refuse it: after the guest exited, a command that
// runs it says so and one that reads the machine still works; without a
// machine (as after a failed restart) both say so. Some commands that
// need nothing are refused in neither state. ('restart' and the reverse
// commands are left out: they would run the guest again; so would 'stage
// -'.)
func TestCommandNeeds(t *testing.T) {
	bin := machine.binary(t, "hello")
	s, out := openSession(t, bin, "hello")
	if err := s.Exec("continue"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "[guest exited with status 0]") {
		t.Fatalf("continue did not run hello to its end:\n%s", out.String())
	}
	never := []string{"breakpoints", "stages", "help", "display", "undisplay"}
	for _, c := range Commands {
		if c.Name == "restart" || strings.HasPrefix(c.Name, "reverse-") {
			continue
		}
		if c.Name == "stage" {
			// Forward it needs a live guest; back ('stage -') it does not,
			// so it reads the machine and checks liveness itself.
			if err := s.Exec("stage"); !errors.Is(err, errExited) {
				t.Errorf("stage after the guest exited: %v, want %q", err, errExited)
			}
			continue
		}
		err := s.Exec(c.Name)
		switch c.Needs {
		case NeedsLive:
			if !errors.Is(err, errExited) {
				t.Errorf("%s after the guest exited: %v, want %q", c.Name, err, errExited)
			}
		case NeedsMachine:
			if errors.Is(err, errExited) {
				t.Errorf("%s after the guest exited: %v, want the exited guest's state", c.Name, err)
			}
		}
	}
	for _, name := range never {
		if err := s.Exec(name); err != nil {
			t.Errorf("%s after the guest exited: %v", name, err)
		}
	}
	s.Close()
	for _, c := range Commands {
		if c.Needs >= NeedsMachine {
			if err := s.Exec(c.Name); !errors.Is(err, errExited) {
				t.Errorf("%s without a machine: %v, want %q", c.Name, err, errExited)
			}
		}
	}
	for _, name := range never {
		if err := s.Exec(name); err != nil {
			t.Errorf("%s without a machine: %v", name, err)
		}
	}
}

// TestHelp checks that help lists every command once, under its group's
// heading, and that 'help CMD' shows the longer description's lines.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	s := &Session{out: &out}
	if err := s.Exec("help"); err != nil {
		t.Fatal(err)
	}
	group := map[string]Group{} // a listed command's name → the heading it is under
	var under Group
	titles := map[string]Group{}
	for _, g := range Groups {
		titles[g.Title+":"] = g.Group
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if g, ok := titles[l]; ok {
			under = g
			continue
		}
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, "  ") {
			name := strings.Split(f[0], "|")[0]
			if _, dup := group[name]; dup {
				t.Errorf("help lists %s twice", name)
			}
			group[name] = under
		}
	}
	for _, c := range Commands {
		if g, ok := group[c.Name]; !ok || g != c.Group {
			t.Errorf("help lists %s under %q, want %q:\n%s", c.Name, g, c.Group, out.String())
		}
	}
	for _, c := range Commands {
		out.Reset()
		if err := s.Exec("help " + c.Name); err != nil {
			t.Fatal(err)
		}
		want := c.Name + " " + c.Args + "\n    " + c.Help + "\n"
		for _, l := range c.longLines() {
			want += "    " + l + "\n"
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("help %s:\n%s\nwant it to start with:\n%s", c.Name, out.String(), want)
		}
	}
}
