package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// rawValue keeps a field's JSON text for later decoding with a precise error
// path, because the field takes several forms (timestamps as strings or
// numbers, policy documents as objects or URL-encoded strings). In XML it
// holds the element's text as a JSON string.
type rawValue struct {
	raw json.RawMessage
}

func (v *rawValue) UnmarshalJSON(b []byte) error {
	v.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (v *rawValue) UnmarshalText(b []byte) error {
	raw, err := json.Marshal(string(b))
	v.raw = raw
	return err
}

// present reports whether the field was given and not null.
func (v rawValue) present() bool {
	t := bytes.TrimSpace(v.raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// jsonTime decodes a timestamp: an ISO 8601 string with offset, or a number
// of seconds since the epoch (the CLI's cli_timestamp_format=none on JSON
// protocols). present is false for an absent or null value.
func jsonTime(raw json.RawMessage) (t time.Time, present bool, err error) {
	v := rawValue{raw: raw}
	if !v.present() {
		return time.Time{}, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		t, err := parseTimestamp(s)
		if err != nil {
			return time.Time{}, true, fmt.Errorf("unparsable timestamp %q (%s)", s, timestampHint(err, "2013-10-14T18:32:25Z"))
		}
		return t, true, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1e11 {
		sec, frac := math.Modf(f)
		t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
		if t.Before(earliestPlausible) {
			return time.Time{}, true, fmt.Errorf("timestamp %s is before %d: not a real IAM date", raw, earliestPlausible.Year())
		}
		return t, true, nil
	}
	return time.Time{}, true, fmt.Errorf("%s is not a timestamp (want an ISO 8601 string)", truncateText(string(raw), 40))
}

// jsonError turns an encoding/json error into an InputError with the line
// and column (and field path, for a type mismatch) of the fault.
func jsonError(file string, data []byte, err error, fix string) *InputError {
	ie := &InputError{File: file, Err: err, Fix: fix}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		ie.Line, ie.Column = lineCol(data, se.Offset)
		if se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			ie.Err = fmt.Errorf("not valid JSON (%v): the file is truncated", se)
		} else {
			ie.Err = fmt.Errorf("not valid JSON: %v", se)
		}
	case errors.As(err, &te):
		ie.Line, ie.Column = lineCol(data, te.Offset)
		ie.Field = te.Field
		ie.Err = fmt.Errorf("found %s, want %s", te.Value, describeType(te.Type))
	}
	return ie
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}
