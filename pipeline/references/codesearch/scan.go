package codesearch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Hit is one place that names a candidate.
type Hit struct {
	Candidate int    // index into the candidates given to Search
	Kind      Kind   // how the text names the candidate
	Source    Source // where the text is
	Line      int    // 1-based
	Match     string // the matched text as written: the name, the ARN or user/ form, or the ID
	Excerpt   string // the line around the match, secrets masked, at most about 2*ExcerptContext bytes
}

// Source says where a file's bytes came from.
type Source struct {
	Kind   string // "file", "git" or "s3"
	Path   string // file path; for "git" the path inside the repository; for "s3" the key
	Repo   string // for "git": the repository's root directory
	Commit string // for "git": a commit whose tree holds the blob
	Bucket string // for "s3"
}

// String is the location as the References sheet shows it.
func (s Source) String() string {
	switch s.Kind {
	case "git":
		return s.Repo + "@" + s.Commit + ":" + s.Path
	case "s3":
		return "s3://" + s.Bucket + "/" + s.Path
	}
	return s.Path
}

// ExcerptContext is how many bytes of the line either side of a match a
// hit's excerpt keeps.
const ExcerptContext = 120

// chunkSize is how much of a file one read takes: large enough that most
// files are read at once, small enough that a worker's buffers stay small.
const chunkSize = 256 << 10

// errBinary stops a file found to be binary.
var errBinary = errors.New("binary")

// scanner is one worker's state: buffers reused across files.
type scanner struct {
	m     *matcher
	keep  int
	buf   []byte
	lower []byte
}

func newScanner(m *matcher) *scanner {
	keep := m.maxLen + lookback + lookahead + ExcerptContext
	return &scanner{m: m, keep: keep, buf: make([]byte, chunkSize+keep), lower: make([]byte, chunkSize+keep)}
}

// scan reads r to the end, calling emit for each hit in file order. It
// returns errBinary when the first chunk holds a NUL byte.
func (sc *scanner) scan(r io.Reader, src Source, emit func(Hit) error) (bytesRead int64, err error) {
	buf, lower := sc.buf, sc.lower
	carry := 0   // bytes kept at the front from the previous read
	doneEnd := 0 // matches ending at or before this offset were decided already
	line := 1    // line number of buf[0]
	first := true
	for {
		n, rerr := io.ReadFull(r, buf[carry:carry+chunkSize])
		bytesRead += int64(n)
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return bytesRead, fmt.Errorf("reading %s: %w", src, rerr)
		}
		total := carry + n
		data := buf[:total]
		if first {
			if bytes.IndexByte(data, 0) >= 0 {
				return bytesRead, errBinary
			}
			first = false
		}
		foldLower(lower[carry:total], data[carry:])
		decideEnd := total
		if !eof {
			decideEnd = total - lookahead
		}
		if err := sc.report(data, lower[:total], doneEnd, decideEnd, eof, line, src, emit); err != nil {
			return bytesRead, err
		}
		if eof {
			return bytesRead, nil
		}
		shift := max(0, total-sc.keep)
		line += bytes.Count(data[:shift], []byte{'\n'})
		carry = copy(buf, data[shift:])
		copy(lower, lower[shift:total])
		doneEnd = decideEnd - shift
	}
}

// report handles the matches in data ending in (doneEnd, decideEnd].
func (sc *scanner) report(data, lower []byte, doneEnd, decideEnd int, eof bool, line0 int, src Source, emit func(Hit) error) error {
	ms := sc.m.ac.FindAllOverlapping(lower)
	pos, line := 0, line0
	for _, mt := range ms {
		if mt.End <= doneEnd || mt.End > decideEnd {
			continue
		}
		s, e := mt.Start, mt.End
		nameOK := -1 // computed once per match when a name target needs it
		for _, t := range sc.m.targets[mt.PatternID] {
			kind, from := t.kind, s
			if kind == KindName {
				if nameOK < 0 {
					nameOK = 0
					if nameBoundary(data, s, e) {
						nameOK = 1
					}
				}
				if nameOK == 0 {
					continue
				}
				var ok bool
				kind, from, ok = classify(data, s, e, &sc.m.cands[t.cand])
				if !ok {
					continue
				}
			}
			if s < pos {
				pos, line = 0, line0
			}
			line += bytes.Count(data[pos:s], []byte{'\n'})
			pos = s
			if err := emit(Hit{
				Candidate: t.cand,
				Kind:      kind,
				Source:    src,
				Line:      line,
				Match:     matchText(data[from:e], kind),
				Excerpt:   excerpt(data, from, e, eof),
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// matchText is the matched text to report: an ARN or user/ path is masked
// like an excerpt, since an IAM path may hold any base64 character.
func matchText(b []byte, kind Kind) string {
	if kind == KindARN || kind == KindUserPath {
		return mask(b, 0, 0, false, false)
	}
	return string(b)
}

// excerpt is the line around data[s:e], cut to ExcerptContext bytes either
// side, secrets masked.
func excerpt(data []byte, s, e int, eof bool) string {
	lo := max(0, s-ExcerptContext)
	if i := bytes.LastIndexByte(data[lo:s], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := min(len(data), e+ExcerptContext)
	if i := bytes.IndexByte(data[e:hi], '\n'); i >= 0 {
		hi = e + i
	}
	cutStart := lo > 0 && data[lo-1] != '\n'
	cutEnd := hi < len(data) && data[hi] != '\n' || hi == len(data) && !eof
	text := bytes.TrimRight(data[lo:hi], "\r")
	return mask(text, s-lo, e-lo, cutStart, cutEnd)
}

// foldLower writes src lowered (ASCII only) to dst, eight bytes at a time.
func foldLower(dst, src []byte) {
	const ones = 0x0101010101010101
	i := 0
	for ; i+8 <= len(src); i += 8 {
		w := binary.LittleEndian.Uint64(src[i:])
		h := w & (0x7f * ones)
		ge := h + (0x80-'A')*ones   // high bit set where the byte >= 'A'
		gt := h + (0x80-'Z'-1)*ones // high bit set where the byte > 'Z'
		up := ge &^ gt &^ w & (0x80 * ones)
		binary.LittleEndian.PutUint64(dst[i:], w|up>>2)
	}
	for ; i < len(src); i++ {
		c := src[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}
