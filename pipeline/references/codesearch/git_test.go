package codesearch

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// A key ID committed and then removed is found only with History, with the
// commit that held it.
func TestSearchGitHistory(t *testing.T) {
	root := t.TempDir()
	repo, err := git.PlainInit(root, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	commit := func(msg string) string {
		t.Helper()
		if _, err := wt.Add("config.ini"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	write(t, root, "config.ini", "[aws]\naccess_key_id = "+keyID+"\nsecret_access_key = "+secret+"\n")
	leaked := commit("add credentials")
	write(t, root, "config.ini", "[aws]\nprofile = reports\n")
	commit("use a profile instead")

	hits, st := search(t, []string{root}, cands, Options{})
	if len(hits) != 0 {
		t.Errorf("working tree only: hits %s, want none", render(hits))
	}
	if st.Skipped[SkipGitDir] != 1 {
		t.Errorf("skipped = %v, want the .git directory", st.Skipped)
	}

	hits, _ = search(t, []string{root}, cands, Options{History: true})
	if len(hits) != 1 {
		t.Fatalf("with history: hits %s, want one", render(hits))
	}
	h := hits[0]
	want := Source{Kind: "git", Repo: root, Commit: leaked, Path: "config.ini"}
	if h.Source != want || h.Line != 2 || h.Kind != KindAccessKeyID || cands[h.Candidate].UserName != "svc-reports" {
		t.Errorf("hit %+v, want %+v line 2 svc-reports access-key-id", h, want)
	}
	if h.Excerpt != "access_key_id = "+keyID {
		t.Errorf("excerpt %q", h.Excerpt)
	}
	if got := h.Source.String(); got != filepath.Clean(root)+"@"+leaked+":config.ini" {
		t.Errorf("location %q", got)
	}
}

// A blob that is also in the working tree gives a file hit and a history
// hit; DropHistoryDuplicates keeps the file's.
func TestDropHistoryDuplicates(t *testing.T) {
	root := t.TempDir()
	repo, err := git.PlainInit(root, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	write(t, root, "deploy/ci.yml", "user: arn:aws:iam::"+acct+":user/deploy-bot\n")
	wt.Add("deploy/ci.yml")
	if _, err := wt.Commit("ci", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}}); err != nil {
		t.Fatal(err)
	}
	hits, _ := search(t, []string{root}, cands, Options{History: true})
	if len(hits) != 2 {
		t.Fatalf("hits %s, want the file's and the blob's", render(hits))
	}
	kept := DropHistoryDuplicates(hits)
	if len(kept) != 1 || kept[0].Source.Kind != "file" {
		t.Errorf("kept %s, want the file's hit only", render(kept))
	}
}
