package codesearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// gitCache bounds each open repository's object cache; go-git's default is
// 96 MiB, and the search opens one repository per worker.
const gitCache = 8 * cache.MiByte

// openRepo opens the repository at root with a small object cache.
func openRepo(root string) (*git.Repository, error) {
	dot := filepath.Join(root, ".git")
	if info, err := os.Stat(dot); err == nil && info.IsDir() {
		st := filesystem.NewStorage(osfs.New(dot), cache.NewObjectLRU(gitCache))
		return git.Open(st, nil)
	}
	// A linked worktree or submodule: .git is a file naming the real one.
	return git.PlainOpenWithOptions(root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
}

// repoPool hands each worker its own repository handle: go-git's storage
// is not safe for concurrent readers.
type repoPool struct {
	root string
	free chan *git.Repository
}

func (p *repoPool) get() (*git.Repository, error) {
	select {
	case r := <-p.free:
		return r, nil
	default:
		return openRepo(p.root)
	}
}

func (p *repoPool) put(r *git.Repository) {
	select {
	case p.free <- r:
	default:
	}
}

// blobReader returns the repository to the pool when closed.
type blobReader struct {
	io.ReadCloser
	pool *repoPool
	repo *git.Repository
}

func (b blobReader) Close() error {
	err := b.ReadCloser.Close()
	b.pool.put(b.repo)
	return err
}

// sendHistory sends every blob reachable from every ref of the repository
// at root once, with the first commit (walking from the refs) whose tree
// holds it and its path there.
func sendHistory(ctx context.Context, root string, send func(job) error) error {
	repo, err := openRepo(root)
	if err != nil {
		return fmt.Errorf("opening the git repository at %s for its history: %w; give --search-history only for repositories go-git can read, or search the working tree without it", root, err)
	}
	pool := &repoPool{root: root, free: make(chan *git.Repository, 64)}
	refs, err := repo.References()
	if err != nil {
		return fmt.Errorf("listing the refs of %s: %w", root, err)
	}
	var tips []plumbing.Hash
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference {
			tips = append(tips, r.Hash())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing the refs of %s: %w", root, err)
	}
	seenCommits := map[plumbing.Hash]bool{}
	seenTrees := map[plumbing.Hash]bool{}
	seenBlobs := map[plumbing.Hash]bool{}
	for _, tip := range tips {
		c, err := commitOf(repo, tip)
		if err != nil {
			if errors.Is(err, errNotCommit) {
				continue
			}
			return fmt.Errorf("reading %s in %s: %w", tip, root, err)
		}
		stack := []*object.Commit{c}
		for len(stack) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seenCommits[c.Hash] {
				continue
			}
			seenCommits[c.Hash] = true
			tree, err := c.Tree()
			if err != nil {
				return fmt.Errorf("reading the tree of commit %s in %s: %w", c.Hash, root, err)
			}
			if err := sendTree(ctx, root, c.Hash.String(), tree, "", pool, seenTrees, seenBlobs, send); err != nil {
				return err
			}
			err = c.Parents().ForEach(func(p *object.Commit) error {
				if !seenCommits[p.Hash] {
					stack = append(stack, p)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("reading the parents of commit %s in %s: %w", c.Hash, root, err)
			}
		}
	}
	return nil
}

var errNotCommit = errors.New("not a commit")

// commitOf resolves a ref's target, peeling annotated tags.
func commitOf(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	for range 16 {
		obj, err := repo.Object(plumbing.AnyObject, h)
		if err != nil {
			return nil, err
		}
		switch o := obj.(type) {
		case *object.Commit:
			return o, nil
		case *object.Tag:
			h = o.Target
		default:
			return nil, errNotCommit
		}
	}
	return nil, errNotCommit
}

func sendTree(ctx context.Context, root, commit string, t *object.Tree, dir string, pool *repoPool, seenTrees, seenBlobs map[plumbing.Hash]bool, send func(job) error) error {
	if seenTrees[t.Hash] {
		return nil
	}
	seenTrees[t.Hash] = true
	for _, e := range t.Entries {
		p := path.Join(dir, e.Name)
		switch {
		case e.Mode == filemode.Dir:
			sub, err := t.Tree(e.Name)
			if err != nil {
				return fmt.Errorf("reading tree %s at commit %s in %s: %w", p, commit, root, err)
			}
			if err := sendTree(ctx, root, commit, sub, p, pool, seenTrees, seenBlobs, send); err != nil {
				return err
			}
		case e.Mode.IsFile() && e.Mode != filemode.Symlink:
			if seenBlobs[e.Hash] {
				continue
			}
			seenBlobs[e.Hash] = true
			h := e.Hash
			err := send(job{
				src:  Source{Kind: "git", Repo: root, Commit: commit, Path: p},
				size: -1,
				open: func(context.Context) (io.ReadCloser, int64, error) {
					r, err := pool.get()
					if err != nil {
						return nil, 0, err
					}
					b, err := r.BlobObject(h)
					if err != nil {
						pool.put(r)
						return nil, 0, err
					}
					rc, err := b.Reader()
					if err != nil {
						pool.put(r)
						return nil, 0, err
					}
					return blobReader{rc, pool, r}, b.Size, nil
				},
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
