package remediate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal results.
const (
	ResultOK          = "ok"           // the call succeeded
	ResultAlreadyDone = "already_done" // NoSuchEntity on a removal: the thing was already gone
	ResultError       = "error"
)

// JournalRecord is one line of the journal: one IAM call and its result.
type JournalRecord struct {
	Time    time.Time `json:"time"`
	RunID   string    `json:"run_id"` // the manifest's run (or the backup's, for restore)
	Account string    `json:"account"`
	User    string    `json:"user"`
	UserID  string    `json:"user_id"`
	// Entry names the manifest entry (account/user, plus the key slot), or
	// "restore account/user".
	Entry string `json:"entry"`
	// Action is deactivate, delete, deactivate-key, delete-key or restore.
	Action string `json:"action"`
	Call   string `json:"call"` // e.g. iam:DeleteAccessKey
	// Target is what the call acts on within the user: a key ID, MFA
	// serial, policy name or ARN, group name; empty for the user itself.
	Target     string         `json:"target,omitempty"`
	Parameters map[string]any `json:"parameters"`
	Result     string         `json:"result"` // ResultOK, ResultAlreadyDone or ResultError
	ErrorCode  string         `json:"error_code,omitempty"`
	Error      string         `json:"error,omitempty"`
	// CreatedUserID is the new unique ID a restore's CreateUser got.
	CreatedUserID string `json:"created_user_id,omitempty"`
	// BackupSHA256 is set on a CallWriteBackup record: the SHA-256 of the
	// backup file (Target, relative to the journal's directory) as written.
	BackupSHA256 string `json:"backup_sha256,omitempty"`
	// BackupSignature is the backup's detached signature file, when
	// remediation was given a signing key.
	BackupSignature string `json:"backup_signature,omitempty"`
}

// CallWriteBackup is the journal's record of a backup written: not an IAM
// call, and no change to the user.
const CallWriteBackup = "dormant:WriteBackup"

// CallIgnoreIaC is the journal's record that --ignore-iac let remediation
// act through IAM on a user infrastructure as code manages: not an IAM
// call; Parameters name the owners and the change that was not made.
const CallIgnoreIaC = "dormant:IgnoreIaC"

func (r *JournalRecord) succeeded() bool {
	return r.Result == ResultOK || r.Result == ResultAlreadyDone
}

// entryKey identifies one entry's work within a run.
type entryKey struct{ runID, account, userID, entry, action string }

type stepKey struct {
	entryKey
	call, target string
}

// journal is the append-only record of calls. The journal is the one file
// not written through atomicfile: it must survive a crash mid-run line by
// line, so each record is appended with a single write and synced.
type journal struct {
	path string
	mu   sync.Mutex
	f    *os.File // nil when only reading (dry run) or without a journal
	done map[stepKey]JournalRecord
	// calls holds, per entry, the last successful record of each call.
	calls map[entryKey]map[string]JournalRecord
	// users marks users (run, account, unique ID) with at least one
	// successful change.
	users map[string]bool
	// backups holds the last CallWriteBackup record of each backup file,
	// by its path relative to the journal's directory.
	backups map[string]JournalRecord
}

func userKey(runID, account, userID string) string { return runID + "\x00" + account + "\x00" + userID }

// openJournal loads path's records (a missing file is an empty journal) and,
// when write is set, opens it for appending. An empty path is no journal.
func openJournal(path string, write bool, logger *slog.Logger) (*journal, error) {
	j := &journal{path: path, done: map[stepKey]JournalRecord{}, calls: map[entryKey]map[string]JournalRecord{}, users: map[string]bool{}, backups: map[string]JournalRecord{}}
	if path == "" {
		return j, nil
	}
	tail, err := j.load(logger)
	if err != nil {
		return nil, err
	}
	if !write {
		return j, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("creating journal directory for %s: %w", path, err)
	}
	if tail.cut {
		// The last line was cut short by a crash and records nothing that
		// happened for sure: drop it, so the next record starts clean.
		if err := os.Truncate(path, tail.keep); err != nil {
			return nil, fmt.Errorf("dropping the cut last line of journal %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening journal %s: %w", path, err)
	}
	if tail.noNewline {
		if _, err := f.Write([]byte("\n")); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing journal %s: %w", path, err)
		}
	}
	j.f = f
	return j, nil
}

