package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/tables"
)

// countRepeats returns the mutating calls (action and target) the fake
// answered more than once in acct.
func countRepeats(e *env, acct string) []string {
	seen := map[string]int{}
	var out []string
	for _, m := range e.mutations(acct) {
		seen[m]++
		if seen[m] == 2 {
			out = append(out, m)
		}
	}
	return out
}

func TestResumeAfterInterruption(t *testing.T) {
	var bob, carol *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		bob = fullUser(o.Account(mgmtID), "bob")
		carol = plainUser(o.Account(mgmtID), "carol", ago(800))
	})
	path := e.writeManifest(finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete),
		finding(mgmtID, carol, tables.StatusInactive, tables.DecisionDelete))
	journal := filepath.Join(e.dir, "my-journal.jsonl")

	// Ctrl-C lands while DeleteSSHPublicKey is in flight: the call finishes
	// and is journaled, then bob stops and carol never starts.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory := e.wrapped(func(api IAMAPI) IAMAPI {
		return hooked{IAMAPI: api, before: func(call string) error {
			if call == "DeleteSSHPublicKey" {
				cancel()
			}
			return nil
		}}
	})
	out := &syncBuffer{}
	res, err := e.remediator(out, factory, WithApply(true), WithJournal(journal), WithConcurrency(1)).Run(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b := entryByLabel(t, res, mgmtID+"/bob")
	if b.Outcome != OutcomeInterrupted {
		t.Fatalf("bob: %s (%s)\n%s", b.Outcome, b.Reason, out)
	}
	if c := entryByLabel(t, res, mgmtID+"/carol"); c.Outcome != OutcomeInterrupted || e.state(mgmtID, "carol") == nil {
		t.Errorf("carol: %s (%s)", c.Outcome, c.Reason)
	}
	if err := res.Err(); !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "re-run with the same --journal "+journal) {
		t.Errorf("Err() = %v", err)
	}
	first := e.mutations(mgmtID)
	if got, want := actionsOnly(first), deleteActions[:6]; !slices.Equal(got, want) {
		t.Fatalf("before the interruption: %q, want %q (the call in flight completes)", got, want)
	}
	if n := len(iamRecords(readJournalFile(t, journal))); n != len(first) {
		t.Errorf("journal has %d records for %d calls made", n, len(first))
	}
	backup := filepath.Join(res.BackupDir, mgmtID, "bob.json")
	taken, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}

	// The re-run continues: no call is repeated, the backup of the intact
	// user is kept, and both users are gone.
	res2, out2 := e.run(path, nil, WithApply(true), WithJournal(journal), WithConcurrency(1))
	if err := res2.Err(); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out2)
	}
	if rep := countRepeats(e, mgmtID); len(rep) > 0 {
		t.Errorf("calls repeated after the interruption: %q", rep)
	}
	if got := actionsOnly(e.mutations(mgmtID))[:len(deleteActions)]; !slices.Equal(got, deleteActions) {
		t.Errorf("bob's calls over both runs: %q", got)
	}
	if e.state(mgmtID, "bob") != nil || e.state(mgmtID, "carol") != nil {
		t.Error("a user survived the re-run")
	}
	if kept, _ := os.ReadFile(backup); string(kept) != string(taken) {
		t.Errorf("the backup was retaken from the half-deleted user:\n%s", kept)
	}
	rb := entryByLabel(t, res2, mgmtID+"/bob")
	done := 0
	for _, s := range rb.Steps {
		if s.Result == StepDoneEarlier {
			done++
		}
	}
	if done != 6 || rb.Outcome != OutcomeDone {
		t.Errorf("re-run of bob: %s, %d steps done earlier, want 6\n%s", rb.Outcome, done, out2)
	}

	// A third run finds everything done and calls nothing.
	calls := e.srv.MutatingCalls()
	res3, out3 := e.run(path, nil, WithApply(true), WithJournal(journal))
	if err := res3.Err(); err != nil || res3.Count(OutcomeAlreadyDone) != 2 || e.srv.MutatingCalls() != calls {
		t.Errorf("third run: err %v, %d already done, %d new calls\n%s", err, res3.Count(OutcomeAlreadyDone), e.srv.MutatingCalls()-calls, out3)
	}
}

