package inventory

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Credential report formats, as CredentialReport.Format.
const (
	FormatCSV     = "csv"
	FormatCLIJSON = "cli-json"
	// FormatSDKJSON is an SDK's answer saved as JSON with Content as the
	// report's text (boto3 decodes the blob; CloudMapper's collect saves it so).
	FormatSDKJSON = "sdk-json"
)

// Credential report column names, in AWS's order (22 columns). Older reports
// lack the *_last_used_* columns, so rows are read by these names.
const (
	colUser                = "user"
	colARN                 = "arn"
	colUserCreationTime    = "user_creation_time"
	colPasswordEnabled     = "password_enabled"
	colPasswordLastUsed    = "password_last_used"
	colPasswordLastChanged = "password_last_changed"
	colPasswordNextRotate  = "password_next_rotation"
	colMFAActive           = "mfa_active"
	colKey1Active          = "access_key_1_active"
	colKey1LastRotated     = "access_key_1_last_rotated"
	colKey1LastUsedDate    = "access_key_1_last_used_date"
	colKey1LastUsedRegion  = "access_key_1_last_used_region"
	colKey1LastUsedService = "access_key_1_last_used_service"
	colKey2Active          = "access_key_2_active"
	colKey2LastRotated     = "access_key_2_last_rotated"
	colKey2LastUsedDate    = "access_key_2_last_used_date"
	colKey2LastUsedRegion  = "access_key_2_last_used_region"
	colKey2LastUsedService = "access_key_2_last_used_service"
	colCert1Active         = "cert_1_active"
	colCert1LastRotated    = "cert_1_last_rotated"
	colCert2Active         = "cert_2_active"
	colCert2LastRotated    = "cert_2_last_rotated"
)

// CredentialReportColumns are the 22 columns of a current credential report,
// in AWS's order.
var CredentialReportColumns = []string{
	colUser, colARN, colUserCreationTime, colPasswordEnabled, colPasswordLastUsed,
	colPasswordLastChanged, colPasswordNextRotate, colMFAActive,
	colKey1Active, colKey1LastRotated, colKey1LastUsedDate, colKey1LastUsedRegion, colKey1LastUsedService,
	colKey2Active, colKey2LastRotated, colKey2LastUsedDate, colKey2LastUsedRegion, colKey2LastUsedService,
	colCert1Active, colCert1LastRotated, colCert2Active, colCert2LastRotated,
}

// requiredColumns are the columns without which a user's use cannot be judged.
var requiredColumns = []string{
	colUser, colARN, colUserCreationTime, colPasswordEnabled, colPasswordLastUsed,
	colMFAActive, colKey1Active, colKey2Active,
}

// PasswordTrackingStart is when IAM began recording password last use
// (2014-10-20): no_information for a user created on or after it means the
// password was never used.
var PasswordTrackingStart = time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC)

