package godwarf

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// Declaration order from the source. Under the stack ABI nothing in the
// binary orders parameters of one type declared on one line; the source
// file the DWARF names does, when it is there to read (a binary built
// where it runs, without -trimpath).

// maxSourceSize bounds the source files parsed.
const maxSourceSize = 4 << 20

// sourceFile is a parsed source file, nil when unreadable.
type sourceFile struct {
	fset *token.FileSet
	file *ast.File
}

// sourceOrder returns the names of f's receiver, parameters and results
// in declaration order, read from its source file, or nil.
func (in *Info) sourceOrder(f *Func) []string {
	path := in.declPath(f)
	if path == "" || !filepath.IsAbs(path) {
		return nil
	}
	sf := in.parsed(path)
	if sf == nil {
		return nil
	}
	short := f.name[strings.LastIndexByte(f.name, '.')+1:]
	line := 0
	for _, p := range f.Params {
		if p.declLine > 0 {
			line = int(p.declLine)
			break
		}
	}
	for _, d := range sf.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != short || fd.Type.Params == nil {
			continue
		}
		from, to := sf.fset.Position(fd.Type.Pos()).Line, sf.fset.Position(fd.Type.End()).Line
		if line != 0 && (line < from || line > to) {
			continue
		}
		var names []string
		for _, fl := range []*ast.FieldList{fd.Recv, fd.Type.Params, fd.Type.Results} {
			if fl == nil {
				continue
			}
			for _, field := range fl.List {
				for _, n := range field.Names {
					names = append(names, n.Name)
				}
			}
		}
		return names
	}
	return nil
}

// declPath is the name of f's DW_AT_decl_file, "" if unknown.
func (in *Info) declPath(f *Func) string {
	if f.declFile <= 0 || f.unit < 0 || f.unit >= len(in.units) || in.units[f.unit].entry == nil {
		return ""
	}
	lr, err := in.data.LineReader(in.units[f.unit].entry)
	if err != nil || lr == nil {
		return ""
	}
	files := lr.Files()
	if f.declFile >= int64(len(files)) || files[f.declFile] == nil {
		return ""
	}
	return files[f.declFile].Name
}

// parsed returns the source file at path, parsed once.
func (in *Info) parsed(path string) *sourceFile {
	in.srcMu.Lock()
	defer in.srcMu.Unlock()
	if sf, ok := in.sources[path]; ok {
		return sf
	}
	var sf *sourceFile
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() <= maxSourceSize {
		if src, err := os.ReadFile(path); err == nil {
			fset := token.NewFileSet()
			if file, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution); err == nil {
				sf = &sourceFile{fset, file}
			}
		}
	}
	if in.sources == nil {
		in.sources = make(map[string]*sourceFile)
	}
	in.sources[path] = sf
	return sf
}
