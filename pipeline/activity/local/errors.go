package local

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FileError is a CloudTrail log file the engine cannot read: which file,
// what is wrong with it, and what to do about it.
type FileError struct {
	Path  string
	Err   error // what is wrong with the file
	Fix   string
	Cause error // the engine's own error, when Err is a diagnosis of it
}

func (e *FileError) Error() string {
	s := "reading CloudTrail log file " + e.Path + ": " + e.Err.Error()
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

func (e *FileError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// ErrLogFileTooLarge is a log file whose JSON text passes the local
// engine's limit (WithMaxLogFileSize): most likely a gzip bomb.
var ErrLogFileTooLarge = errors.New("log file too large")

const (
	fixNotLog = "it is not a CloudTrail log file ({\"Records\":[...]}), nor a CloudTrail-Digest or Insights file: " +
		"move it out of the trail's folders, or download it again from the trail's S3 bucket if it was cut short"
	fixTooLarge = "CloudTrail's own log files hold a few MB of JSON: move the file out of the folder, " +
		"or, if it is genuine, raise --max-log-file-size"
	fixDamaged = "the file is damaged (truncated or not what its name says): " +
		"download it again from the trail's S3 bucket, or move it out of the folder"
	fixShape = "the file does not hold CloudTrail records ({\"Records\":[...]}) in AWS's format: " +
		"check where it came from, or move it out of the folder"
)

// explainScanError turns a failed scan into an error naming the file at
// fault. DuckDB names the file in its message; the file is then checked
// here, so that a damaged download is reported as such rather than as the
// JSON syntax error DuckDB sees in the truncated text.
func explainScanError(ctx context.Context, err error, files []LogFile, maxObject int64) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("scanning CloudTrail log files: %w", ctxErr)
	}
	msg := err.Error()
	var culprit string
	for _, f := range files {
		// The longest match wins: x.json is a prefix of x.json.gz.
		if p := sqlPath(f.Path); strings.Contains(msg, p) && len(p) > len(culprit) {
			culprit = p
		}
	}
	if culprit == "" {
		return fmt.Errorf("scanning %d CloudTrail log files: %w", len(files), err)
	}
	// DuckDB's read_json refuses an object beyond maximum_object_size, which
	// the plan holds to the log file size limit: a gzip bomb stops there.
	if strings.Contains(msg, "maximum_object_size") {
		return &FileError{Path: culprit, Err: fmt.Errorf("its JSON text is larger than %d bytes: %w", maxObject, ErrLogFileTooLarge),
			Fix: fixTooLarge, Cause: err}
	}
	if damage := checkLogFile(culprit); damage != nil {
		return &FileError{Path: culprit, Err: damage, Fix: fixDamaged, Cause: err}
	}
	return &FileError{Path: culprit, Err: errors.New(firstLine(msg)), Fix: fixShape, Cause: err}
}

// firstLine is DuckDB's message without the SQL excerpt it appends.
func firstLine(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(line)
}

// checkLogFile reads a log file through, decompressing it if its name ends in
// .gz, and reports whether it is damaged: not gzip, truncated, or not JSON.
func checkLogFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("not a gzip file: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	dec := json.NewDecoder(r)
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return fmt.Errorf("not valid JSON at byte %d: %w", syn.Offset, err)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("the content ends early (truncated): %w", err)
			}
			return err
		}
	}
}