// Special values of the credential report.
const (
	valNA            = "N/A"
	valNoInformation = "no_information"
	valNotSupported  = "not_supported"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// CredentialReport is one parsed credential report.
type CredentialReport struct {
	Name      string // file name, for errors
	AccountID string // from the ARNs (all rows agree)
	// GeneratedAt comes from the CLI JSON's GeneratedTime; it is zero for a
	// CSV, which carries none (the caller sets it from the API's
	// GeneratedTime or a time the user states, never from a file's
	// modification time). Build copies it onto every row.
	GeneratedAt time.Time
	// TimeStated says GeneratedAt was stated by the user, not read from IAM.
	TimeStated bool
	// NotBefore is the latest date inside the report (password_next_rotation,
	// a date in the future, aside): the report was generated at or after it.
	NotBefore time.Time
	// MissingColumns lists AWS's columns the header lacks, in AWS's order.
	// Their evidence is unknown, never read as "no" or "never".
	MissingColumns []string
	Format         string // FormatCSV or FormatCLIJSON
	CSV            []byte // the CSV bytes (decoded from base64 for CLI JSON)
	// Users holds one row per report row, the root row included (IsRoot),
	// in file order, with InCredentialReport set.
	Users []tables.User
}

// ParseCredentialReport parses a credential report: the CSV GetCredentialReport
// returns, or the JSON `aws iam get-credential-report` prints (detected by its
// leading '{'). name is used in errors and as each row's Source.
func ParseCredentialReport(name string, data []byte) (*CredentialReport, error) {
	body := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(body) == 0 {
		return nil, fmt.Errorf("parsing credential report: %w", &InputError{
			File: name, Err: errors.New("the file is empty"), Fix: fixCredentialReport})
	}
	var (
		rep *CredentialReport
		err error
	)
	if body[0] == '{' {
		rep, err = parseCredentialReportJSON(name, data)
	} else {
		rep = &CredentialReport{Name: name, Format: FormatCSV, CSV: data}
		err = parseCredentialReportCSV(rep, "", data)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing credential report: %w", err)
	}
	return rep, nil
}

// cliCredentialReport is what `aws iam get-credential-report --output json`
// prints (and what json.Marshal makes of the SDK's output).
type cliCredentialReport struct {
	Content         *string         `json:"Content"` // base64 CSV
	ReportFormat    *string         `json:"ReportFormat"`
	GeneratedTime   json.RawMessage `json:"GeneratedTime"`
	UserDetailList  json.RawMessage `json:"UserDetailList"` // only to recognise a misplaced GAAD file
	RoleDetailList  json.RawMessage `json:"RoleDetailList"`
	GroupDetailList json.RawMessage `json:"GroupDetailList"`
}

func parseCredentialReportJSON(name string, data []byte) (*CredentialReport, error) {
	var doc cliCredentialReport
	data = bytes.TrimPrefix(data, utf8BOM)
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(name, data, err, fixCredentialReport)
	}
	fail := func(field string, err error) error {
		return &InputError{File: name, Field: field, Err: err, Fix: fixCredentialReport}
	}
	if doc.Content == nil {
		if doc.UserDetailList != nil || doc.RoleDetailList != nil || doc.GroupDetailList != nil {
			return nil, &InputError{File: name, Err: errors.New("this is an authorization details export, not a credential report"),
				Fix: "pass it with --authorization-details instead"}
		}
		return nil, fail("Content", errors.New("missing: the JSON of `aws iam get-credential-report` has the report in Content"))
	}
	if doc.ReportFormat != nil && *doc.ReportFormat != "text/csv" {
		return nil, fail("ReportFormat", fmt.Errorf("%q is not text/csv, the only format this tool reads", *doc.ReportFormat))
	}
	// The CLI prints blobs as one base64 line; tolerate wrapped lines.
	b64 := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, *doc.Content)
	format := FormatCLIJSON
	csvData, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		// base64 has no ',', so a Content that starts with the report's header
		// is the report itself, never a damaged base64 text.
		if !strings.HasPrefix(*doc.Content, colUser+","+colARN+",") {
			return nil, fail("Content", fmt.Errorf("not valid base64 (%v), nor the report's CSV text (which starts with %q)", err, colUser+","+colARN+","))
		}
		csvData, format = []byte(*doc.Content), FormatSDKJSON
	}
	rep := &CredentialReport{Name: name, Format: format, CSV: csvData}
	if t, present, err := jsonTime(doc.GeneratedTime); err != nil {
		return nil, fail("GeneratedTime", err)
	} else if present {
		rep.GeneratedAt = t
	}
	if err := parseCredentialReportCSV(rep, "Content", csvData); err != nil {
		return nil, err
	}
	return rep, nil
}

// parseCredentialReportCSV parses the CSV into rep.Users and rep.AccountID.
// part names where the CSV sits in the file ("" for a plain CSV file).
func parseCredentialReportCSV(rep *CredentialReport, part string, data []byte) error {
	fail := func(line int, field string, err error) error {
		return &InputError{File: rep.Name, Part: part, Line: line, Field: field, Err: err, Fix: fixCredentialReport}
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	header, err := r.Read()
	if err == io.EOF {
		return fail(0, "", errors.New("no header row: the report is empty"))
	}
	if err != nil {
		return csvError(rep.Name, part, err)
	}
	col, err := credentialReportHeader(header)
	if err != nil {
		headerLine, _ := r.FieldPos(0)
		return fail(headerLine, "", err)
	}
	r.FieldsPerRecord = len(header)
	rep.MissingColumns = nil
	for _, c := range CredentialReportColumns {
		if _, ok := col[c]; !ok {
			rep.MissingColumns = append(rep.MissingColumns, c)
		}
	}

	rep.Users = nil
	rep.NotBefore = time.Time{}
	accountLine := 0
	seenARN := map[string]int{}
	seenName := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(rep.Name, part, err)
		}
		line, _ := r.FieldPos(0)
		row := reportRow{rec: rec, col: col, line: line, fail: fail, latest: &rep.NotBefore}
		u, err := row.user()
		if err != nil {
			return err
		}
		u.InputGaps = append(u.InputGaps, row.columnGaps(rep.Name, &u)...)
		if accountLine == 0 {
			rep.AccountID, accountLine = u.AccountID, line
		} else if u.AccountID != rep.AccountID {
			return fail(line, "column "+colARN, fmt.Errorf(
				"account %s differs from account %s on line %d: a credential report covers one account", u.AccountID, rep.AccountID, accountLine))
		}
		if prev, ok := seenARN[u.ARN]; ok {
			return fail(line, "column "+colARN, fmt.Errorf("%s appears again (first on line %d)", u.ARN, prev))
		}
		// IAM user names are unique regardless of case.
		key := strings.ToLower(u.UserName)
		if prev, ok := seenName[key]; ok {
			return fail(line, "column "+colUser, fmt.Errorf("user %q appears again (first on line %d)", u.UserName, prev))
		}
		seenARN[u.ARN], seenName[key] = line, line
		u.Source = rep.Name
		u.ReportGeneratedAt = rep.GeneratedAt
		rep.Users = append(rep.Users, u)
	}
	if len(rep.Users) == 0 {
		return fail(0, "", errors.New("the report has a header but no rows (every report has at least the root row), so its account is unknown"))
	}
	return nil
}

