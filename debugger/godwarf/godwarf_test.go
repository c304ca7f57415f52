package godwarf

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

// longString is 300 bytes, more than String shows.
var longString = strings.Repeat("0123456789", 30)

// guestMain declares initialised globals of many kinds; the compiler lays
// them out as static data, so they can be read from the file image.
var guestMain = `package main

import (
	"fmt"
	"sync/atomic"

	"guest/sub"
)

type inner struct {
	a int16
	b string
}

type outer struct {
	n    int
	in   inner
	p    *int
	ok   bool
	next *outer
}

type d4 struct{ w int }
type d3 struct{ z d4 }
type d2 struct{ y d3 }
type d1 struct{ x d2 }

type S string
type L []int
type E int

func (e E) String() string { return "E" }

type Stringer interface{ String() string }

type base struct{ id int }

type derived struct {
	name string
	base
}

var answer = 42
var greeting = "hello"
var long = "` + longString + `"
var primes = [5]int{2, 3, 5, 7, 11}
var sl = []int{1, 2, 3}
var st = outer{n: 7, in: inner{a: -3, b: "in"}, p: &answer, ok: true}
var sp = &st
var nilp *int
var flag = true
var pi = 3.25
var bs = []byte{1, 2, 3}
var m map[string]int
var ch chan int
var arr = [4]byte{'a', 'b', 'c', 'd'}
var arr2 = [2][2]int{{1, 2}, {3, 4}}
var big [100]int
var u8 uint8 = 200
var i8 int8 = -5
var f32 float32 = 1.5
var c128 = complex(1, 2)
var up uintptr = 0x1234
var ps = []string{"a", "b"}
var pts = []inner{{1, "a"}, {2, "b"}}
var ptrs = []*int{&answer, nil}
var deep = d1{d2{d3{d4{1}}}}
var named S = "x"
var nl = L{4, 5}
var ei interface{} = 7
var eptr interface{} = &answer
var str Stringer = E(3)
var iface interface{}
var fn func()
var funcv = helper
var cnt atomic.Int32
var done atomic.Bool
var Dupname = 2
var dv = derived{"d", base{5}}

func helper() {}

func main() {
	fmt.Println(answer, greeting, long, primes, sl, st, sp, nilp, flag, pi, bs, m, ch, arr, arr2, big,
		u8, i8, f32, c128, up, ps, pts, ptrs, deep, named, nl, ei, eptr, str, iface, fn == nil, funcv != nil,
		cnt.Load(), done.Load(), Dupname, sub.Dupname, dv)
}
`

const guestSub = `package sub

var Dupname = 1
`

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.RemoveBuilds()
	os.Exit(code)
}

// toolchain is a go command to build the guest with.
type toolchain struct {
	name string
	tool func(t *testing.T) string
}

var toolchains = []toolchain{
	{"current", goTool},
	{"go1.19", need119},
}

func goTool(t *testing.T) string  { return testbin.GoTool(t) }
func need119(t *testing.T) string { return testbin.Need119(t) }

// buildGuest builds the guest program with tool and flags, once per run.
func buildGuest(t *testing.T, tool string, flags ...string) string {
	t.Helper()
	files := map[string]string{
		"go.mod":     "module guest\n\ngo 1.17\n",
		"main.go":    guestMain,
		"sub/sub.go": guestSub,
	}
	return testbin.Build(t, tool, files, nil, flags...)
}

// go117Binary decodes the go1.17 hello world shipped in GOROOT. Its DWARF
// is in compressed .zdebug_* sections.
func go117Binary(t *testing.T) string { return testbin.Go117Binary(t, goTool(t)) }

// open loads the DWARF of the binary at path.
func open(t *testing.T, path string) (*loader.File, *Info) {
	t.Helper()
	f, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Load(f)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return f, in
}

func eval(t *testing.T, in *Info, expr string, mem Memory) Value {
	t.Helper()
	v, err := in.Eval(expr, mem)
	if err != nil {
		t.Fatalf("Eval(%q): %v", expr, err)
	}
	return v
}

