// Command searchbench generates the code-search benchmark tree and runs the
// search engine over it (bench/search.sh runs it against ripgrep).
//
//	searchbench gen -dir D [-files 100000] [-bytes 1073741824] [-users 1000] [-seed 1]
//	searchbench search -dir D -out hits.txt
//
// gen writes D/tree (the files), D/candidates.json and D/patterns.txt (the
// same literals, one a line, for `rg -F -i -f`). The tree looks like a
// company's repositories: source, configuration, .env files and a few large
// logs and binaries, with about one file in 200 naming a candidate (by name,
// ARN, user/ path, unique ID or key ID next to a secret) and as many naming
// near misses (davey for dave).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/pipeline/references/codesearch"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: searchbench gen|search [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "search":
		err = search(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q; use gen or search", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randID(r *rand.Rand, prefix string, n int) string {
	b := []byte(prefix)
	for len(b) < n {
		b = append(b, idChars[r.IntN(len(idChars))])
	}
	return string(b)
}

func randSecret(r *rand.Rand) string {
	const c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
	b := make([]byte, 40)
	for i := range b {
		b[i] = c[r.IntN(len(c))]
	}
	return string(b)
}

var words = strings.Fields(`func return if else for range package import const var type struct interface
map string int error nil true false context ctx err config value name user account policy role
bucket region deploy build test service handler request response client server logger metrics
timeout retry payload token session cache queue worker batch record event stream table index
json yaml env secret key path file dir main util helper models views controllers routes schema
migration docker image container kubernetes namespace pod ingress terraform module output variable
provider resource data locals count for_each depends_on lifecycle tags owner team project stage prod`)

var firstNames = strings.Fields(`alice bob carol dave erin frank grace heidi ivan judy mallory nick olivia
peggy rupert sybil trent victor walter yusuf zoe amir bea chen dana eli fatima gus hana igor jin`)

