package timeline

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// svgFacts are what the tests look for in a picture.
type svgFacts struct {
	lanes, clones int
	texts         map[string]bool // every <text> content
	width         string
}

// checkSVG parses an SVG as XML and collects its lanes, clone arrows and
// texts.
func checkSVG(t *testing.T, data []byte) svgFacts {
	t.Helper()
	f := svgFacts{texts: map[string]bool{}}
	d := xml.NewDecoder(bytes.NewReader(data))
	var inText int
	var text strings.Builder
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root {
				if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root element %v, want svg in the SVG namespace", el.Name)
				}
				for _, a := range el.Attr {
					if a.Name.Local == "width" {
						f.width = a.Value
					}
				}
				root = false
			}
			for _, a := range el.Attr {
				if a.Name.Local == "class" && a.Value == "lane" {
					f.lanes++
				}
				if a.Name.Local == "class" && a.Value == "clone" {
					f.clones++
				}
			}
			if el.Name.Local == "text" {
				inText++
				text.Reset()
			}
		case xml.CharData:
			if inText > 0 {
				text.Write(el)
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				inText--
				f.texts[strings.TrimSpace(text.String())] = true
			}
		}
	}
	return f
}

func TestWriteSVG(t *testing.T) {
	tl := boot().Timeline()
	var buf bytes.Buffer
	o := Options{Title: "hello <go1.26.8> & co", Chapters: map[int]string{1: "boot", 2: "initialisation overview"}}
	if err := WriteSVG(&buf, tl, o); err != nil {
		t.Fatal(err)
	}
	f := checkSVG(t, buf.Bytes())
	if f.lanes != len(tl.Threads) {
		t.Errorf("%d lanes, want one per thread (%d)", f.lanes, len(tl.Threads))
	}
	if f.clones != 1 {
		t.Errorf("%d clone arrows, want 1", f.clones)
	}
	for _, s := range tl.Stages {
		if !f.texts[s.Label()] {
			t.Errorf("no label %q", s.Label())
		}
	}
	for _, want := range []string{"hello <go1.26.8> & co", "thread 1000", "thread 1001", "cloned by 1000", "ch.1 boot", "ch.5", "instructions", "7,010"} {
		if !f.texts[want] {
			t.Errorf("no text %q", want)
		}
	}
	var again bytes.Buffer
	WriteSVG(&again, boot().Timeline(), o)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two pictures of the same recording differ")
	}

	var page bytes.Buffer
	if err := WriteHTML(&page, tl, o); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	i, j := strings.Index(html, "<svg"), strings.LastIndex(html, "</svg>")
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || i < 0 || j < i || !strings.HasSuffix(html, "</html>\n") {
		t.Fatalf("HTML page without an SVG:\n%s", html)
	}
	if svg := html[i : j+len("</svg>")+1]; svg != buf.String() {
		t.Error("the page's SVG differs from WriteSVG's")
	}
}

// TestSVGLabelsApart checks that no two labels of a lane overlap, with the
// widths the layout assumes, on a boot where many stages are close.
func TestSVGLabelsApart(t *testing.T) {
	r := NewRecorder()
	r.ThreadStart(1000, 0, 0)
	for i := 0; i < 30; i++ {
		r.Stage(i+1, "runtime.stage"+strings.Repeat("x", i%7), 1+i%4, "", 1000, uint64(i*i))
	}
	r.End(1_000_000)
	tl := r.Timeline()
	sc := newScale(tl, headerW, 1600-marginR)
	if sc.x(0) != headerW || sc.x(tl.End) != 1600-marginR {
		t.Errorf("scale maps [0, end] to [%v, %v]", sc.x(0), sc.x(tl.End))
	}
	var prev float64 = -1
	for v := uint64(0); v <= tl.End; v += 997 {
		if x := sc.x(v); x < prev {
			t.Fatalf("scale not monotonic at %d", v)
		} else {
			prev = x
		}
	}
	var buf bytes.Buffer
	WriteSVG(&buf, tl, Options{})
	f := checkSVG(t, buf.Bytes())
	for _, s := range tl.Stages {
		if !f.texts[s.Label()] {
			t.Errorf("no label %q", s.Label())
		}
	}
	// Rebuild the layout's boxes from the SVG: each label's row and span.
	type box struct{ x0, x1, y float64 }
	var boxes []box
	d := xml.NewDecoder(&buf)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "text" && attr(el, "class") == "stage" {
			var s string
			d.DecodeElement(&s, &el)
			x := atof(attr(el, "x"))
			boxes = append(boxes, box{x, x + textW(s), atof(attr(el, "y"))})
		}
	}
	if len(boxes) != len(tl.Stages) {
		t.Fatalf("found %d stage labels, want %d", len(boxes), len(tl.Stages))
	}
	for i, a := range boxes {
		for _, b := range boxes[i+1:] {
			if a.y == b.y && a.x0 < b.x1 && b.x0 < a.x1 {
				t.Errorf("labels overlap: %+v %+v", a, b)
			}
		}
		if a.x0 < 0 || a.x1 > 1600 {
			t.Errorf("label outside the picture: %+v", a)
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// TestSVGToPNG renders the picture with rsvg-convert (Debian librsvg2-bin),
// when it is installed, as a check that a real renderer accepts it.
func TestSVGToPNG(t *testing.T) {
	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		t.Skip("rsvg-convert not installed (Debian package librsvg2-bin): not rendering the SVG to PNG")
	}
	dir := t.TempDir()
	svg, png := filepath.Join(dir, "boot.svg"), filepath.Join(dir, "boot.png")
	var buf bytes.Buffer
	WriteSVG(&buf, boot().Timeline(), Options{Title: "boot", Width: 1200})
	if err := os.WriteFile(svg, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(rsvg, "-o", png, svg).CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v\n%s", err, out)
	}
	checkPNG(t, png, 1200)
}

// checkPNG checks the PNG signature and the width in its IHDR chunk.
func checkPNG(t *testing.T, path string, width uint32) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || string(b[:8]) != "\x89PNG\r\n\x1a\n" || string(b[12:16]) != "IHDR" {
		t.Fatalf("%s is not a PNG", path)
	}
	if w := binary.BigEndian.Uint32(b[16:20]); w != width {
		t.Errorf("PNG is %d pixels wide, want %d", w, width)
	}
}