func TestResumeAfterFailure(t *testing.T) {
	var bob *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { bob = fullUser(o.Account(mgmtID), "bob") })
	path := e.writeManifest(finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete))
	var failures atomic.Int32
	factory := e.wrapped(func(api IAMAPI) IAMAPI {
		return hooked{IAMAPI: api, before: func(call string) error {
			if call == "DetachUserPolicy" && failures.Add(1) == 1 {
				return serviceFailure
			}
			return nil
		}}
	})
	res, out := e.run(path, factory, WithApply(true))
	er := res.Entries[0]
	if er.Outcome != OutcomeFailed || !strings.Contains(er.Reason, "ServiceFailure") {
		t.Fatalf("bob: %s (%s)\n%s", er.Outcome, er.Reason, out)
	}
	recs := readJournalFile(t, res.Journal)
	last := recs[len(recs)-1]
	if last.Call != "iam:DetachUserPolicy" || last.Result != ResultError || last.ErrorCode != "ServiceFailure" || last.Error == "" {
		t.Errorf("last journal record = %+v", last)
	}
	if e.state(mgmtID, "bob") == nil {
		t.Fatal("bob deleted despite the failure")
	}
	res2, out2 := e.run(path, factory, WithApply(true))
	if err := res2.Err(); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out2)
	}
	if e.state(mgmtID, "bob") != nil {
		t.Error("bob survived the re-run")
	}
	// Only the failed call is made twice (it never took effect the first time).
	if rep := countRepeats(e, mgmtID); len(rep) > 0 {
		t.Errorf("calls repeated: %q", rep)
	}
}

func TestResumeWithNoSuchEntity(t *testing.T) {
	// A crash after a call took effect but before it was journaled: the
	// re-run makes the call again and IAM answers NoSuchEntity, which counts
	// as done. Set up what such a crash leaves: the backup, a journal
	// showing the login profile deleted, and an SSH key deleted without its
	// journal line.
	var dan *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { dan = fullUser(o.Account(mgmtID), "dan") })
	path := e.writeManifest(finding(mgmtID, dan, tables.StatusInactive, tables.DecisionDelete))
	dry, _ := e.run(path, nil)
	b, err := snapshot(context.Background(), e.api(), mgmtID, "dan", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Scope, b.Action, b.RunID = ScopeUser, ActionDelete, "run-test"
	if _, err := writeBackup(filepath.Join(dry.BackupDir, mgmtID, "dan.json"), b); err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(dry.Journal, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.append(JournalRecord{RunID: "run-test", Account: mgmtID, User: "dan", UserID: dan.UserID, Entry: mgmtID + "/dan",
		Action: ActionDelete, Call: "iam:DeleteLoginProfile", Parameters: map[string]any{"UserName": "dan"}, Result: ResultOK}); err != nil {
		t.Fatal(err)
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	e.srv.Do(func(o *awsfake.Org) {
		u := o.Account(mgmtID).User("dan")
		u.LoginProfile = nil
		u.SSHPublicKeys = nil
	})
	res, out := e.run(path, nil, WithApply(true))
	if err := res.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	results := map[string]string{}
	for _, s := range res.Entries[0].Steps {
		results[s.Step.Call] = s.Result
	}
	if results["iam:DeleteLoginProfile"] != StepDoneEarlier || results["iam:DeleteSSHPublicKey"] != StepAlreadyDone || results["iam:DeleteUser"] != StepOK {
		t.Errorf("step results = %v", results)
	}
	if !strings.Contains(out, "-> already done (NoSuchEntity)") || !strings.Contains(out, "-> done earlier (journal)") {
		t.Errorf("output:\n%s", out)
	}
	if e.state(mgmtID, "dan") != nil {
		t.Error("dan survived")
	}
	if n := e.srv.Calls("DeleteLoginProfile"); n != 0 {
		t.Errorf("DeleteLoginProfile called %d times though the journal shows it done", n)
	}
	var ssh []JournalRecord
	for _, r := range readJournalFile(t, res.Journal) {
		if r.Call == "iam:DeleteSSHPublicKey" {
			ssh = append(ssh, r)
		}
	}
	if len(ssh) != 1 || ssh[0].Result != ResultAlreadyDone {
		t.Errorf("SSH key journal records = %+v", ssh)
	}
}

func TestDeleteConflictReportsWhatRemains(t *testing.T) {
	var bob *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { bob = fullUser(o.Account(mgmtID), "bob") })
	path := e.writeManifest(finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete))
	var added string
	// Someone adds an SSH key after the backup: it is not in the plan, so
	// DeleteUser refuses, and remediation does not remove what it never
	// backed up.
	factory := e.wrapped(func(api IAMAPI) IAMAPI {
		return hooked{IAMAPI: api, before: func(call string) error {
			if call == "DeleteUser" && added == "" {
				e.srv.Do(func(o *awsfake.Org) {
					added = o.Account(mgmtID).User("bob").AddSSHPublicKey(testNow, true).ID
				})
			}
			return nil
		}}
	})
	res, out := e.run(path, factory, WithApply(true))
	er := res.Entries[0]
	if er.Outcome != OutcomeFailed || !strings.Contains(er.Reason, "DeleteConflict") {
		t.Fatalf("bob: %s (%s)\n%s", er.Outcome, er.Reason, out)
	}
	if !slices.Equal(er.Remaining, []string{"SSH public key " + added}) {
		t.Errorf("remaining = %q, want the new SSH key %s", er.Remaining, added)
	}
	if !strings.Contains(out, "remains: SSH public key "+added) || !strings.Contains(er.Reason, "still attached: SSH public key "+added) {
		t.Errorf("output does not list what remains:\n%s", out)
	}
	if s := e.state(mgmtID, "bob"); s == nil || s.SSH != 1 {
		t.Errorf("bob = %+v, want him left with the new key", s)
	}
	recs := readJournalFile(t, res.Journal)
	if last := recs[len(recs)-1]; last.Call != "iam:DeleteUser" || last.ErrorCode != "DeleteConflict" {
		t.Errorf("last journal record = %+v", last)
	}
}