var roles = strings.Fields(`svc ci deploy backup etl reports uploader sync monitor batch legacy ops`)

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("dir", "", "output folder (required)")
	files := fs.Int("files", 100000, "number of files")
	total := fs.Int64("bytes", 1<<30, "total size of the files")
	users := fs.Int("users", 1000, "number of candidate users")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("gen: -dir is required")
	}
	r := rand.New(rand.NewPCG(*seed, 2))
	const acct = "123456789012"

	// Candidates: names people and automation use, each with a unique ID
	// and one or two keys.
	cands := make([]codesearch.Candidate, *users)
	seen := map[string]bool{}
	for i := range cands {
		var name string
		for name == "" || seen[name] {
			if i%3 == 0 {
				name = firstNames[r.IntN(len(firstNames))]
				if seen[name] {
					name = fmt.Sprintf("%s.%s%d", name, firstNames[r.IntN(len(firstNames))], r.IntN(100))
				}
			} else {
				name = fmt.Sprintf("%s-%s-%d", roles[r.IntN(len(roles))], words[r.IntN(len(words))], r.IntN(1000))
			}
		}
		seen[name] = true
		c := codesearch.Candidate{AccountID: acct, UserName: name, UserID: randID(r, "AIDA", 21)}
		for range 1 + r.IntN(2) {
			c.AccessKeyIDs = append(c.AccessKeyIDs, randID(r, "AKIA", 20))
		}
		cands[i] = c
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	cj, err := json.Marshal(cands)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "candidates.json"), cj, 0o644); err != nil {
		return err
	}
	pats, err := codesearch.Patterns(cands)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "patterns.txt"), []byte(strings.Join(pats, "\n")+"\n"), 0o644); err != nil {
		return err
	}

	// A pool of ordinary lines to draw from: code-like text that keeps the
	// automaton out of its start state, as real code does.
	pool := make([]string, 8192)
	for i := range pool {
		var b strings.Builder
		b.WriteString(strings.Repeat("\t", r.IntN(4)))
		for range 3 + r.IntN(10) {
			w := words[r.IntN(len(words))]
			switch r.IntN(6) {
			case 0:
				w = strings.ToUpper(w[:1]) + w[1:]
			case 1:
				w = w + "_" + words[r.IntN(len(words))]
			case 2:
				w = fmt.Sprintf("%s%d", w, r.IntN(10000))
			}
			b.WriteString(w)
			b.WriteString([]string{" ", " ", " = ", ", ", "(", ") ", ": ", ".", " \""}[r.IntN(9)])
		}
		pool[i] = b.String() + "\n"
	}
	hitLine := func(c codesearch.Candidate) string {
		switch r.IntN(5) {
		case 0:
			return fmt.Sprintf("  principal: arn:aws:iam::%s:user/automation/%s\n", acct, c.UserName)
		case 1:
			return fmt.Sprintf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", c.AccessKeyIDs[0], randSecret(r))
		case 2:
			return fmt.Sprintf("owner = \"%s\" # on call\n", c.UserName)
		case 3:
			return fmt.Sprintf("\"Condition\": {\"StringEquals\": {\"aws:userid\": \"%s\"}}\n", c.UserID)
		}
		return fmt.Sprintf("resource: user/%s\n", c.UserName)
	}
	nearMiss := func(c codesearch.Candidate) string {
		return fmt.Sprintf("contact %sy or %s_old or %s.smith@example.com\n", c.UserName, c.UserName, c.UserName)
	}
	exts := []string{".go", ".py", ".ts", ".yaml", ".json", ".tf", ".md", ".sh", ".conf", ".txt"}
	mean := float64(*total) / float64(*files)
	var written int64
	start := time.Now()
	for i := range *files {
		d := filepath.Join(*dir, "tree", fmt.Sprintf("repo%03d", i%500), fmt.Sprintf("pkg%02d", (i/500)%20))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		name := fmt.Sprintf("f%06d%s", i, exts[r.IntN(len(exts))])
		if i%97 == 0 {
			name = ".env"
		}
		// Sizes exponential around the mean so that the few large files
		// cross chunk edges; the last files take what is left.
		left := *files - i
		want := int64(-math.Log(1-r.Float64()) * mean)
		if left <= 20 {
			want = max(0, (*total-written)/int64(left))
		}
		f, err := os.Create(filepath.Join(d, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 64<<10)
		var n int64
		if i%150 == 7 {
			w.WriteString("\x7fELF\x00\x00binary")
		}
		hit, miss := i%200 == 3, i%200 == 5
		for n < want {
			line := pool[r.IntN(len(pool))]
			if (hit || miss) && n >= want/2 {
				c := cands[r.IntN(len(cands))]
				if hit {
					line, hit = hitLine(c), false
				} else {
					line, miss = nearMiss(c), false
				}
			}
			w.WriteString(line)
			n += int64(len(line))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		written += n
	}
	fmt.Printf("generated %d files, %d bytes, %d candidates, %d patterns in %s\n", *files, written, len(cands), len(pats), time.Since(start).Round(time.Millisecond))
	return nil
}

func search(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	dir := fs.String("dir", "", "folder made by gen (required)")
	out := fs.String("out", "", "file for the hits (required)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "files scanned at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("search: -dir and -out are required")
	}
	cj, err := os.ReadFile(filepath.Join(*dir, "candidates.json"))
	if err != nil {
		return err
	}
	var cands []codesearch.Candidate
	if err := json.Unmarshal(cj, &cands); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(*dir, "candidates.json"), err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Now()
	st, err := codesearch.Search(context.Background(), []string{filepath.Join(*dir, "tree")}, cands,
		codesearch.Options{MaxFileSize: codesearch.DefaultMaxFileSize, Workers: *workers, Logger: slog.New(slog.DiscardHandler)},
		func(h codesearch.Hit) error {
			_, err := fmt.Fprintf(w, "%s:%d:%s:%s:%s\n", h.Source, h.Line, cands[h.Candidate].UserName, h.Kind, h.Excerpt)
			return err
		})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("dormant: %d files, %d bytes, %d hits, skipped %v in %s\n", st.Files, st.Bytes, st.Hits, st.Skipped, time.Since(start).Round(time.Millisecond))
	return nil
}
