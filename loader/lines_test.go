package loader

import "testing"

// TestFuncPicksRealCode checks that Func chooses the real code over an
// ABI wrapper in both directions: an assembly function (named .abi0) with
// a plain-named wrapper, and a Go function with an .abi0 wrapper.
func TestFuncPicksRealCode(t *testing.T) {
	tests := []struct {
		name, bin, fn, want string
	}{
		{"go1.17 assembly with a Go-callable wrapper", "go117", "runtime.mstart", "runtime.mstart.abi0"},
		{"go1.17 Go function with an ABI0 wrapper", "go117", "runtime.schedinit", "runtime.schedinit"},
		{"current Go function with an ABI0 wrapper", "hello", "runtime.osinit", "runtime.osinit"},
		{"current assembly only", "hello", "runtime.rt0_go", "runtime.rt0_go.abi0"},
		{"explicit .abi0 taken as written", "hello", "runtime.osinit.abi0", "runtime.osinit.abi0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := helloBinary(t)
			if tt.bin == "go117" {
				path = go117Binary(t)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			got, ok := syms.Func(tt.fn)
			if !ok || got.Name != tt.want {
				t.Fatalf("Func(%q) = %q, %v; want %q", tt.fn, got.Name, ok, tt.want)
			}
		})
	}
}
