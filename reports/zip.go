package reports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/parallel"
)

// orderedZip is the workbook's zip writer. excelize writes streamed sheets
// in Go map order, so a workbook with several streamed sheets would come out
// with its parts in a different order on every run: same content, different
// bytes. orderedZip compresses each part as excelize hands it over, keeps
// the compressed bytes, and writes the parts sorted by name on Close (the
// content types first, as Office does), so the same input gives the same
// bytes. Memory is the compressed workbook, which excelize buffers anyway.
// excelize also lists the content types' image extensions in map order
// once a sheet has a drawing (the charts); that small part is kept as text
// and its <Default> elements sorted, which OPC allows (their order carries
// no meaning).
type orderedZip struct {
	w       io.Writer
	parts   []*zipPart
	current *zipPart
	err     error
	// splices are the tables whose rows go in place of a placeholder row
	// (see xlsx_rows.go); worksheets are kept as text until Close for them.
	splices []spliceRows
}

type zipPart struct {
	name string
	raw  bool // kept uncompressed until Close: the content types
	data bytes.Buffer
	// blocks, when set, are the compressed part (data is empty): a table's
	// rows compressed in pieces.
	blocks [][]byte
	fw     *flate.Writer
	crc    uint32 // CRC-32 (IEEE) of the uncompressed part
	size   uint64
}

func (p *zipPart) Write(b []byte) (int, error) {
	if p.raw {
		return p.data.Write(b)
	}
	p.crc = crc32.Update(p.crc, crc32.IEEETable, b)
	p.size += uint64(len(b))
	return p.fw.Write(b)
}

// contentTypesPart is the one part whose text orderedZip normalizes.
const contentTypesPart = "[Content_Types].xml"

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

// compress replaces a raw part's text with its normalized, compressed form:
// the content types with their defaults sorted; a worksheet with its
// placeholder row (if it has one) replaced by the table's rows.
func (p *zipPart) compress(splices []spliceRows, used []bool) error {
	text := p.data.Bytes()
	if p.name == contentTypesPart {
		text = sortDefaults(text)
	}
	for i, sp := range splices {
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
		return p.compressSpliced(text[:start], sp, text[at+end+len("</row>"):])
	}
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, zipLevel)
	if err != nil {
		return err
	}
	if _, err := fw.Write(text); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	p.crc = crc32.ChecksumIEEE(text)
	p.size = uint64(len(text))
	p.data, p.raw = buf, false
	return nil
}

func (p *zipPart) compressedSize() uint64 {
	n := p.data.Len()
	for _, b := range p.blocks {
		n += len(b)
	}
	return uint64(n)
}

// piece is one independently compressed run of a part.
type piece struct {
	data blocks
	crc  uint32
	size int64
}

// blocks keeps what is written to it in blocks of up to blockSize bytes,
// never moving what it holds (a bytes.Buffer copies everything each time it
// doubles, which was a tenth of the workbook's time).
type blocks struct{ bs [][]byte }

const blockSize = 1 << 20

func (b *blocks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(b.bs) == 0 || len(b.bs[len(b.bs)-1]) == blockSize {
			b.bs = append(b.bs, make([]byte, 0, blockSize))
		}
		last := &b.bs[len(b.bs)-1]
		k := copy((*last)[len(*last):blockSize], p)
		*last = (*last)[:len(*last)+k]
		p = p[k:]
	}
	return n, nil
}

// compressSpliced compresses prefix, the table's rows and suffix as one
// deflate stream made of pieces compressed in parallel (the rows are most
// of a workbook's bytes): every piece but the last ends with a sync flush,
// which leaves it byte-aligned and not final, so the pieces concatenate
// into one valid stream (as pigz does); the CRC-32 of the whole is combined
// from the pieces'.
func (p *zipPart) compressSpliced(prefix []byte, sp spliceRows, suffix []byte) error {
	n := max(1, sp.chunks)
	pieces := make([]piece, n)
	if err := parallel.Each(n, runtime.GOMAXPROCS(0), func(i int) error {
		return pieces[i].fill(i, n, prefix, sp, suffix)
	}); err != nil {
		return err
	}
	var crc uint32
	var size int64
	p.data = bytes.Buffer{}
	for i := range pieces {
		p.blocks = append(p.blocks, pieces[i].data.bs...)
		crc = crc32Combine(crc, pieces[i].crc, pieces[i].size)
		size += pieces[i].size
	}
	p.raw, p.size = false, uint64(size)
	p.crc = crc
	return nil
}