func TestOneFailureDoesNotStopOthers(t *testing.T) {
	var users []*awsfake.User
	var findings []tables.Finding
	e := newEnv(t, func(o *awsfake.Org) {
		for i := range 6 {
			acct := mgmtID
			if i%2 == 1 {
				acct = memberID
			}
			u := plainUser(o.Account(acct), fmt.Sprintf("user%d", i), ago(400))
			users = append(users, u)
			findings = append(findings, finding(acct, u, tables.StatusInactive, tables.DecisionDelete))
		}
	}, awsfake.WithDeniedIAM(memberID))
	path := e.writeManifest(findings...)
	res, out := e.run(path, nil, WithApply(true), WithConcurrency(4))
	if res.Count(OutcomeDone) != 3 || res.Count(OutcomeFailed) != 3 {
		t.Fatalf("done %d failed %d\n%s", res.Count(OutcomeDone), res.Count(OutcomeFailed), out)
	}
	for _, er := range res.Entries {
		if (er.AccountID == memberID) != (er.Outcome == OutcomeFailed) {
			t.Errorf("%s: %s (%s)", er.Entry, er.Outcome, er.Reason)
		}
		if er.Outcome == OutcomeFailed && !strings.Contains(er.Reason, "AccessDenied") {
			t.Errorf("%s failed with %q, want the AccessDenied", er.Entry, er.Reason)
		}
	}
	for i := 0; i < 6; i += 2 {
		if e.state(mgmtID, users[i].Name) != nil {
			t.Errorf("%s survived", users[i].Name)
		}
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "3 failed of 6 entries") {
		t.Errorf("Err() = %v", err)
	}
}

