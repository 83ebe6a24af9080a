package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// makeTree creates empty files at the given slash-separated paths under root.
func makeTree(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		writeFile(t, filepath.Join(root, filepath.FromSlash(p)), "")
	}
}

func relPaths(t *testing.T, root string, files []LogFile) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		rel, err := filepath.Rel(root, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func TestDiscoverFiles(t *testing.T) {
	const ue1 = "AWSLogs/111111111111/CloudTrail/us-east-1/"
	tests := []struct {
		name  string
		tree  []string
		root  string // below the temporary folder; empty: the folder itself
		q     activity.Query
		want  []string // relative to the temporary folder
		wantN int      // len(want) when want is nil
	}{
		{
			name: "year boundary: lead-in day in the previous year",
			tree: []string{
				ue1 + "2025/12/30/a.json.gz", ue1 + "2025/12/31/a.json.gz", ue1 + "2026/01/01/a.json.gz",
				ue1 + "2026/01/02/a.json.gz", ue1 + "2026/01/03/a.json.gz",
			},
			q:    activity.Query{Start: trailtest.TS("2026-01-01T00:00:00Z"), End: trailtest.TS("2026-01-01T23:59:59Z")},
			want: []string{ue1 + "2025/12/31/a.json.gz", ue1 + "2026/01/01/a.json.gz", ue1 + "2026/01/02/a.json.gz"},
		},
		{
			name: "leap day and month boundary",
			tree: []string{
				ue1 + "2028/02/28/a.json.gz", ue1 + "2028/02/29/a.json.gz", ue1 + "2028/03/01/a.json.gz",
				ue1 + "2028/03/31/a.json.gz", ue1 + "2028/04/01/a.json.gz", ue1 + "2028/04/02/a.json.gz",
			},
			q:    activity.Query{Start: trailtest.TS("2028-03-01T10:00:00Z"), End: trailtest.TS("2028-03-31T10:00:00Z")},
			want: []string{ue1 + "2028/02/29/a.json.gz", ue1 + "2028/03/01/a.json.gz", ue1 + "2028/03/31/a.json.gz", ue1 + "2028/04/01/a.json.gz"},
		},
		{
			name: "folders that are not dates",
			tree: []string{
				ue1 + "2026/10/01/a.json.gz", ue1 + "2026/13/01/a.json.gz", ue1 + "2026/1/01/a.json.gz",
				ue1 + "2026/10/32/a.json.gz", ue1 + "2026/10/1/a.json.gz", ue1 + "26/10/01/a.json.gz",
				ue1 + "abcd/10/01/a.json.gz", ue1 + "2026/02/30/a.json.gz", ue1 + "2026/10/01/sub/a.json.gz",
			},
			q:    activity.Query{Start: trailtest.TS("2026-01-01T00:00:00Z"), End: trailtest.TS("2026-12-31T00:00:00Z")},
			want: []string{ue1 + "2026/10/01/a.json.gz"},
		},
		{
			name: "layouts and siblings",
			tree: []string{
				ue1 + "2026/10/01/a.json.gz",
				"AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/01/b.json.gz",
				"AWSLogs/o-exampleorgid/222222222222/CloudTrail-Digest/eu-west-1/2026/10/01/d.json.gz",
				"AWSLogs/o-exampleorgid/notanaccount/CloudTrail/eu-west-1/2026/10/01/x.json.gz",
				"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/d.json.gz",
				"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/10/01/i.json.gz",
				"AWSLogs/111111111111/Config/us-east-1/2026/10/01/c.json.gz",
				"AWSLogs/111111111111/elasticloadbalancing/us-east-1/2026/10/01/e.json.gz",
				"AWSLogs/333333333333/CloudTrail-Digest/us-east-1/2026/10/01/d.json.gz",
				"AWSLogs/1234/CloudTrail/us-east-1/2026/10/01/x.json.gz",
				"AWSLogs/111111111111/CloudTrail/.hidden-region/2026/10/01/x.json.gz",
			},
			q: activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")},
			want: []string{
				ue1 + "2026/10/01/a.json.gz",
				"AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/01/b.json.gz",
			},
		},
		{
			name: "file names",
			tree: []string{
				ue1 + "2026/10/01/a.json.gz", ue1 + "2026/10/01/b.json", ue1 + "2026/10/01/c.json.gz.tmp",
				ue1 + "2026/10/01/.d.json.gz", ue1 + "2026/10/01/e.txt", ue1 + "2026/10/01/f.gz", ue1 + "2026/10/01/g.JSON.GZ",
			},
			q:    activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")},
			want: []string{ue1 + "2026/10/01/a.json.gz", ue1 + "2026/10/01/b.json"},
		},
		{
			name: "accounts in scope",
			tree: []string{
				ue1 + "2026/10/01/a.json.gz",
				"AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/01/b.json.gz",
				"AWSLogs/333333333333/CloudTrail/eu-west-1/2026/10/01/c.json.gz",
			},
			q: activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z"), Accounts: []string{"222222222222", "333333333333"}},
			want: []string{
				"AWSLogs/333333333333/CloudTrail/eu-west-1/2026/10/01/c.json.gz",
				"AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/10/01/b.json.gz",
			},
		},
		{
			name: "root is the AWSLogs folder",
			tree: []string{ue1 + "2026/10/01/a.json.gz"},
			root: "AWSLogs",
			q:    activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")},
			want: []string{ue1 + "2026/10/01/a.json.gz"},
		},
		{
			name: "synced bucket with a key prefix",
			tree: []string{"bucket/team/prod/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/a.json.gz", "bucket/other/readme.txt"},
			q:    activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")},
			want: []string{"bucket/team/prod/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/a.json.gz"},
		},
		{
			// 3 years of daily folders in 2 regions; a 90-day window (91 dates) and
			// its two extra days open 93 date folders in each.
			name:  "a long trail, a short window",
			tree:  longTrail(trailtest.TS("2024-01-01T00:00:00Z"), 3*365, "us-east-1", "eu-west-1"),
			q:     activity.Query{Start: trailtest.TS("2026-06-01T00:00:00Z"), End: trailtest.TS("2026-08-30T00:00:00Z")},
			wantN: 2 * 93,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			makeTree(t, dir, tt.tree...)
			files, err := DiscoverFiles(context.Background(), filepath.Join(dir, tt.root), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := relPaths(t, dir, files)
			if tt.want == nil {
				if len(got) != tt.wantN {
					t.Errorf("got %d files, want %d", len(got), tt.wantN)
				}
				first, last := tt.q.ReadDays()
				for _, f := range files {
					if f.Day.Before(first) || f.Day.After(last) {
						t.Errorf("%s is outside the days %s to %s", f.Path, first, last)
					}
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func longTrail(from time.Time, days int, regions ...string) []string {
	var out []string
	for _, r := range regions {
		for d := range days {
			day := from.AddDate(0, 0, d)
			out = append(out, "AWSLogs/111111111111/CloudTrail/"+r+"/"+day.Format("2006/01/02")+"/a.json.gz")
		}
	}
	return out
}

// Each file's account, region, day and sizes come from its place and content.
func TestDiscoverFilesFields(t *testing.T) {
	dir := t.TempDir()
	content := strings.Repeat(`{"Records":[]}`, 1000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(content))
	zw.Close()
	gzPath := filepath.Join(dir, "AWSLogs", trailtest.OrgID, trailtest.AcctB, "CloudTrail", "ap-southeast-2", "2026", "10", "02", "x.json.gz")
	jsonPath := filepath.Join(dir, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01", "y.json")
	writeFile(t, gzPath, gz.String())
	writeFile(t, jsonPath, content)
	// A region folder reached through a symbolic link is read.
	linked := filepath.Join(dir, "elsewhere", "2026", "10", "01", "z.json.gz")
	writeFile(t, linked, gz.String())
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-west-2")); err != nil {
		t.Fatal(err)
	}

	files, err := DiscoverFiles(context.Background(), dir, activity.Query{Start: trailtest.TS("2026-10-01T12:00:00Z"), End: trailtest.TS("2026-10-01T12:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	want := []LogFile{
		{Path: jsonPath, AccountID: trailtest.AcctA, Region: "us-east-1", Day: trailtest.TS("2026-10-01T00:00:00Z"), Size: int64(len(content)), Uncompressed: int64(len(content))},
		{Path: filepath.Join(dir, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-west-2", "2026", "10", "01", "z.json.gz"), AccountID: trailtest.AcctA, Region: "us-west-2",
			Day: trailtest.TS("2026-10-01T00:00:00Z"), Size: int64(gz.Len()), Uncompressed: int64(len(content))},
		{Path: gzPath, AccountID: trailtest.AcctB, Region: "ap-southeast-2", Day: trailtest.TS("2026-10-02T00:00:00Z"), Size: int64(gz.Len()), Uncompressed: int64(len(content))},
	}
	for i := range want {
		info, err := os.Stat(want[i].Path) // through the link: the file's own time
		if err != nil {
			t.Fatal(err)
		}
		want[i].ModTime = info.ModTime()
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("got  %+v\nwant %+v", files, want)
	}
}

// A folder that cannot be read stops the scan: skipping it could hide a
// user's activity.
func TestDiscoverFilesUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions do not apply to root")
	}
	dir := t.TempDir()
	makeTree(t, dir, "AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/a.json.gz")
	locked := filepath.Join(dir, "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2026", "10")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	_, err := DiscoverFiles(context.Background(), dir, activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")})
	if err == nil || !strings.Contains(err.Error(), locked) {
		t.Errorf("got %v, want an error naming %s", err, locked)
	}
}

func TestQueryReadDays(t *testing.T) {
	tests := []struct {
		start, end, first, last string
	}{
		{"2026-10-01T00:00:00Z", "2026-10-03T12:00:00Z", "2026-09-30T00:00:00Z", "2026-10-04T00:00:00Z"},
		{"2026-03-01T23:59:59Z", "2026-12-31T00:00:00Z", "2026-02-28T00:00:00Z", "2027-01-01T00:00:00Z"},
		// Times in other zones are placed by their UTC day.
		{"2026-10-01T01:00:00+02:00", "2026-10-01T23:00:00-03:00", "2026-09-29T00:00:00Z", "2026-10-03T00:00:00Z"},
	}
	for _, tt := range tests {
		first, last := activity.Query{Start: trailtest.TS(tt.start), End: trailtest.TS(tt.end)}.ReadDays()
		if !first.Equal(trailtest.TS(tt.first)) || !last.Equal(trailtest.TS(tt.last)) {
			t.Errorf("ReadDays(%s, %s) = %s, %s; want %s, %s", tt.start, tt.end, first, last, tt.first, tt.last)
		}
	}
}
