package debugger

import "testing"

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
