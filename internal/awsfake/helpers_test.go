package awsfake

import (
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	mgmtID   = "111111111111"
	memberID = "222222222222"
)

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func start(t *testing.T, org *Org, opts ...Option) *Server {
	t.Helper()
	s := New(org, opts...)
	t.Cleanup(s.Close)
	if err := s.Err(); err != nil {
		t.Fatalf("invalid test organization: %v", err)
	}
	return s
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err) // test fixtures only
	}
	return t
}

func datep(s string) *time.Time {
	t := date(s)
	return &t
}

// errorCode returns the AWS error code of err, "" when it is not an API error.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// rawCall posts a Query-protocol request with a SigV4-shaped Authorization
// header for akid (empty: no header) and returns the status and body.
func rawCall(t *testing.T, s *Server, akid, service string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if akid != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := atomicfile.WriteBytes(path, got); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// richOrg is a deterministic organization exercising every credential
// report special value.
func richOrg() *Org {
	org := NewOrg(mgmtID)
	a := org.AddAccount(memberID, AccountName("dev"), AccountCreated(date("2015-06-24T12:45:00Z")), PasswordMaxAge(90))
	a.Root.PasswordLastUsed = datep("2026-03-01T09:00:00Z")
	a.Root.MFAActive = true

	alice := a.AddUser("alice", UserCreated(date("2019-04-01T10:00:00Z")))
	alice.SetPassword(date("2025-12-01T08:00:00Z"), datep("2026-05-30T07:15:00Z"))
	alice.AddMFADevice(true, date("2019-04-02T00:00:00Z"))
	alice.AddAccessKey(KeyCreated(date("2024-01-10T00:00:00Z")), KeyLastUsed(date("2026-05-29T12:00:00Z"), "us-east-1", "s3"))
	alice.AddAccessKey(KeyCreated(date("2014-03-01T00:00:00Z")), KeyInactive(), KeyLastUsed(date("2015-01-01T00:00:00Z"), "eu-west-1", "ec2"))
	alice.AddSigningCertificate(date("2020-02-02T00:00:00Z"), true)

	bob := a.AddUser("bob", UserCreated(date("2016-09-30T09:20:00Z")))
	bob.PasswordLastUsed = datep("2016-11-25T11:20:00Z") // password since removed

	carol := a.AddUser("carol", UserCreated(date("2022-02-17T14:59:38Z")))
	carol.SetPassword(date("2022-02-17T14:59:38Z"), nil)

	dave := a.AddUser("dave", UserPath("/eng/"), UserCreated(date("2021-03-02T09:00:00Z")))
	dave.AddAccessKey(KeyCreated(date("2024-02-11T12:00:00Z")), KeyLastUsed(date("2026-04-20T02:06:00Z"), "", "iam"))
	dave.AddAccessKey(KeyCreated(date("2025-02-11T12:00:00Z")))
	dave.AddSigningCertificate(date("2021-05-05T00:00:00Z"), false)
	dave.AddSigningCertificate(date("2022-05-05T00:00:00Z"), true)

	frank := a.AddUser("frank,ops", UserCreated(date("2013-01-01T00:00:00Z")))
	frank.SetPassword(date("2013-01-01T00:00:00Z"), datep("2014-01-05T00:00:00Z"))
	return org
}
