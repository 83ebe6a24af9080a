package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Block rollups: a warm run would otherwise open one Parquet file per day
// of its window, and opening one costs about as much as reading a few
// thousand of its rows. The cache therefore also keeps, for each block of
// blockDays consecutive days (aligned on the Unix epoch), the merge of its
// days' aggregates: per principal across every bucket, and coverage per
// account and region. A run uses a block's rollup instead of its days when
// the block lies inside the days it reads, every folder of those days is
// current and they are the folders the rollup was built from (the days'
// files' checksums match), and every bucket of the block lies inside the
// window: a 90-day run then reads about 11 rollups and the few days at its
// edges. A run builds the rollups of the blocks it read day by day.

const blockDays = 8

// blockManifest sits beside a block's Parquet file.
type blockManifest struct {
	Format   int                 `json:"format"`
	First    string              `json:"first_day"`
	Days     map[string]string   `json:"days"`     // day -> its Parquet file's checksum
	Accounts map[string][]string `json:"accounts"` // day -> its account folders, sorted
	// MinBucket and MaxBucket bound the buckets of the block's principal
	// rows; HasBuckets is false when it has none.
	HasBuckets bool   `json:"has_buckets"`
	MinBucket  int64  `json:"min_bucket"`
	MaxBucket  int64  `json:"max_bucket"`
	Parquet    string `json:"parquet_crc32c"`
	Rows       int    `json:"rows"`
}

// cacheBlock is a block of days inside the run's read range.
type cacheBlock struct {
	first time.Time
	days  []*cacheDay // the run's days in the block (those with files)
	man   *blockManifest
	use   bool // its rollup is current: read instead of its days
	build bool // build its rollup at the end of the run
	agg   *aggregator
	// merged: its rollup was read and folded into the run's aggregates.
	merged bool
}

// blockStart is the first day of day's block.
func blockStart(day time.Time) time.Time {
	n := floorDiv(floorDiv(day.Unix(), 86400), blockDays) * blockDays
	return time.Unix(n*86400, 0).UTC()
}

func blockPaths(base string, first time.Time) (parquet, manifest string) {
	stem := filepath.Join(base, "blocks", first.Format(time.DateOnly))
	return stem + ".parquet", stem + ".json"
}

// accountsOf lists the account folders of units, sorted.
func accountsOf(units []*cacheUnit) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.account
	}
	slices.Sort(out)
	return out
}

// planBlocks finds the blocks inside [first, last] and decides, for each,
// whether its rollup replaces its days (marking them rolled) or is to be
// built after the run (marking their rows kept).
func (l *Local) planBlocks(base string, days []*cacheDay, first, last time.Time, w window) []*cacheBlock {
	var blocks []*cacheBlock
	for _, d := range days {
		start := blockStart(d.day)
		if start.Before(first) || start.AddDate(0, 0, blockDays-1).After(last) {
			continue
		}
		if len(blocks) == 0 || !blocks[len(blocks)-1].first.Equal(start) {
			blocks = append(blocks, &cacheBlock{first: start})
		}
		b := blocks[len(blocks)-1]
		b.days = append(b.days, d)
	}
	for _, b := range blocks {
		// A block holding one of the last days read is left unbuilt: their
		// folders still receive files, and the next run would build it
		// again.
		recent := !b.first.AddDate(0, 0, blockDays-1).Before(last.AddDate(0, 0, -2))
		current, complete := true, true
		for _, d := range b.days {
			current = current && len(d.scan) == 0
			for acct := range d.man.Accounts {
				// A folder the run does not read: the day's rows cover more
				// than the run asks for.
				complete = complete && slices.ContainsFunc(d.units, func(u *cacheUnit) bool { return u.account == acct })
			}
		}
		if !complete {
			continue
		}
		b.man = l.loadBlockManifest(base, b.first)
		if current && b.man != nil && b.matches() && (!b.man.HasBuckets ||
			w.bucketIn(b.man.MinBucket) == 1 && w.bucketIn(b.man.MaxBucket) == 1) {
			b.use = true
			for _, d := range b.days {
				d.rolled = true
			}
			continue
		}
		if recent || current && b.man != nil && b.matches() {
			continue // current, but the window's edge crosses it: days it is
		}
		b.build = true
		for _, d := range b.days {
			d.keep = true
		}
	}
	return blocks
}