// credentialReportHeader maps column names to positions and checks that the
// required ones are there.
func credentialReportHeader(header []string) (map[string]int, error) {
	col := make(map[string]int, len(header))
	known := 0
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("column %q appears twice in the header", h)
		}
		col[h] = i
		for _, k := range CredentialReportColumns {
			if h == k {
				known++
			}
		}
	}
	_, hasUser := col[colUser]
	_, hasARN := col[colARN]
	if (!hasUser && !hasARN) || known < 2 {
		// Not even the first columns line up: some other CSV was given.
		return nil, fmt.Errorf("wrong header: this is not an IAM credential report (header %q; want %s)",
			truncateText(strings.Join(header, ","), 120), strings.Join(CredentialReportColumns, ","))
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("wrong header: required column(s) %s missing", strings.Join(missing, ", "))
	}
	return col, nil
}

// reportRow reads one CSV record by column name.
type reportRow struct {
	rec  []string
	col  map[string]int
	line int
	fail func(line int, field string, err error) error
	// latest is raised to every date the row holds, for the report's NotBefore.
	latest *time.Time
}

func (r reportRow) has(name string) bool {
	_, ok := r.col[name]
	return ok
}

// columnGaps names, for user u read from this row, the evidence the
// report's missing columns leave unknown. Only columns a decision reads are
// named: a key's last use and creation (an unused key is a candidate);
// region, service, certificates and password rotation decide nothing.
func (r reportRow) columnGaps(file string, u *tables.User) []string {
	var gaps []string
	missing := func(col, what string) {
		gaps = append(gaps, fmt.Sprintf("credential report %s has no column %s: %s not assessed", file, col, what))
	}
	keys := [2]struct {
		active                  bool
		rotated                 time.Time
		lastUsedCol, rotatedCol string
	}{
		{u.Key1Active, u.Key1LastRotated, colKey1LastUsedDate, colKey1LastRotated},
		{u.Key2Active, u.Key2LastRotated, colKey2LastUsedDate, colKey2LastRotated},
	}
	for i, k := range keys {
		n := i + 1
		// An inactive key with no rotation date is no key at all; without
		// the rotation column, an inactive key may still exist.
		exists := k.active || !k.rotated.IsZero() || !r.has(k.rotatedCol)
		if !r.has(k.lastUsedCol) && exists {
			missing(k.lastUsedCol, fmt.Sprintf("access key %d last use", n))
		}
		if !r.has(k.rotatedCol) && k.active {
			missing(k.rotatedCol, fmt.Sprintf("access key %d creation date", n))
		}
	}
	return gaps
}

// get returns a column's value; a column absent from an older report reads
// as N/A, which columnGaps reports as unknown where a decision reads it.
func (r reportRow) get(name string) string {
	i, ok := r.col[name]
	if !ok {
		return valNA
	}
	return strings.TrimSpace(r.rec[i])
}

func (r reportRow) err(name string, format string, args ...any) error {
	return r.fail(r.line, "column "+name, fmt.Errorf(format, args...))
}

func (r reportRow) boolean(name string, allowNotSupported bool) (bool, error) {
	v := r.get(name)
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	case allowNotSupported && v == valNotSupported:
		return false, nil
	}
	return false, r.err(name, "%q is not a boolean (want TRUE or FALSE)", v)
}

// date reads a date column; N/A, no_information and not_supported mean no date.
func (r reportRow) date(name string) (time.Time, error) {
	v := r.get(name)
	switch v {
	case valNA, valNoInformation, valNotSupported:
		return time.Time{}, nil
	}
	return r.mustDate(name, v)
}

func (r reportRow) mustDate(name, v string) (time.Time, error) {
	t, err := parseTimestamp(v)
	if err != nil {
		return time.Time{}, r.err(name, "unparsable date %q (%s)", v, timestampHint(err, "2017-06-10T02:35:07+00:00"))
	}
	// password_next_rotation is a deadline, not something that happened.
	if r.latest != nil && name != colPasswordNextRotate && t.After(*r.latest) {
		*r.latest = t
	}
	return t, nil
}

// text reads a free-text column; the special values mean empty.
func (r reportRow) text(name string) string {
	switch v := r.get(name); v {
	case valNA, valNoInformation, valNotSupported:
		return ""
	default:
		return v
	}
}

