package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
)

// contentTypesPart is the one part whose text is normalized.
const contentTypesPart = "[Content_Types].xml"

// save writes the workbook to w with its parts sorted by name (the content
// types first, as Office writes them), because excelize writes streamed
// sheets in Go map order and the same input must give the same bytes; each
// table's rows go in place of its placeholder row on the way.
func (wb *workbook) save(ctx context.Context, w io.Writer) error {
	buf, err := wb.f.WriteToBuffer()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return fmt.Errorf("reading back the saved workbook: %w", err)
	}
	parts := slices.Clone(zr.File)
	slices.SortFunc(parts, func(a, b *zip.File) int {
		if r := partRank(a.Name) - partRank(b.Name); r != 0 {
			return r
		}
		return strings.Compare(a.Name, b.Name)
	})
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	used := make([]bool, len(wb.splices))
	for _, p := range parts {
		switch {
		case p.Name == contentTypesPart:
			err = rewritePart(zw, p, func(w io.Writer, text []byte) error {
				_, err := w.Write(sortDefaults(text))
				return err
			})
		case len(wb.splices) > 0 && strings.HasPrefix(p.Name, "xl/worksheets/sheet"):
			err = rewritePart(zw, p, func(w io.Writer, text []byte) error {
				return wb.spliceRows(ctx, w, text, used)
			})
		default:
			err = zw.Copy(p)
		}
		if err != nil {
			return fmt.Errorf("writing workbook part %s: %w", p.Name, err)
		}
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("no worksheet holds placeholder row %s", wb.splices[i].token)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finishing workbook zip: %w", err)
	}
	return nil
}

// spliceRows writes a worksheet's text with its placeholder row, if it has
// one, replaced by the table's rows.
func (wb *workbook) spliceRows(ctx context.Context, w io.Writer, text []byte, used []bool) error {
	for i, sp := range wb.splices {
		at := bytes.Index(text, []byte(sp.token))
		if at < 0 {
			continue
		}
		start := bytes.LastIndex(text[:at], []byte("<row "))
		end := bytes.Index(text[at:], []byte("</row>"))
		if start < 0 || end < 0 || used[i] {
			return fmt.Errorf("placeholder row %s is malformed or appears twice", sp.token)
		}
		used[i] = true
		if _, err := w.Write(text[:start]); err != nil {
			return err
		}
		if err := sp.enc.writeRange(ctx, w, 0, sp.enc.t.rows); err != nil {
			return fmt.Errorf("writing rows of sheet %s: %w", sp.enc.t.sheet, err)
		}
		_, err := w.Write(text[at+end+len("</row>"):])
		return err
	}
	_, err := w.Write(text)
	return err
}

// rewritePart writes part p of the saved workbook anew from its text.
func rewritePart(zw *zip.Writer, p *zip.File, write func(w io.Writer, text []byte) error) error {
	r, err := p.Open()
	if err != nil {
		return err
	}
	text, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: p.Name, Method: zip.Deflate})
	if err != nil {
		return err
	}
	return write(w, text)
}

var defaultElement = regexp.MustCompile(`<Default [^>]*>(?:</Default>)?`)

// sortDefaults sorts the run of <Default> elements of the content types.
func sortDefaults(xml []byte) []byte {
	locs := defaultElement.FindAllIndex(xml, -1)
	if len(locs) < 2 {
		return xml
	}
	// Only a contiguous run is reordered; anything else is left as is.
	for i := 1; i < len(locs); i++ {
		if locs[i][0] != locs[i-1][1] {
			return xml
		}
	}
	elems := make([]string, len(locs))
	for i, l := range locs {
		elems[i] = string(xml[l[0]:l[1]])
	}
	slices.Sort(elems)
	out := slices.Clone(xml[:locs[0][0]])
	out = append(out, strings.Join(elems, "")...)
	return append(out, xml[locs[len(locs)-1][1]:]...)
}

// partRank puts the content types first.
func partRank(name string) int {
	if name == contentTypesPart {
		return 0
	}
	return 1
}