func TestManyUsersConcurrently(t *testing.T) {
	var findings []tables.Finding
	e := newEnv(t, func(o *awsfake.Org) {
		for i := range 16 {
			acct := []string{mgmtID, memberID}[i%2]
			u := fullUser(o.Account(acct), fmt.Sprintf("u%02d", i))
			decision := tables.DecisionDelete
			if i%3 == 0 {
				decision = tables.DecisionDeactivate
			}
			findings = append(findings, finding(acct, u, tables.StatusInactive, decision))
		}
	}, awsfake.WithBoundaryBlocksDeleteUser(), awsfake.WithThrottling(1))
	path := e.writeManifest(findings...)
	res, out := e.run(path, nil, WithApply(true), WithConcurrency(5))
	if err := res.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i, er := range res.Entries {
		if !strings.Contains(out, fmt.Sprintf("[%d/16] %s:", i+1, er.Entry)) {
			t.Errorf("output lacks entry %d %s", i+1, er.Entry)
		}
		gone := e.state(er.AccountID, er.UserName) == nil
		if gone != (er.Action == ActionDelete) {
			t.Errorf("%s %s: gone = %v", er.Entry, er.Action, gone)
		}
	}
	if idx := strings.Index(out, "[16/16]"); idx < 0 || strings.Index(out, "[15/16]") > idx {
		t.Error("entries printed out of order")
	}
	checkJournalLines(t, res.Journal)
}

func TestOnly(t *testing.T) {
	var a, b *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		a = plainUser(o.Account(mgmtID), "alice", ago(400))
		b = plainUser(o.Account(memberID), "bob", ago(400))
	})
	path := e.writeManifest(finding(mgmtID, a, tables.StatusInactive, tables.DecisionDelete), finding(memberID, b, tables.StatusInactive, tables.DecisionDelete))
	res, _ := e.run(path, nil, WithApply(true), WithOnly(memberID+"/BOB"))
	if len(res.Entries) != 1 || res.Entries[0].Entry != memberID+"/bob" || res.Entries[0].Outcome != OutcomeDone {
		t.Fatalf("entries = %+v", res.Entries)
	}
	if e.state(mgmtID, "alice") == nil || e.state(memberID, "bob") != nil {
		t.Error("--only acted on the wrong user")
	}
	var ce *ConfigError
	_, err := e.remediator(nil, nil, WithOnly(mgmtID+"/nobody")).Run(context.Background(), path)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), mgmtID+"/nobody") {
		t.Errorf("unknown --only: err = %v, want a ConfigError naming it", err)
	}
	if _, err := New(Deps{Clients: e.clients()}, WithOnly("alice")); !errors.As(err, &ce) {
		t.Errorf("malformed --only: err = %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	e := newEnv(t, func(*awsfake.Org) {})
	for _, opt := range []Option{WithMode("purge"), WithConcurrency(0), WithMaxAge(-1), WithGraceDays(0), WithExemptTag(""), WithCallTimeout(0)} {
		var ce *ConfigError
		if _, err := New(Deps{Clients: e.clients()}, opt); !errors.As(err, &ce) {
			t.Errorf("err = %v, want a ConfigError", err)
		}
	}
	if _, err := New(Deps{}); err == nil {
		t.Error("New without clients succeeded")
	}
}

func TestAssumeRoleDenied(t *testing.T) {
	var a *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { a = plainUser(o.Account(memberID), "alice", ago(400)) }, awsfake.WithDeniedAssumeRole(memberID))
	res, _ := e.run(e.writeManifest(finding(memberID, a, tables.StatusInactive, tables.DecisionDelete)), nil, WithApply(true))
	er := res.Entries[0]
	if er.Outcome != OutcomeFailed || !strings.Contains(er.Reason, "assuming role arn:aws:iam::"+memberID+":role/"+roleName) {
		t.Errorf("outcome %s (%s)", er.Outcome, er.Reason)
	}
	// Without a role name, another account cannot be reached at all.
	cfg := e.srv.AWSConfig(e.org.CallerCredentials())
	_, err := AWSClients(cfg, AWSAccess{})(context.Background(), memberID)
	if err == nil || !strings.Contains(err.Error(), "--role-name") {
		t.Errorf("no role name: err = %v", err)
	}
}
