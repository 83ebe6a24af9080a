package codesearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	acct  = "111111111111"
	other = "222222222222"
	// AWS's documentation example key pair.
	keyID  = "AKIAIOSFODNN7EXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var cands = []Candidate{
	{AccountID: acct, UserName: "deploy-bot", UserID: "AIDAEXAMPLEDEPLOYBOT1"},
	{AccountID: acct, UserName: "svc-reports", AccessKeyIDs: []string{keyID}},
	{AccountID: acct, UserName: "dave"},
	{AccountID: acct, UserName: "ci"},
}

func write(t *testing.T, root, rel, content string) string {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func search(t *testing.T, roots []string, cs []Candidate, opts Options) ([]Hit, Stats) {
	t.Helper()
	if opts.MaxFileSize == 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	var hits []Hit
	st, err := Search(context.Background(), roots, cs, opts, func(h Hit) error {
		hits = append(hits, h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		return strings.Compare(fmt.Sprint(a.Source, a.Line, a.Match, a.Candidate), fmt.Sprint(b.Source, b.Line, b.Match, b.Candidate))
	})
	return hits, st
}

func render(hits []Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s:%d %s %s %q %q\n", h.Source, h.Line, cands[h.Candidate].UserName, h.Kind, h.Match, h.Excerpt)
	}
	return b.String()
}

func TestSearchTree(t *testing.T) {
	root := t.TempDir()
	wf := write(t, root, ".github/workflows/deploy.yml", "name: deploy\njobs:\n  deploy:\n    steps:\n      - run: aws sts assume-role --role-arn x --source arn:aws:iam::"+acct+":user/automation/deploy-bot\n")
	env := write(t, root, "app/.env", "REGION=eu-west-1\nAWS_ACCESS_KEY_ID="+keyID+" AWS_SECRET_ACCESS_KEY="+secret+"\n")
	write(t, root, "docs/people.md", "Ask davey or davey.smith, dave_ops, ci-dave, dave@example.com, john.dave.\n")
	notes := write(t, root, "docs/oncall.md", "Escalate to Dave.\nOWNER=dave,ci\n")
	write(t, root, "policies/other.json", `{"Principal":{"AWS":"arn:aws:iam::`+other+`:user/dave"}}`)
	cfn := write(t, root, "cfn/stack.yaml", "Principal: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/dave\nIdentity: AIDAEXAMPLEDEPLOYBOT1\n")
	write(t, root, "bin/blob", "AKIAIOSFODNN7EXAMPLE\x00\x01")
	write(t, root, ".git/config", "deploy-bot\n")

	hits, st := search(t, []string{root}, cands, Options{})
	got := render(hits)
	want := strings.Join([]string{
		wf + `:5 deploy-bot arn "arn:aws:iam::111111111111:user/automation/deploy-bot" "      - run: aws sts assume-role --role-arn x --source arn:aws:iam::111111111111:user/automation/deploy-bot"`,
		env + `:2 svc-reports access-key-id "AKIAIOSFODNN7EXAMPLE" "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=[masked]"`,
		cfn + `:1 dave arn "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/dave" "Principal: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/dave"`,
		cfn + `:2 deploy-bot unique-id "AIDAEXAMPLEDEPLOYBOT1" "Identity: AIDAEXAMPLEDEPLOYBOT1"`,
		notes + `:1 dave name "Dave" "Escalate to Dave."`,
		notes + `:2 ci name "ci" "OWNER=dave,ci"`,
		notes + `:2 dave name "dave" "OWNER=dave,ci"`,
	}, "\n") + "\n"
	if got != want {
		t.Errorf("hits:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, secret) || strings.Contains(got, secret[:20]) {
		t.Errorf("a hit carries the secret access key:\n%s", got)
	}
	if st.Skipped[SkipBinary] != 1 || st.Skipped[SkipGitDir] != 1 {
		t.Errorf("skipped = %v, want one binary file and one .git directory", st.Skipped)
	}
	if st.Files != 6 {
		t.Errorf("files scanned = %d, want 6", st.Files)
	}
}

func TestDaveyIsNotDave(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a.txt", "davey\nDAVEY\nuser/davey\narn:aws:iam::"+acct+":user/davey\ndavey.smith\n")
	hits, _ := search(t, []string{root}, []Candidate{{AccountID: acct, UserName: "dave"}}, Options{})
	if len(hits) != 0 {
		t.Errorf("dave matched text naming only davey:\n%s", render(hits))
	}
}

func TestSearchTooLargeAndSingleFile(t *testing.T) {
	root := t.TempDir()
	big := write(t, root, "big.log", strings.Repeat("dave\n", 100))
	small := write(t, root, "small.txt", "dave\n")
	hits, st := search(t, []string{root}, cands[2:3], Options{MaxFileSize: 100})
	if len(hits) != 1 || hits[0].Source.Path != small || st.Skipped[SkipTooLarge] != 1 {
		t.Errorf("hits %s skipped %v; want only %s, %s skipped as too large", render(hits), st.Skipped, small, big)
	}
	hits, _ = search(t, []string{small}, cands[2:3], Options{})
	if len(hits) != 1 {
		t.Errorf("a file given as a root: hits %s, want one", render(hits))
	}
}

// A file spanning many chunks, with matches straddling each chunk edge,
// gives each match once, with its line.
func TestSearchChunkEdges(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	var wantLines []int
	line := 1
	for b.Len() < 3*chunkSize {
		// Pad so that a name lands across the next chunk edge.
		edge := (b.Len()/chunkSize + 1) * chunkSize
		if pad := edge - b.Len() - 2; pad > 0 {
			for range pad / 64 {
				b.WriteString(strings.Repeat("x", 63) + "\n")
				line++
			}
			b.WriteString(strings.Repeat("y", pad%64))
		}
		b.WriteString(" dave \n")
		wantLines = append(wantLines, line)
		line++
		b.WriteString("davey " + secret + " arn:aws:iam::" + acct + ":user/dave\n")
		wantLines = append(wantLines, line)
		line++
	}
	write(t, root, "big.txt", b.String())
	hits, _ := search(t, []string{root}, cands[2:3], Options{})
	var got []int
	for _, h := range hits {
		got = append(got, h.Line)
		if strings.Contains(h.Excerpt, secret[:16]) {
			t.Errorf("excerpt carries part of the secret: %q", h.Excerpt)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, wantLines) {
		t.Errorf("lines = %v, want %v", got, wantLines)
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct {
		in               string
		keepS, keepE     int
		cutStart, cutEnd bool
		want             string
	}{
		{"key=" + secret + ";", 0, 0, false, false, "key=[masked];"},
		{keyID + secret, 0, 20, false, false, keyID + "[masked]"},
		{secret[12:] + " x", 0, 0, true, false, "[masked] x"},
		{"x " + secret[:20], 0, 0, false, true, "x [masked]"},
		{"x " + secret[:20], 0, 0, false, false, "x " + secret[:20]},
		{"deploy-bot " + strings.Repeat("a", 39), 0, 0, false, false, "deploy-bot " + strings.Repeat("a", 39)},
	} {
		if got := mask([]byte(c.in), c.keepS, c.keepE, c.cutStart, c.cutEnd); got != c.want {
			t.Errorf("mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFoldLower(t *testing.T) {
	var in []byte
	for i := range 256 {
		in = append(in, byte(i))
	}
	in = append(in, "MiXeD CaSe ÄÖ@[`{"...)
	got := make([]byte, len(in))
	foldLower(got, in)
	want := []byte(strings.Map(func(r rune) rune { return r }, string(in)))
	for i, c := range in {
		if c >= 'A' && c <= 'Z' {
			want[i] = c + 32
		} else {
			want[i] = c
		}
	}
	if string(got) != string(want[:len(in)]) {
		t.Errorf("foldLower differs from ASCII lower-casing")
	}
}

func TestCandidateValidation(t *testing.T) {
	for _, c := range []Candidate{
		{AccountID: "1", UserName: "dave"},
		{AccountID: acct, UserName: ""},
		{AccountID: acct, UserName: "da ve"},
		{AccountID: acct, UserName: "dave", AccessKeyIDs: []string{"AKIA-short"}},
	} {
		_, err := Search(context.Background(), []string{t.TempDir()}, []Candidate{c}, Options{MaxFileSize: 1}, func(Hit) error { return nil })
		if err == nil {
			t.Errorf("candidate %+v accepted", c)
		}
	}
	_, err := Search(context.Background(), []string{t.TempDir()}, cands, Options{}, func(Hit) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "MaxFileSize") {
		t.Errorf("no size bound: err = %v", err)
	}
}

// An error from emit or OnCollect stops the search and comes back as is.
func TestSearchCallbackErrors(t *testing.T) {
	root := t.TempDir()
	for i := range 50 {
		write(t, root, fmt.Sprintf("f%02d.tf", i), "dave\n")
	}
	stop := errors.New("stop")
	calls := 0
	_, err := Search(context.Background(), []string{root}, cands, Options{MaxFileSize: 1 << 20}, func(Hit) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("emit error: err = %v after %d calls, want stop after 1", err, calls)
	}
	var collected []string
	_, err = Search(context.Background(), []string{root}, cands, Options{
		MaxFileSize: 1 << 20,
		Collect:     func(s Source) bool { return strings.HasSuffix(s.Path, "f07.tf") },
		OnCollect: func(s Source, open func(context.Context) (io.ReadCloser, error)) error {
			rc, err := open(context.Background())
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			collected = append(collected, filepath.Base(s.Path)+"="+string(b))
			return nil
		},
	}, func(Hit) error { return nil })
	if err != nil || !slices.Equal(collected, []string{"f07.tf=dave\n"}) {
		t.Errorf("collect: err = %v, collected %q", err, collected)
	}
	_, err = Search(context.Background(), []string{root}, cands, Options{
		MaxFileSize: 1 << 20,
		Collect:     func(Source) bool { return true },
		OnCollect:   func(Source, func(context.Context) (io.ReadCloser, error)) error { return stop },
	}, func(Hit) error { return nil })
	if err != stop {
		t.Errorf("OnCollect error: err = %v, want stop", err)
	}
}

func TestRefKind(t *testing.T) {
	for p, want := range map[string]string{
		"/r/.github/workflows/deploy.yml": RefConfig,
		"/r/app/.env.production":          RefConfig,
		"/r/main.go":                      RefCode,
		"/r/infra/main.tf":                RefTerraform,
		"/r/infra/terraform.tfstate":      RefTerraform,
		"/r/scripts/deploy.sh":            RefCode,
		"/home/u/.aws/credentials":        RefConfig,
	} {
		if got := RefKind(Source{Kind: "file", Path: p}); got != want {
			t.Errorf("RefKind(%s) = %s, want %s", p, got, want)
		}
	}
}
