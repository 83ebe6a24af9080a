package demo

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// This file holds the CloudTrail digest files: the store of each period's log
// files and the digest chain written from it.

// digestStore keeps each (account, period, region)'s log files until every
// period is written: a digest records the SHA-256 of the previous period's
// digest, which another worker may write, so the digests are written after
// the logs, in period order per account and region.
type digestStore struct {
	mu    sync.Mutex
	files map[digestSlot][]logFile
}

type digestSlot struct {
	t   *trailAcct
	k   int64
	reg int
}

func (d *digestStore) add(t *trailAcct, k int64, reg int, files []logFile) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[digestSlot{t, k, reg}] = slices.Clone(files)
}

// writeDigests writes every covered account's digest chain per region.
func (o *org) writeDigests(dir string, store *digestStore) error {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	w := &worker{o: o, dir: dir, gz: gz, dirs: map[string]bool{}, bw: bufio.NewWriterSize(nil, 64<<10)}
	for _, t := range o.trails {
		for reg := range regions {
			prev := ""
			for k := t.k0; k <= t.k1; k++ {
				w.files = store.files[digestSlot{t, k, reg}]
				sum, err := w.digest(t, k, reg, prev)
				if err != nil {
					return err
				}
				prev = sum
			}
		}
	}
	return nil
}

const trailName = "org-trail"

func (w *worker) digestKey(t *trailAcct, k int64, reg int) (string, int64) {
	o := w.o
	_, pe := o.periodBounds(t, k)
	end := min(pe+20*60+int64(seedOf(o.seed, tagDigest, uint64(t.idx), uint64(k), uint64(reg))%600), o.A-60)
	b := make([]byte, 0, 160)
	b = append(b, "AWSLogs/"...)
	b = append(b, t.a.id...)
	b = append(b, "/CloudTrail-Digest/"...)
	b = append(b, regions[reg]...)
	b = append(b, '/')
	d := appendDate(nil, end)
	b = append(b, d[0:4]...)
	b = append(b, '/')
	b = append(b, d[5:7]...)
	b = append(b, '/')
	b = append(b, d[8:10]...)
	b = append(b, '/')
	b = append(b, t.a.id...)
	b = append(b, "_CloudTrail-Digest_"...)
	b = append(b, regions[reg]...)
	b = append(b, '_')
	b = append(b, trailName...)
	b = append(b, "_us-east-1_"...)
	b = time.Unix(end, 0).UTC().AppendFormat(b, "20060102T150405Z")
	b = append(b, ".json.gz"...)
	return string(b), end
}

// digest writes the CloudTrail-Digest file for the period's log files
// (w.files) and returns the SHA-256 of its text, which the next period's
// digest records as previousDigestHashValue. prevSum is the previous one's.
func (w *worker) digest(t *trailAcct, k int64, reg int, prevSum string) (string, error) {
	o := w.o
	r := newRNG(o.seed, tagDigest, uint64(t.idx), uint64(k), uint64(reg))
	key, end := w.digestKey(t, k, reg)
	b := append(w.buf[:0], '{')
	b = appendKV(b, "awsAccountId", t.a.id)
	b = append(b, `,"digestStartTime":"`...)
	b = appendTimeZ(b, end-o.p)
	b = append(b, `","digestEndTime":"`...)
	b = appendTimeZ(b, end)
	b = append(b, `",`...)
	b = appendKV(b, "digestS3Bucket", o.bucket)
	b = append(b, ',')
	b = appendKV(b, "digestS3Object", key)
	// The demo key's fingerprint, so that the fake CloudTrail's key checks
	// the signature the fake S3 serves (digestkey.go).
	b = append(b, `,"digestPublicKeyFingerprint":"`...)
	b = append(b, DigestKeyFingerprint()...)
	b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA"`...)
	if len(w.files) > 0 {
		b = append(b, `,"newestEventTime":"`...)
		b = appendTimeZ(b, w.files[len(w.files)-1].newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTimeZ(b, w.files[0].oldest)
		b = append(b, '"')
	}
	if k > t.k0 {
		prev, _ := w.digestKey(t, k-1, reg)
		b = append(b, ',')
		b = appendKV(b, "previousDigestS3Bucket", o.bucket)
		b = append(b, ',')
		b = appendKV(b, "previousDigestS3Object", prev)
		b = append(b, `,"previousDigestHashValue":"`...)
		b = append(b, prevSum...)
		b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
		b = appendHex(b, r, 512)
		b = append(b, '"')
	} else {
		b = append(b, `,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
	}
	b = append(b, `,"logFiles":[`...)
	for i, f := range w.files {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKV(b, "s3Bucket", o.bucket)
		b = append(b, ',')
		b = appendKV(b, "s3Object", f.key)
		b = append(b, ',')
		b = appendKV(b, "hashValue", f.sum)
		b = append(b, `,"hashAlgorithm":"SHA-256","newestEventTime":"`...)
		b = appendTimeZ(b, f.newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTimeZ(b, f.oldest)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	w.buf = b[:0]
	path := filepath.Join(w.dir, filepath.FromSlash(key))
	err := w.create(path, func(f io.Writer) error {
		w.gz.Reset(f)
		if _, err := w.gz.Write(b); err != nil {
			return err
		}
		return w.gz.Close()
	})
	if err != nil {
		return "", fmt.Errorf("writing CloudTrail digest %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
