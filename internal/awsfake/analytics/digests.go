package analytics

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"regexp"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

// digestFile matches a CloudTrail-Digest object's key below the logs folder.
var digestFile = regexp.MustCompile(`(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?[0-9]{12}/CloudTrail-Digest/[a-z0-9-]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+\.json\.gz$`)

// digestMetadata is the user metadata S3 keeps on a digest object, as
// CloudTrail writes it: the hex signature and its algorithm. gofakes3
// stores metadata under the header's canonical name and serves it back as
// that header, so the SDK reads it as Metadata["signature"].
func digestMetadata(key string, data []byte) (map[string]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("signing digest %s for the fake S3: not a gzip file: %w", key, err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("signing digest %s for the fake S3: %w", key, err)
	}
	sig, err := demo.SignDigest(text)
	if err != nil {
		return nil, err
	}
	return map[string]string{"X-Amz-Meta-Signature": sig, "X-Amz-Meta-Signature-Algorithm": "SHA256withRSA"}, nil
}

// keyValidity is when the fake's one public key is valid: always, for any
// demo or fixture date.
var keyValidity = [2]time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

// listPublicKeys answers CloudTrail's ListPublicKeys with the demo's digest
// key (demo.DigestPublicKey), which signed every digest the fake S3 serves,
// when its validity overlaps the requested range.
func (s *Server) listPublicKeys(body []byte) (any, *apiError) {
	var in struct {
		StartTime, EndTime *float64
		NextToken          *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.NextToken != nil {
		return nil, badRequest("InvalidTokenException", "the fake's ListPublicKeys has one page")
	}
	from, to := math.Inf(-1), math.Inf(1)
	if in.StartTime != nil {
		from = *in.StartTime
	}
	if in.EndTime != nil {
		to = *in.EndTime
	}
	if from > to {
		return nil, badRequest("InvalidTimeRangeException", "StartTime is after EndTime")
	}
	list := []map[string]any{}
	if epoch(keyValidity[0]) <= to && from <= epoch(keyValidity[1]) {
		list = append(list, map[string]any{
			"Value":             demo.DigestPublicKey(), // []byte: base64 in JSON, as the protocol sends blobs
			"ValidityStartTime": epoch(keyValidity[0]),
			"ValidityEndTime":   epoch(keyValidity[1]),
			"Fingerprint":       demo.DigestKeyFingerprint(),
		})
	}
	return map[string]any{"PublicKeyList": list}, nil
}
