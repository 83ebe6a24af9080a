package reports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// contentTypesPart is the one part whose text is normalized.
const contentTypesPart = "[Content_Types].xml"

// saveOrdered saves f to w with its parts sorted by name (the content types
// first, as Office writes them), because excelize writes streamed sheets in
// Go map order and the same input must give the same bytes.
func saveOrdered(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(newZipWriter)
	buf, err := f.WriteToBuffer()
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
	zw := newZipWriter(w).(*zip.Writer)
	for _, p := range parts {
		if p.Name != contentTypesPart {
			if err := zw.Copy(p); err != nil {
				return fmt.Errorf("writing workbook part %s: %w", p.Name, err)
			}
			continue
		}
		if err := copySortedDefaults(zw, p); err != nil {
			return fmt.Errorf("writing workbook part %s: %w", p.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finishing workbook zip: %w", err)
	}
	return nil
}

// newZipWriter deflates with klauspost/compress, which takes a third of
// the standard library's time at the same level.
func newZipWriter(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	return zw
}

// copySortedDefaults writes the content types with their <Default> elements
// sorted, since excelize lists image extensions in map order once a sheet
// has a drawing and OPC gives their order no meaning.
func copySortedDefaults(zw *zip.Writer, p *zip.File) error {
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
	_, err = w.Write(sortDefaults(text))
	return err
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