// journalTail describes how the journal file ends.
type journalTail struct {
	cut       bool  // the last line is incomplete JSON without a newline
	keep      int64 // bytes up to the end of the last complete line
	noNewline bool  // the last line is complete but lacks its newline
}

// load reads the records and reports how the file ends.
func (j *journal) load(logger *slog.Logger) (journalTail, error) {
	var tail journalTail
	data, err := os.ReadFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return tail, nil
	}
	if err != nil {
		return tail, fmt.Errorf("reading journal %s: %w", j.path, err)
	}
	for line, off := 1, 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		last := end < 0
		if last {
			end = len(data) - off
		}
		text := bytes.TrimSpace(data[off : off+end])
		if len(text) > 0 {
			var r JournalRecord
			if err := json.Unmarshal(text, &r); err != nil {
				if last {
					logger.Warn("ignoring the journal's last line, cut short by an interruption", "journal", j.path, "line", line)
					return journalTail{cut: true, keep: int64(off)}, nil
				}
				return tail, fmt.Errorf("reading journal %s line %d: %w; the journal is damaged: move it aside to start over, or fix the line", j.path, line, err)
			}
			j.note(r)
		}
		off += end + 1
		if last {
			tail.noNewline = len(text) > 0
		}
	}
	return tail, nil
}

func (j *journal) note(r JournalRecord) {
	if !r.succeeded() {
		return
	}
	if r.Call == CallWriteBackup {
		// A backup changes nothing in IAM: it must not mark the user touched.
		j.backups[r.Target] = r
		return
	}
	if r.Call == CallIgnoreIaC {
		return // a decision recorded, no change in IAM
	}
	ek := entryKey{r.RunID, r.Account, r.UserID, r.Entry, r.Action}
	j.done[stepKey{ek, r.Call, r.Target}] = r
	if j.calls[ek] == nil {
		j.calls[ek] = map[string]JournalRecord{}
	}
	j.calls[ek][r.Call] = r
	j.users[userKey(r.RunID, r.Account, r.UserID)] = true
}

// stepDone returns the record of an earlier successful call of the step.
func (j *journal) stepDone(ek entryKey, call, target string) (JournalRecord, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.done[stepKey{ek, call, target}]
	return r, ok
}

// doneCall returns the record of an earlier successful call of the entry.
func (j *journal) doneCall(ek entryKey, call string) (JournalRecord, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.calls[ek][call]
	return r, ok
}

// touched says whether any call changed the user in the run.
func (j *journal) touched(runID, account, userID string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.users[userKey(runID, account, userID)]
}

// backupRel is a backup file's path as the journal records it: relative
// to the journal's directory, with forward slashes, so the backup directory
// can be moved as a whole.
func (j *journal) backupRel(path string) (string, error) {
	absJ, err := filepath.Abs(filepath.Dir(j.path))
	if err != nil {
		return "", fmt.Errorf("resolving journal %s: %w", j.path, err)
	}
	absB, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving backup %s: %w", path, err)
	}
	rel, err := filepath.Rel(absJ, absB)
	if err != nil {
		return "", fmt.Errorf("relating backup %s to journal %s: %w", path, j.path, err)
	}
	return filepath.ToSlash(rel), nil
}

// backupRecord returns the last record of the backup at path being written.
func (j *journal) backupRecord(path string) (JournalRecord, bool, error) {
	rel, err := j.backupRel(path)
	if err != nil {
		return JournalRecord{}, false, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.backups[rel]
	return r, ok, nil
}

// append writes r as one line and syncs it, so that what was done survives
// a crash right after.
func (j *journal) append(r JournalRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.note(r)
	if j.f == nil {
		return nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding journal record: %w", err)
	}
	if _, err := j.f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("writing journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing journal %s: %w", j.path, err)
	}
	return nil
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("closing journal %s: %w", j.path, err)
	}
	return nil
}

// ReadJournal returns every record of a journal file, for tests and tools.
func ReadJournal(r io.Reader) ([]JournalRecord, error) {
	var out []JournalRecord
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec JournalRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("reading journal line %d: %w", line, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	return out, nil
}