func (r reportRow) user() (tables.User, error) {
	var u tables.User
	u.UserName = r.get(colUser)
	u.ARN = r.get(colARN)
	u.InCredentialReport = true
	if u.UserName == "" {
		return u, r.err(colUser, "empty user name")
	}
	arn, err := parseIAMARN(u.ARN, false)
	if err != nil {
		return u, r.err(colARN, "%v", err)
	}
	u.AccountID = arn.Account
	switch {
	case u.UserName == tables.RootUserName:
		if arn.Type != "root" {
			return u, r.err(colARN, "%s row has ARN %s, want arn:%s:iam::%s:root", tables.RootUserName, u.ARN, arn.Partition, arn.Account)
		}
		u.IsRoot = true
	case arn.Type != "user":
		return u, r.err(colARN, "ARN %s is not a user ARN", u.ARN)
	case arn.Name != u.UserName:
		return u, r.err(colARN, "ARN %s names user %q but column %s says %q", u.ARN, arn.Name, colUser, u.UserName)
	default:
		u.Path = arn.Path
	}

	if u.CreateDate, err = r.mustDate(colUserCreationTime, r.get(colUserCreationTime)); err != nil {
		return u, err
	}
	if u.PasswordEnabled, err = r.boolean(colPasswordEnabled, true); err != nil {
		return u, err
	}
	switch v := r.get(colPasswordLastUsed); v {
	case valNA:
		u.PasswordState = tables.PasswordNA
	case valNotSupported:
		// Root, or an exporter (moto) writing it for a user without password.
		u.PasswordState = tables.PasswordNotSupported
	case valNoInformation:
		if u.CreateDate.Before(PasswordTrackingStart) {
			u.PasswordState = tables.PasswordNoInformation
		} else {
			u.PasswordState = tables.PasswordNever
		}
	default:
		if u.PasswordLastUsed, err = r.mustDate(colPasswordLastUsed, v); err != nil {
			return u, err
		}
		u.PasswordState = tables.PasswordUsed
	}
	if u.PasswordLastChanged, err = r.date(colPasswordLastChanged); err != nil {
		return u, err
	}
	// Not kept, but a broken value here means a broken row.
	if _, err = r.date(colPasswordNextRotate); err != nil {
		return u, err
	}
	if u.MFAActive, err = r.boolean(colMFAActive, false); err != nil {
		return u, err
	}

	if u.Key1Active, err = r.boolean(colKey1Active, false); err != nil {
		return u, err
	}
	if u.Key1LastRotated, err = r.date(colKey1LastRotated); err != nil {
		return u, err
	}
	if u.Key1LastUsed, err = r.date(colKey1LastUsedDate); err != nil {
		return u, err
	}
	u.Key1LastUsedRegion = r.text(colKey1LastUsedRegion)
	u.Key1LastUsedService = r.text(colKey1LastUsedService)

	if u.Key2Active, err = r.boolean(colKey2Active, false); err != nil {
		return u, err
	}
	if u.Key2LastRotated, err = r.date(colKey2LastRotated); err != nil {
		return u, err
	}
	if u.Key2LastUsed, err = r.date(colKey2LastUsedDate); err != nil {
		return u, err
	}
	u.Key2LastUsedRegion = r.text(colKey2LastUsedRegion)
	u.Key2LastUsedService = r.text(colKey2LastUsedService)

	if _, ok := r.col[colCert1Active]; ok {
		if u.Cert1Active, err = r.boolean(colCert1Active, false); err != nil {
			return u, err
		}
	}
	if _, ok := r.col[colCert2Active]; ok {
		if u.Cert2Active, err = r.boolean(colCert2Active, false); err != nil {
			return u, err
		}
	}
	if _, err = r.date(colCert1LastRotated); err != nil {
		return u, err
	}
	if _, err = r.date(colCert2LastRotated); err != nil {
		return u, err
	}
	return u, nil
}

// csvError turns an encoding/csv error into an InputError naming the line.
func csvError(file, part string, err error) error {
	ie := &InputError{File: file, Part: part, Err: err, Fix: fixCredentialReport}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		ie.Line = pe.Line
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			ie.Line = pe.StartLine
			ie.Err = errors.New("the row has a different number of fields than the header: the file is truncated or was edited")
		case errors.Is(pe.Err, csv.ErrQuote):
			ie.Line = pe.StartLine
			ie.Err = fmt.Errorf("a quoted field starting on this line is never closed (line %d, column %d): the file is truncated or was edited", pe.Line, pe.Column)
		case errors.Is(pe.Err, csv.ErrBareQuote):
			ie.Err = fmt.Errorf("a stray quote in an unquoted field (column %d): the file was edited", pe.Column)
		default:
			ie.Err = pe.Err
		}
	}
	return ie
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}
