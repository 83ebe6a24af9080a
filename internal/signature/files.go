package signature

import (
	"errors"
	"io"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// writeFile writes data to path atomically.
func writeFile(path string, data []byte) error { return atomicfile.WriteBytes(path, data) }

// limitReader fails, rather than truncates, past n bytes.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("the signature file is larger than 64 KiB")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
