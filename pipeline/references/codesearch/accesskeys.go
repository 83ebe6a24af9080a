package codesearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// AccessKey is one key of an `aws iam list-access-keys` export.
type AccessKey struct {
	UserName    string `json:"UserName"`
	AccessKeyID string `json:"AccessKeyId"`
	Status      string `json:"Status"`
	// CreateDate is when the key was created; zero when the export omits it.
	CreateDate time.Time `json:"CreateDate"`
}

// MaxAccessKeysFile bounds an --access-keys file: a million keys' metadata
// is about 150 MB.
const MaxAccessKeysFile = 256 << 20

// ReadAccessKeysFile reads the --access-keys file at path: one or more
// `aws iam list-access-keys` outputs ({"AccessKeyMetadata": [...]}) one
// after another, or a JSON list of them, as a shell loop over users writes.
func ReadAccessKeysFile(path string) ([]AccessKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading access keys %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading access keys %s: %w", path, err)
	}
	if info.Size() > MaxAccessKeysFile {
		return nil, fmt.Errorf("reading access keys %s: %d bytes, more than the %d a list-access-keys export of every user needs; give the export, not another file", path, info.Size(), MaxAccessKeysFile)
	}
	return ReadAccessKeys(path, f)
}

// ReadAccessKeys reads list-access-keys outputs from r, named name in errors.
func ReadAccessKeys(name string, r io.Reader) ([]AccessKey, error) {
	type page struct {
		AccessKeyMetadata *[]AccessKey `json:"AccessKeyMetadata"`
	}
	dec := json.NewDecoder(r)
	var out []AccessKey
	add := func(i int, p page) error {
		if p.AccessKeyMetadata == nil {
			return fmt.Errorf("reading access keys %s: output %d has no AccessKeyMetadata; give the JSON of `aws iam list-access-keys --user-name NAME`", name, i+1)
		}
		for _, k := range *p.AccessKeyMetadata {
			if k.UserName == "" || !validID(k.AccessKeyID) {
				return fmt.Errorf("reading access keys %s: output %d has a key without UserName or with access key ID %q; give the JSON of `aws iam list-access-keys`", name, i+1, k.AccessKeyID)
			}
			out = append(out, k)
		}
		return nil
	}
	for i := 0; ; i++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			if i == 0 {
				return nil, fmt.Errorf("reading access keys %s: empty; give the JSON of `aws iam list-access-keys`", name)
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading access keys %s: output %d at byte %d: %w; give the JSON of `aws iam list-access-keys`", name, i+1, dec.InputOffset(), err)
		}
		if len(raw) > 0 && raw[0] == '[' {
			var pages []page
			if err := json.Unmarshal(raw, &pages); err != nil {
				return nil, fmt.Errorf("reading access keys %s: the list at output %d: %w", name, i+1, err)
			}
			for j, p := range pages {
				if err := add(i+j, p); err != nil {
					return nil, err
				}
			}
			continue
		}
		var p page
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("reading access keys %s: output %d: %w", name, i+1, err)
		}
		if err := add(i, p); err != nil {
			return nil, err
		}
	}
}