func (pc *piece) fill(i, n int, prefix []byte, sp spliceRows, suffix []byte) error {
	fw, err := flate.NewWriter(&pc.data, zipLevel)
	if err != nil {
		return err
	}
	w := &pieceWriter{pc: pc, fw: fw}
	if i == 0 {
		if _, err := w.Write(prefix); err != nil {
			return err
		}
	}
	if sp.chunks > 0 {
		if err := sp.write(w, i); err != nil {
			return err
		}
	}
	if i < n-1 {
		err = fw.Flush()
	} else {
		if _, err := w.Write(suffix); err != nil {
			return err
		}
		err = fw.Close()
	}
	return err
}

// pieceWriter counts and checksums what it compresses into a piece.
type pieceWriter struct {
	pc *piece
	fw *flate.Writer
}

func (w *pieceWriter) Write(b []byte) (int, error) {
	w.pc.crc = crc32.Update(w.pc.crc, crc32.IEEETable, b)
	w.pc.size += int64(len(b))
	return w.fw.Write(b)
}

// crc32Combine is the CRC-32 (IEEE) of a followed by b, from crc(a),
// crc(b) and len(b): zlib's crc32_combine, multiplying by x^(8*len(b)) in
// GF(2) through repeated squaring of the operator that feeds one zero bit.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd)
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}

// zipLevel is the workbook's deflate level.
const zipLevel = flate.DefaultCompression

var _ excelize.ZipWriter = (*orderedZip)(nil)

func (z *orderedZip) finish() error {
	if z.current == nil {
		return nil
	}
	if z.current.raw {
		z.current = nil
		return nil
	}
	err := z.current.fw.Close()
	z.current.fw = nil
	z.current = nil
	return err
}

// Create starts a part; the previous one is complete (excelize writes one
// part at a time, as archive/zip requires).
func (z *orderedZip) Create(name string) (io.Writer, error) {
	if z.err != nil {
		return nil, z.err
	}
	if err := z.finish(); err != nil {
		z.err = fmt.Errorf("compressing %s: %w", z.parts[len(z.parts)-1].name, err)
		return nil, z.err
	}
	if slices.ContainsFunc(z.parts, func(p *zipPart) bool { return p.name == name }) {
		z.err = fmt.Errorf("zip part %s written twice", name)
		return nil, z.err
	}
	p := &zipPart{name: name}
	z.parts = append(z.parts, p)
	z.current = p
	if name == contentTypesPart || len(z.splices) > 0 && strings.HasPrefix(name, "xl/worksheets/sheet") {
		p.raw = true
		return p, nil
	}
	fw, err := flate.NewWriter(&p.data, zipLevel)
	if err != nil {
		return nil, err
	}
	p.fw = fw
	return p, nil
}

// AddFS copies every regular file of fsys as a part.
func (z *orderedZip) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := fsys.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		w, err := z.Create(name)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		return err
	})
}

// partRank puts the content types first, as Office writes them.
func partRank(name string) int {
	if name == contentTypesPart {
		return 0
	}
	return 1
}

func (z *orderedZip) Close() error {
	if z.err != nil {
		return z.err
	}
	if err := z.finish(); err != nil {
		return fmt.Errorf("compressing workbook part: %w", err)
	}
	used := make([]bool, len(z.splices))
	for _, p := range z.parts {
		if p.raw {
			if err := p.compress(z.splices, used); err != nil {
				return fmt.Errorf("compressing workbook part %s: %w", p.name, err)
			}
		}
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("writing workbook: no worksheet holds placeholder row %s", z.splices[i].token)
		}
	}
	slices.SortFunc(z.parts, func(a, b *zipPart) int {
		if r := partRank(a.name) - partRank(b.name); r != 0 {
			return r
		}
		return strings.Compare(a.name, b.name)
	})
	zw := zip.NewWriter(z.w)
	for _, p := range z.parts {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               p.name,
			Method:             zip.Deflate,
			CRC32:              p.crc,
			CompressedSize64:   p.compressedSize(),
			UncompressedSize64: p.size,
		})
		if err != nil {
			return fmt.Errorf("writing workbook part %s: %w", p.name, err)
		}
		for _, b := range append([][]byte{p.data.Bytes()}, p.blocks...) {
			if _, err := w.Write(b); err != nil {
				return fmt.Errorf("writing workbook part %s: %w", p.name, err)
			}
		}
		p.data, p.blocks = bytes.Buffer{}, nil // release as we go
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finishing workbook zip: %w", err)
	}
	z.parts = nil
	return nil
}