func symAddr(t *testing.T, f *loader.File, name string) uint64 {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := syms.Lookup(name)
	if !ok {
		t.Fatalf("no symbol %s", name)
	}
	return s.Addr
}

func TestEvalFormat(t *testing.T) {
	for _, tc := range toolchains {
		t.Run(tc.name, func(t *testing.T) {
			f, in := open(t, buildGuest(t, tc.tool(t)))
			mem := Image(f)
			answer := eval(t, in, "main.answer", mem).Addr
			st := eval(t, in, "main.st", mem).Addr
			helper := symAddr(t, f, "main.helper")

			bigWant := "[100]int [" + strings.Repeat("0,", 64) + "...+36 more]"
			tests := []struct {
				expr, name, typ, want string
			}{
				{"main.answer", "main.answer", "int", "42"},
				{"answer", "main.answer", "int", "42"},
				{"main.greeting", "main.greeting", "string", `"hello"`},
				{"main.long", "main.long", "string", strconv.Quote(longString[:256]) + "..."},
				{"main.primes", "main.primes", "[5]int", "[5]int [2,3,5,7,11]"},
				{"main.primes[4]", "main.primes[4]", "int", "11"},
				{"main.sl", "main.sl", "[]int", "[]int len: 3, cap: 3, [1,2,3]"},
				{"sl[1]", "main.sl[1]", "int", "2"},
				{"main.st", "main.st", "main.outer",
					fmt.Sprintf(`main.outer {n: 7, in: main.inner {a: -3, b: "in"}, p: (*int)(%#x), ok: true, next: (*main.outer)(nil)}`, answer)},
				{"main.st.in", "main.st.in", "main.inner", `main.inner {a: -3, b: "in"}`},
				{"main.st.in.b", "main.st.in.b", "string", `"in"`},
				{"main.st.in.b[1]", "main.st.in.b[1]", "uint8", "110"},
				{"*main.st.p", "*main.st.p", "int", "42"},
				{"main.sp", "main.sp", "*main.outer", fmt.Sprintf("(*main.outer)(%#x)", st)},
				{"sp.in.a", "main.sp.in.a", "int16", "-3"},
				{"*sp", "*main.sp", "main.outer",
					fmt.Sprintf(`main.outer {n: 7, in: main.inner {a: -3, b: "in"}, p: (*int)(%#x), ok: true, next: (*main.outer)(nil)}`, answer)},
				{"main.nilp", "main.nilp", "*int", "(*int)(nil)"},
				{"main.flag", "main.flag", "bool", "true"},
				{"main.pi", "main.pi", "float64", "3.25"},
				{"main.bs", "main.bs", "[]uint8", "[]uint8 len: 3, cap: 3, [1,2,3]"},
				{"main.m", "main.m", "map[string]int", "map[string]int(nil)"},
				{"main.ch", "main.ch", "chan int", "chan int(nil)"},
				{"main.arr", "main.arr", "[4]uint8", "[4]uint8 [97,98,99,100]"},
				{"main.arr2", "main.arr2", "[2][2]int", "[2][2]int [[1,2],[3,4]]"},
				{"main.arr2[1][0]", "main.arr2[1][0]", "int", "3"},
				{"main.big", "main.big", "[100]int", bigWant},
				{"main.u8", "main.u8", "uint8", "200"},
				{"main.i8", "main.i8", "int8", "-5"},
				{"main.f32", "main.f32", "float32", "1.5"},
				{"main.c128", "main.c128", "complex128", "(1+2i)"},
				{"main.up", "main.up", "uintptr", "0x1234"},
				{"main.ps", "main.ps", "[]string", `[]string len: 2, cap: 2, ["a","b"]`},
				{"main.pts", "main.pts", "[]main.inner", `[]main.inner len: 2, cap: 2, [{a: 1, b: "a"},{a: 2, b: "b"}]`},
				{"main.pts[1].b", "main.pts[1].b", "string", `"b"`},
				{"main.ptrs", "main.ptrs", "[]*int", fmt.Sprintf("[]*int len: 2, cap: 2, [(*int)(%#x),(*int)(nil)]", answer)},
				{"*main.ptrs[0]", "*main.ptrs[0]", "int", "42"},
				{"main.deep", "main.deep", "main.d1", "main.d1 {x: main.d2 {y: main.d3 {z: main.d4 {...}}}}"},
				{"main.deep.x.y.z", "main.deep.x.y.z", "main.d4", "main.d4 {w: 1}"},
				{"main.named", "main.named", "main.S", `"x"`},
				{"main.nl", "main.nl", "main.L", "main.L len: 2, cap: 2, [4,5]"},
				{"main.ei", "main.ei", "interface {}", "interface {}(int) 7"},
				{"main.eptr", "main.eptr", "interface {}", fmt.Sprintf("interface {}(*int) (*int)(%#x)", answer)},
				{"main.str", "main.str", "main.Stringer", "main.Stringer(main.E) 3"},
				{"main.iface", "main.iface", "interface {}", "interface {}(nil)"},
				{"main.fn", "main.fn", "func()", "func() nil"},
				{"main.funcv", "main.funcv", "func()", fmt.Sprintf("func() %#x (main.helper)", helper)},
				{"main.cnt", "main.cnt", "sync/atomic.Int32", "0"},
				{"main.done", "main.done", "sync/atomic.Bool", "false"},
				{"main.Dupname", "main.Dupname", "int", "2"},
				{"sub.Dupname", "guest/sub.Dupname", "int", "1"},
				{"main.dv", "main.dv", "main.derived", `main.derived {name: "d", base: main.base {id: 5}}`},
				{"main.dv.id", "main.dv.id", "int", "5"},
				{"main.dv.base.id", "main.dv.base.id", "int", "5"},
				{"runtime.sched.npidle", "runtime.sched.npidle", "", "0"},
				{"sched.lastpoll", "runtime.sched.lastpoll", "", "0"},
			}
			if off, typ, err := in.FieldOffset("main.derived", "id"); err != nil || off != 16 || typeName2(typ) != "int" {
				t.Errorf("FieldOffset(main.derived, id): got %d, %v, %v, want 16, int (promoted from base)", off, typ, err)
			}
			for _, tt := range tests {
				v, err := in.Eval(tt.expr, mem)
				if err != nil {
					t.Errorf("Eval(%q): got error %v, want %s", tt.expr, err, tt.want)
					continue
				}
				if got := v.String(); got != tt.want {
					t.Errorf("Eval(%q).String(): got %s, want %s", tt.expr, got, tt.want)
				}
				if v.Name != tt.name {
					t.Errorf("Eval(%q).Name: got %s, want %s", tt.expr, v.Name, tt.name)
				}
				if got := typeName2(v.Type); tt.typ != "" && got != tt.typ {
					t.Errorf("Eval(%q).Type: got %s, want %s", tt.expr, got, tt.typ)
				}
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	for _, tc := range toolchains {
		t.Run(tc.name, func(t *testing.T) {
			f, in := open(t, buildGuest(t, tc.tool(t)))
			mem := Image(f)
			tests := []struct{ expr, want string }{
				{"runtime.nope", `no symbol "runtime.nope"`},
				{"Dupname", `ambiguous name "Dupname": guest/sub.Dupname, main.Dupname`},
				{"runtime.sched.bogus", `runtime.sched has no field "bogus"`},
				{"sp.bogus", `main.sp has no field "bogus"`},
				{"*main.nilp", "nil pointer dereference: main.nilp is nil"},
				{"main.nilp.x", `main.nilp is not a struct (type *int), it has no field "x"`},
				{"main.sp.next.n", "nil pointer dereference: main.sp.next is nil"},
				{"main.primes[9]", "index 9 out of range [0:5]"},
				{"main.sl[3]", "index 3 out of range [0:3]"},
				{"main.sl[-1]", "index -1 out of range [0:3]"},
				{"main.greeting[5]", "index 5 out of range [0:5]"},
				{"main.answer.x", `main.answer is not a struct (type int), it has no field "x"`},
				{"main.answer[0]", "cannot index main.answer (type int)"},
				{"*main.answer", "cannot dereference main.answer (type int)"},
				{"main.sl[", `bad expression "main.sl[": missing ]`},
				{"main.sl[x]", `bad expression "main.sl[x]": index "x" is not an integer`},
				{"", `bad expression "": no variable name`},
				{"main.st..n", `bad expression "main.st..n": empty field name`},
			}
			for _, tt := range tests {
				v, err := in.Eval(tt.expr, mem)
				if err == nil {
					t.Errorf("Eval(%q): got %s, want error %s", tt.expr, v, tt.want)
					continue
				}
				if err.Error() != tt.want {
					t.Errorf("Eval(%q): got error %s, want %s", tt.expr, err, tt.want)
				}
			}
		})
	}
}

// failMem is memory where nothing can be read.
type failMem struct{}

func (failMem) Peek(addr uint64, p []byte) error { return errors.New("unmapped") }

func TestUnreadableMemory(t *testing.T) {
	_, in := open(t, buildGuest(t, goTool(t)))
	sp := eval(t, in, "main.sp", failMem{})
	answer := eval(t, in, "main.answer", failMem{})
	tests := []struct{ got, want string }{
		{answer.String(), fmt.Sprintf("<cannot read 8 bytes at %#x: unmapped>", answer.Addr)},
		{sp.String(), fmt.Sprintf("<cannot read 8 bytes at %#x: unmapped>", sp.Addr)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
	_, err := in.Eval("*main.sp", failMem{})
	if want := fmt.Sprintf("cannot read 8 bytes at %#x: unmapped", sp.Addr); err == nil || err.Error() != want {
		t.Errorf("Eval(*main.sp): got error %v, want %s", err, want)
	}
}

func TestValueAccessors(t *testing.T) {
	f, in := open(t, buildGuest(t, goTool(t)))
	mem := Image(f)
	ints := []struct {
		expr string
		want int64
	}{
		{"main.answer", 42},
		{"main.i8", -5},
		{"main.u8", 200},
		{"main.flag", 1},
		{"main.st.in.a", -3},
		{"main.cnt", 0},
		{"main.up", 0x1234},
	}
	for _, tt := range ints {
		got, err := eval(t, in, tt.expr, mem).Int()
		if err != nil || got != tt.want {
			t.Errorf("Eval(%q).Int(): got %d, %v, want %d", tt.expr, got, err, tt.want)
		}
	}
	sl := eval(t, in, "main.sl", mem)
	e, err := sl.Index(2)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.Int(); err != nil || got != 3 {
		t.Errorf("main.sl.Index(2).Int(): got %d, %v, want 3", got, err)
	}
	s, n, err := eval(t, in, "main.long", mem).Str(10)
	if err != nil || s != "0123456789" || n != 300 {
		t.Errorf("main.long.Str(10): got %q, %d, %v, want %q, 300", s, n, err, "0123456789")
	}
	if _, err := eval(t, in, "main.st", mem).Int(); err == nil || err.Error() != "main.st is not an integer (type main.outer)" {
		t.Errorf("main.st.Int(): got error %v, want main.st is not an integer (type main.outer)", err)
	}

	// At reads a typed value at any address, as runtime views do.
	st := eval(t, in, "main.st", mem)
	at, err := in.At("main.outer", st.Addr, mem)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := at.String(), st.String(); got != want {
		t.Errorf("At(main.outer, %#x): got %s, want %s", st.Addr, got, want)
	}
	in2, err := at.Field("in")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("(*main.outer)(%#x).in", st.Addr); in2.Name != want {
		t.Errorf("At(...).Field(in).Name: got %s, want %s", in2.Name, want)
	}
}

func TestGlobals(t *testing.T) {
	_, in := open(t, buildGuest(t, goTool(t)))
	g := in.Globals()
	if !sort.StringsAreSorted(g) {
		t.Errorf("Globals() not sorted")
	}
	for _, want := range []string{"main.answer", "main.st", "guest/sub.Dupname", "runtime.sched", "runtime.m0", "runtime.g0", "runtime.allgs"} {
		i := sort.SearchStrings(g, want)
		if i == len(g) || g[i] != want {
			t.Errorf("Globals(): got no %s, want it among %d names", want, len(g))
		}
	}
}

// gobufSP computes the offset of runtime.g's sched.sp straight from the
// DWARF structs, as a check on FieldOffset.
func gobufSP(t *testing.T, in *Info) uint64 {
	t.Helper()
	g, err := in.Type("runtime.g")
	if err != nil {
		t.Fatal(err)
	}
	gs, ok := g.(*dwarf.StructType)
	if !ok {
		t.Fatalf("Type(runtime.g): got %T, want *dwarf.StructType", g)
	}
	for _, f := range gs.Field {
		if f.Name != "sched" {
			continue
		}
		buf, ok := underlying(f.Type).(*dwarf.StructType)
		if !ok {
			t.Fatalf("runtime.g.sched: got %T, want a struct", f.Type)
		}
		for _, b := range buf.Field {
			if b.Name == "sp" {
				return uint64(f.ByteOffset + b.ByteOffset)
			}
		}
	}
	t.Fatal("runtime.g has no sched.sp")
	return 0
}

func TestRuntimeTypes(t *testing.T) {
	type bin struct {
		name     string
		path     func(t *testing.T) string
		version  string // prefix of runtime.buildVersion
		ncpu     string // the global holding the CPU count, 0 in the image
		compress bool   // DWARF in .zdebug_* sections
	}
	bins := []bin{
		{"current", func(t *testing.T) string { return buildGuest(t, goTool(t)) }, "go", "", false},
		{"go1.19", func(t *testing.T) string { return buildGuest(t, need119(t)) }, "go1.19", "runtime.ncpu", false},
		{"go1.17 from GOROOT testdata", go117Binary, "go1.17", "runtime.ncpu", true},
	}
	for _, b := range bins {
		t.Run(b.name, func(t *testing.T) {
			path := b.path(t)
			f, in := open(t, path)
			mem := Image(f)

			ef, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := ef.Section(".zdebug_info") != nil; got != b.compress {
				t.Errorf(".zdebug_info present: got %v, want %v", got, b.compress)
			}
			ef.Close()

			v := eval(t, in, "runtime.buildVersion", mem)
			if s, _, err := v.Str(64); err != nil || !strings.HasPrefix(s, b.version) {
				t.Errorf("runtime.buildVersion: got %q, %v, want prefix %q", s, err, b.version)
			}

			ncpu := b.ncpu
			if ncpu == "" {
				// runtime.ncpu became runtime.numCPUStartup in go1.25.
				ncpu = "runtime.ncpu"
				if _, err := in.Eval(ncpu, mem); err != nil {
					if want := `no symbol "runtime.ncpu"`; err.Error() != want {
						t.Errorf("Eval(runtime.ncpu): got error %v, want %s or a value", err, want)
					}
					ncpu = "runtime.numCPUStartup"
				}
			}
			v = eval(t, in, ncpu, mem)
			if got, want := v.String(), "0"; got != want {
				t.Errorf("%s: got %s, want %s", ncpu, got, want)
			}
			if got, want := typeName2(v.Type), "int32"; got != want {
				t.Errorf("%s type: got %s, want %s", ncpu, got, want)
			}
			if ncpu == "runtime.ncpu" {
				if v2 := eval(t, in, "ncpu", mem); v2.Addr != v.Addr {
					t.Errorf("Eval(ncpu): got %#x, want %#x", v2.Addr, v.Addr)
				}
			}

			for _, name := range []string{"runtime.g", "runtime.m", "runtime.p", "runtime.schedt", "runtime.gobuf"} {
				typ, err := in.Type(name)
				if err != nil {
					t.Errorf("Type(%s): %v", name, err)
					continue
				}
				if _, ok := typ.(*dwarf.StructType); !ok || typ.Size() <= 0 {
					t.Errorf("Type(%s): got %T of size %d, want a struct", name, typ, typ.Size())
				}
			}
			if _, err := in.Type("runtime.nope"); err == nil || err.Error() != `no type "runtime.nope"` {
				t.Errorf(`Type(runtime.nope): got error %v, want no type "runtime.nope"`, err)
			}

			off, typ, err := in.FieldOffset("runtime.g", "sched.sp")
			if err != nil {
				t.Fatal(err)
			}
			if want := gobufSP(t, in); off != want || off == 0 {
				t.Errorf("FieldOffset(runtime.g, sched.sp): got %d, want %d (> 0)", off, want)
			}
			if got := typeName2(typ); got != "uintptr" {
				t.Errorf("FieldOffset(runtime.g, sched.sp) type: got %s, want uintptr", got)
			}
			g0 := eval(t, in, "runtime.g0", mem)
			if sp := eval(t, in, "runtime.g0.sched.sp", mem); sp.Addr-g0.Addr != off {
				t.Errorf("runtime.g0.sched.sp: got offset %d, want %d", sp.Addr-g0.Addr, off)
			}
			if _, _, err := in.FieldOffset("runtime.g", "sched.bogus"); err == nil || err.Error() != `runtime.g.sched has no field "bogus"` {
				t.Errorf(`FieldOffset(runtime.g, sched.bogus): got error %v, want runtime.g.sched has no field "bogus"`, err)
			}
			if _, _, err := in.FieldOffset("runtime.g", "stackguard0.x"); err == nil || err.Error() != "runtime.g.stackguard0 is not a struct (type uintptr)" {
				t.Errorf("FieldOffset(runtime.g, stackguard0.x): got error %v, want runtime.g.stackguard0 is not a struct (type uintptr)", err)
			}

			// The runtime's big structures format within bounds.
			for _, expr := range []string{"runtime.sched", "runtime.m0", "runtime.g0", "runtime.allgs", "runtime.allp"} {
				s := eval(t, in, expr, mem).String()
				if len(s) == 0 || len(s) > 2*maxOutput || strings.Contains(s, "\n") {
					t.Errorf("%s: got %d bytes, want one line of at most %d", expr, len(s), 2*maxOutput)
				}
			}
			if got, want := eval(t, in, "runtime.allgs", mem).String(), "[]*runtime.g len: 0, cap: 0, nil"; got != want {
				t.Errorf("runtime.allgs: got %s, want %s", got, want)
			}
			if got, want := eval(t, in, "runtime.sched.npidle", mem).String(), "0"; got != want {
				t.Errorf("runtime.sched.npidle: got %s, want %s", got, want)
			}
		})
	}
}

func TestNoDWARF(t *testing.T) {
	for _, tc := range toolchains {
		t.Run(tc.name, func(t *testing.T) {
			f, err := loader.Open(buildGuest(t, tc.tool(t), "-ldflags=-w"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(f)
			if want := "no DWARF debug info (built with -ldflags=-w?)"; err == nil || err.Error() != want {
				t.Errorf("Load: got error %v, want %s", err, want)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	f, in := open(t, buildGuest(t, goTool(t)))
	mem := Image(f)
	exprs := []string{"main.st", "runtime.sched", "runtime.m0", "main.ei", "main.str", "runtime.g0"}
	want := make([]string, len(exprs))
	for i, e := range exprs {
		want[i] = eval(t, in, e, mem).String()
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, e := range exprs {
				v, err := in.Eval(e, mem)
				if err != nil {
					t.Error(err)
					return
				}
				if got := v.String(); got != want[i] {
					t.Errorf("%s: got %s, want %s", e, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
}