// matches reports whether the rollup was built from the block's days as
// they are.
func (b *cacheBlock) matches() bool {
	if len(b.man.Days) != len(b.days) {
		return false
	}
	for _, d := range b.days {
		day := d.day.Format(time.DateOnly)
		if b.man.Days[day] != d.man.Parquet || !slices.Equal(b.man.Accounts[day], accountsOf(d.units)) {
			return false
		}
	}
	return true
}

func (l *Local) loadBlockManifest(base string, first time.Time) *blockManifest {
	_, mf := blockPaths(base, first)
	raw, err := os.ReadFile(mf)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.log.Warn("activity cache: reading a block manifest; its days are read instead", "path", mf, "err", err)
		}
		return nil
	}
	var man blockManifest
	if err := json.Unmarshal(raw, &man); err != nil || man.Format != cacheFormat {
		l.log.Warn("activity cache: a block manifest is damaged or of another format; its days are read instead", "path", mf, "err", err)
		return nil
	}
	return &man
}

// readBlock reads a rollup into b.agg; on failure b.agg stays nil (the
// caller reads the days instead) and the rollup is rebuilt.
func (l *Local) readBlock(base string, b *cacheBlock, w window) {
	pq, _ := blockPaths(base, b.first)
	rows, err := l.loadRows(pq, b.man.Parquet)
	if err == nil {
		agg := newAggregator(w, false)
		if err = agg.mergeRollup(rows); err == nil {
			b.agg = agg
			return
		}
	}
	l.log.Warn("activity cache: a block's rollup is unreadable; its days are read instead",
		"block", b.first.Format(time.DateOnly), "err", err)
	b.build = true
	for _, d := range b.days {
		d.keep = true
	}
}

// everything is a window holding every bucket.
var everything = window{start: math.MinInt64, end: math.MaxInt64}

// buildBlock merges the rows of b's days (all of them kept by the run) and
// writes the rollup.
func (l *Local) buildBlock(base string, b *cacheBlock) error {
	agg := newAggregator(everything, false)
	man := &blockManifest{First: b.first.Format(time.DateOnly), Days: map[string]string{}, Accounts: map[string][]string{}}
	for _, d := range b.days {
		folders := map[string]bool{}
		for acct := range d.man.Accounts {
			folders[acct] = true
		}
		if err := agg.mergeRows(d.rows, everything, folders); err != nil {
			return fmt.Errorf("building the activity cache's rollup of %s: %w", man.First, err)
		}
		for _, r := range d.rows {
			if r.Kind != "principal" {
				continue
			}
			if !man.HasBuckets {
				man.HasBuckets, man.MinBucket, man.MaxBucket = true, r.Bucket, r.Bucket
			}
			man.MinBucket, man.MaxBucket = min(man.MinBucket, r.Bucket), max(man.MaxBucket, r.Bucket)
		}
		day := d.day.Format(time.DateOnly)
		man.Days[day], man.Accounts[day] = d.man.Parquet, accountsOf(d.units)
	}
	pq, mf := blockPaths(base, b.first)
	return l.writeCachePair(pq, mf, agg.cacheRows(""), func(checksum string, rows int) any {
		man.Format, man.Parquet, man.Rows = cacheFormat, checksum, rows
		return man
	})
}

// mergeRollup folds a rollup's rows (whole principals and coverage, every
// bucket inside the window) into a.
func (a *aggregator) mergeRollup(rows []cacheRow) error {
	return a.mergeRows(rows, everything, map[string]bool{"": true})
}
