package inventory

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

const detailsFixture = "authorization-details-111111111111.json"

func TestParseAuthorizationDetailsCLIFixture(t *testing.T) {
	d, err := ParseAuthorizationDetails(detailsFixture, readFixture(t, detailsFixture))
	if err != nil {
		t.Fatal(err)
	}
	if d.AccountID != "111111111111" || d.IsTruncated || len(d.Users) != 7 || len(d.Groups) != 2 || len(d.Roles) != 3 || len(d.Policies) != 3 {
		t.Fatalf("account %q truncated %v: %d users, %d groups, %d roles, %d policies",
			d.AccountID, d.IsTruncated, len(d.Users), len(d.Groups), len(d.Roles), len(d.Policies))
	}
	alice := d.Users[0]
	if alice.UserId != "AIDAUJZDEGXDNCF32EPF3" || alice.Path != "/" || !alice.CreateDate.Equal(ts("2019-02-11T10:03:27Z")) ||
		!reflect.DeepEqual(alice.GroupList, []string{"Admins"}) ||
		!reflect.DeepEqual(alice.Tags, []tables.Tag{{Key: "team", Value: "platform"}, {Key: "cost-center", Value: "cc-1024"}}) ||
		len(alice.UserPolicyList) != 1 || alice.UserPolicyList[0].PolicyName != "AllowManageOwnMFA" ||
		!strings.HasPrefix(alice.UserPolicyList[0].PolicyDocument, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`) {
		t.Errorf("alice = %+v", alice)
	}
	carol := d.Users[2]
	if carol.PermissionsBoundary == nil || *carol.PermissionsBoundary != (AttachedPermissionsBoundary{
		PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: "arn:aws:iam::111111111111:policy/boundaries/DeveloperBoundary"}) {
		t.Errorf("carol's boundary = %+v", carol.PermissionsBoundary)
	}
	ci := d.Users[3]
	if ci.Path != "/automation/" || !ci.CreateDate.Equal(ts("2021-08-09T13:45:50Z")) || len(ci.AttachedManagedPolicies) != 1 ||
		ci.AttachedManagedPolicies[0].PolicyArn != "arn:aws:iam::111111111111:policy/ReadOnlyReports" {
		t.Errorf("ci-deployer = %+v", ci)
	}
	deploy := d.Roles[0]
	if deploy.AssumeRolePolicyDocument != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/automation/ci-deployer"},"Action":"sts:AssumeRole"}]}` {
		t.Errorf("deploy trust policy = %s", deploy.AssumeRolePolicyDocument)
	}
	if deploy.RoleLastUsed == nil || !deploy.RoleLastUsed.LastUsedDate.Equal(ts("2026-10-31T03:05:12Z")) || deploy.RoleLastUsed.Region != "eu-west-1" {
		t.Errorf("deploy RoleLastUsed = %+v", deploy.RoleLastUsed)
	}
	if lu := d.Roles[1].RoleLastUsed; lu == nil || !lu.LastUsedDate.IsZero() {
		t.Errorf("empty RoleLastUsed = %+v", lu)
	}
	if d.Roles[2].PermissionsBoundary == nil {
		t.Errorf("app-server role lost its boundary")
	}
	rr := d.Policies[0]
	if rr.AWSManaged() || rr.DefaultVersionId != "v2" || len(rr.PolicyVersionList) != 2 || rr.AttachmentCount != 3 {
		t.Fatalf("ReadOnlyReports = %+v", rr)
	}
	// v1 is URL-encoded in the fixture (pretty-printed before encoding); it
	// must decode to the same compact form as an object would.
	v1 := rr.PolicyVersionList[1]
	wantV1 := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadReports","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::example-reports-111111111111","arn:aws:s3:::example-reports-111111111111/*"]}]}`
	if v1.VersionId != "v1" || v1.IsDefaultVersion || v1.Document != wantV1 {
		t.Errorf("v1 = %+v\nwant document %s", v1, wantV1)
	}
	if !d.Policies[2].AWSManaged() || d.Policies[1].AWSManaged() {
		t.Errorf("AWSManaged wrong: %v %v", d.Policies[1].AWSManaged(), d.Policies[2].AWSManaged())
	}
}

// A raw Query API page (XML, URL-encoded documents) and the same page as JSON
// (the SDK's output marshalled) must give the same result.
func TestParseAuthorizationDetailsXMLMatchesJSON(t *testing.T) {
	const base = "authorization-details-222222222222-page-1"
	fromJSON, err := ParseAuthorizationDetails(base+".json", readFixture(t, base+".json"))
	if err != nil {
		t.Fatal(err)
	}
	fromXML, err := ParseAuthorizationDetails(base+".xml", readFixture(t, base+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	fromXML.Name = fromJSON.Name
	// The SDK's JSON holds "Policies": null, the XML page no <Policies> at
	// all: only the XML page lacks the list (merged pages lack a list only
	// if every page does).
	if len(fromJSON.MissingLists) != 0 || !slices.Equal(fromXML.MissingLists, []string{"Policies"}) {
		t.Errorf("missing lists: JSON %v, XML %v; want none and [Policies]", fromJSON.MissingLists, fromXML.MissingLists)
	}
	fromXML.MissingLists = nil
	if !reflect.DeepEqual(fromJSON, fromXML) {
		j, _ := json.MarshalIndent(fromJSON, "", " ")
		x, _ := json.MarshalIndent(fromXML, "", " ")
		t.Errorf("XML and JSON differ:\nJSON %s\nXML %s", j, x)
	}
	if !fromJSON.IsTruncated || fromJSON.Marker == "" || len(fromJSON.Users) != 2 || len(fromJSON.Roles) != 1 {
		t.Errorf("page 1: truncated %v marker %q, %d users %d roles", fromJSON.IsTruncated, fromJSON.Marker, len(fromJSON.Users), len(fromJSON.Roles))
	}
	// '+' inside the encoded trust policy was %2B: it must stay a plus.
	if want := `"sts:ExternalId":"a+b=c/d"`; !strings.Contains(fromJSON.Roles[0].AssumeRolePolicyDocument, want) {
		t.Errorf("trust policy %s lacks %s", fromJSON.Roles[0].AssumeRolePolicyDocument, want)
	}
}

func TestDecodePolicyDocument(t *testing.T) {
	tests := []struct {
		name, raw, want, wantErr string
	}{
		{name: "object", raw: `{ "Version": "2012-10-17", "Statement": [] }`, want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "URL-encoded", raw: `"%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D"`, want: `{"Version":"2012-10-17","Statement":[]}`},
		{name: "URL-encoded with newlines", raw: `"%7B%0A%20%20%22Statement%22%3A%20%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%0A%7D"`,
			want: `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`},
		{name: "form-encoded spaces", raw: `"%7B%22Sid%22%3A%22two+words%22%7D"`, want: `{"Sid":"two words"}`},
		{name: "encoded plus", raw: `"%7B%22ExternalId%22%3A%22a%2Bb%22%7D"`, want: `{"ExternalId":"a+b"}`},
		{name: "plain JSON in a string", raw: `"{\"Version\": \"2012-10-17\", \"Condition\": \"100%\"}"`, want: `{"Version":"2012-10-17","Condition":"100%"}`},
		{name: "unicode", raw: `"%7B%22Sid%22%3A%22caf%C3%A9%22%7D"`, want: `{"Sid":"café"}`},
		{name: "bad escape", raw: `"%7B%22Sid%22%3A%22%zz%22%7D"`, wantErr: "URL-decoding"},
		{name: "encoded but not JSON", raw: `"hello%20world"`, wantErr: "is not a JSON object"},
		{name: "encoded invalid JSON", raw: `"%7B%22Sid%22%3A%7D"`, wantErr: "is not valid JSON"},
		{name: "number", raw: `42`, wantErr: "must be a JSON object or a URL-encoded string"},
		{name: "array", raw: `[1]`, wantErr: "must be a JSON object or a URL-encoded string"},
		{name: "broken object", raw: `{"Version": }`, wantErr: "is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePolicyDocument(json.RawMessage(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestCreateDateForms(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{`"2013-10-14T18:32:25Z"`, "2013-10-14T18:32:25Z"},
		{`"2013-10-14T18:32:25+00:00"`, "2013-10-14T18:32:25Z"},
		{`"2013-10-14T20:32:25+02:00"`, "2013-10-14T18:32:25Z"},
		{`"2013-10-14T18:32:25.123456+00:00"`, "2013-10-14T18:32:25.123456Z"},
		{`"2013-10-14T18:32:25.5Z"`, "2013-10-14T18:32:25.5Z"},
		{`"2013-10-14 18:32:25+00:00"`, "2013-10-14T18:32:25Z"},
		{`" 2013-10-14T18:32:25Z\n"`, "2013-10-14T18:32:25Z"},
		{`1381775545`, "2013-10-14T18:32:25Z"},
		{`1381775545.25`, "2013-10-14T18:32:25.25Z"},
	} {
		doc := `{"UserDetailList":[{"UserName":"bob","UserId":"AIDADHODZDOCIS2JHTLGM","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":` + tt.raw + `}]}`
		d, err := ParseAuthorizationDetails("a.json", []byte(doc))
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if got := d.Users[0].CreateDate; !got.Equal(ts(tt.want)) || got.Location().String() != "UTC" {
			t.Errorf("%s: got %v, want %s", tt.raw, got, tt.want)
		}
	}
}

func TestParseAuthorizationDetailsErrors(t *testing.T) {
	const uid = "AIDADHODZDOCIS2JHTLGM"
	user := func(name, arn, extra string) string {
		return `{"UserName":"` + name + `","UserId":"` + uid + `","Arn":"` + arn + `","CreateDate":"2020-01-01T00:00:00Z"` + extra + `}`
	}
	bob := user("bob", "arn:aws:iam::111111111111:user/bob", "")
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"bad ARN account", `{"UserDetailList":[` + bob + `,` + bob + `,` + bob + `,` + user("eve", "arn:aws:iam::1111111111:user/eve", "") + `]}`,
			[]string{"a.json: UserDetailList[3].Arn: ", `account "1111111111" is not a 12-digit account ID`, "get-account-authorization-details"}},
		{"another account", `{"UserDetailList":[` + bob + `],"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::222222222222:role/r"}]}`,
			[]string{"a.json: RoleDetailList[0].Arn: account 222222222222 differs from account 111111111111 at UserDetailList[0].Arn"}},
		{"missing ARN", `{"UserDetailList":[{"UserName":"bob","UserId":"` + uid + `"}]}`,
			[]string{"a.json: UserDetailList[0].Arn: missing"}},
		{"missing UserId", `{"UserDetailList":[{"UserName":"bob","Arn":"arn:aws:iam::111111111111:user/bob"}]}`,
			[]string{"a.json: UserDetailList[0].UserId: missing"}},
		{"missing UserName", `{"UserDetailList":[` + user("", "arn:aws:iam::111111111111:user/bob", "") + `]}`,
			[]string{"a.json: UserDetailList[0].UserName: missing"}},
		{"name differs from ARN", `{"UserDetailList":[` + user("bobby", "arn:aws:iam::111111111111:user/bob", "") + `]}`,
			[]string{"a.json: UserDetailList[0].Arn: ARN names \"bob\" but UserName is \"bobby\""}},
		{"path differs from ARN", `{"UserDetailList":[` + user("bob", "arn:aws:iam::111111111111:user/x/bob", `,"Path":"/y/"`) + `]}`,
			[]string{"a.json: UserDetailList[0].Path: path \"/y/\" differs from the ARN's path \"/x/\""}},
		{"role ARN in user list", `{"UserDetailList":[` + user("bob", "arn:aws:iam::111111111111:role/bob", "") + `]}`,
			[]string{"a.json: UserDetailList[0].Arn: ARN arn:aws:iam::111111111111:role/bob is not a user ARN"}},
		{"AWS account on a user", `{"UserDetailList":[` + user("bob", "arn:aws:iam::aws:user/bob", "") + `]}`,
			[]string{"UserDetailList[0].Arn", "not a 12-digit account ID"}},
		{"bad CreateDate", `{"UserDetailList":[{"UserName":"bob","UserId":"` + uid + `","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":"14/10/2013"}]}`,
			[]string{"a.json: UserDetailList[0].CreateDate: unparsable timestamp \"14/10/2013\""}},
		{"CreateDate without offset", `{"UserDetailList":[{"UserName":"bob","UserId":"` + uid + `","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":"2013-10-14T18:32:25"}]}`,
			[]string{"UserDetailList[0].CreateDate", "no time zone offset"}},
		{"CreateDate object", `{"UserDetailList":[{"UserName":"bob","UserId":"` + uid + `","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":{}}]}`,
			[]string{"UserDetailList[0].CreateDate: {} is not a timestamp"}},
		{"bad inline document", `{"UserDetailList":[` + user("bob", "arn:aws:iam::111111111111:user/bob", `,"UserPolicyList":[{"PolicyName":"p","PolicyDocument":"%7B%ZZ"}]`) + `]}`,
			[]string{"a.json: UserDetailList[0].UserPolicyList[0].PolicyDocument: URL-decoding"}},
		{"inline without name", `{"GroupDetailList":[{"GroupName":"g","Arn":"arn:aws:iam::111111111111:group/g","GroupPolicyList":[{"PolicyDocument":{}}]}]}`,
			[]string{"a.json: GroupDetailList[0].GroupPolicyList[0].PolicyName: missing"}},
		{"bad trust policy", `{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::111111111111:role/r","AssumeRolePolicyDocument":"not%20json"}]}`,
			[]string{"a.json: RoleDetailList[0].AssumeRolePolicyDocument: the URL-decoded policy document is not a JSON object"}},
		{"bad managed version", `{"Policies":[{"PolicyName":"p","Arn":"arn:aws:iam::111111111111:policy/p","PolicyVersionList":[{"VersionId":"v2","Document":{}},{"VersionId":"v1","Document":"%7B"}]}]}`,
			[]string{"a.json: Policies[0].PolicyVersionList[1].Document: the URL-decoded policy document is not valid JSON"}},
		{"version without id", `{"Policies":[{"PolicyName":"p","Arn":"arn:aws:iam::111111111111:policy/p","PolicyVersionList":[{"Document":{}}]}]}`,
			[]string{"a.json: Policies[0].PolicyVersionList[0].VersionId: missing"}},
		{"bad attached ARN", `{"UserDetailList":[` + user("bob", "arn:aws:iam::111111111111:user/bob", `,"AttachedManagedPolicies":[{"PolicyName":"p","PolicyArn":"arn:aws:s3:::bucket"}]`) + `]}`,
			[]string{"a.json: UserDetailList[0].AttachedManagedPolicies[0].PolicyArn: ", "not an IAM ARN"}},
		{"bad boundary ARN", `{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::111111111111:role/r","PermissionsBoundary":{"PermissionsBoundaryType":"PermissionsBoundaryPolicy","PermissionsBoundaryArn":"arn:aws:iam::111111111111:role/x"}}]}`,
			[]string{"a.json: RoleDetailList[0].PermissionsBoundary.PermissionsBoundaryArn: ", "not a policy ARN"}},
		{"wrong type", "{\n  \"UserDetailList\": [\n    {\"UserName\": 7}\n  ]\n}",
			[]string{"a.json: line 3, column 18, UserDetailList.UserName: found number, want a string"}},
		{"list not an array", `{"UserDetailList": {}}`,
			[]string{"UserDetailList: found object, want an array"}},
		{"truncated", "{\n  \"UserDetailList\": [\n    {\"UserName\": \"bo",
			[]string{"a.json: line 3, column", "truncated"}},
		{"syntax error", "{\n  \"UserDetailList\": [,]\n}",
			[]string{"a.json: line 2, column 22: not valid JSON"}},
		{"line numbers count leading blank lines", "\n\n{\"UserDetailList\": [,]}",
			[]string{"a.json: line 3, column 21: not valid JSON"}},
		{"epoch zero", `{"UserDetailList":[{"UserName":"bob","UserId":"` + uid + `","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":0}]}`,
			[]string{"UserDetailList[0].CreateDate", "before 2000"}},
		{"top-level array", `[{"UserDetailList": []}]`,
			[]string{"a.json: the document is an array, want the JSON object"}},
		{"empty", "", []string{"a.json: the file is empty"}},
		{"not JSON", "UserName,Arn\n", []string{"a.json: not JSON"}},
		{"no lists", `{"Users": []}`, []string{"a.json: none of UserDetailList", "not an authorization details export"}},
		{"credential report given", `{"Content": "dXNlcg==", "ReportFormat": "text/csv"}`,
			[]string{"a.json: this is a credential report", "--credential-report"}},
		{"XML error response", `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></ErrorResponse>`,
			[]string{"a.json: this is an AWS error response", "AccessDenied: User is not authorized"}},
		{"XML other response", `<ListUsersResponse><ListUsersResult/></ListUsersResponse>`,
			[]string{"root element <ListUsersResponse>"}},
		{"XML truncated", "<GetAccountAuthorizationDetailsResponse>\n<GetAccountAuthorizationDetailsResult>\n<UserDetailList>",
			[]string{"a.json: line 3: not valid XML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseAuthorizationDetails("a.json", []byte(tt.data))
			if d != nil {
				t.Errorf("got details along with the error")
			}
			checkInputError(t, err, tt.want...)
			if err != nil && !strings.HasPrefix(err.Error(), "parsing authorization details: ") {
				t.Errorf("error %q lacks the gerund prefix", err)
			}
		})
	}
}

func TestParseAuthorizationDetailsAccepts(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		check func(d *AuthorizationDetails) bool
	}{
		{"empty lists", `{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[],"Policies":[]}`,
			func(d *AuthorizationDetails) bool { return d.AccountID == "" && len(d.Users) == 0 }},
		{"only AWS-managed policies", `{"Policies":[{"PolicyName":"ReadOnlyAccess","Arn":"arn:aws:iam::aws:policy/ReadOnlyAccess","PolicyVersionList":[{"VersionId":"v1","Document":{"Statement":[]}}]}]}`,
			func(d *AuthorizationDetails) bool {
				return d.AccountID == "" && len(d.Policies) == 1 && d.Policies[0].AWSManaged()
			}},
		{"CLI NextToken means truncated", `{"UserDetailList":[],"NextToken":"eyJNYXJrZXIiOiBudWxsfQ=="}`,
			func(d *AuthorizationDetails) bool { return d.IsTruncated }},
		{"null fields", `{"UserDetailList":[{"UserName":"bob","UserId":"AIDADHODZDOCIS2JHTLGM","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":null,"Tags":null,"PermissionsBoundary":null,"GroupList":null}],"Marker":null}`,
			func(d *AuthorizationDetails) bool {
				u := d.Users[0]
				return u.CreateDate.IsZero() && u.Tags == nil && u.PermissionsBoundary == nil && u.Path == "/"
			}},
		{"unknown fields ignored", `{"UserDetailList":[],"ResultMetadata":{},"SomethingNew":[1,2]}`,
			func(d *AuthorizationDetails) bool { return !d.IsTruncated }},
		{"byte order mark", "\xEF\xBB\xBF" + `{"UserDetailList":[]}`,
			func(d *AuthorizationDetails) bool { return d != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseAuthorizationDetails("a.json", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(d) {
				t.Errorf("unexpected %+v", d)
			}
		})
	}
}

func loadPages(t *testing.T, names ...string) []*AuthorizationDetails {
	t.Helper()
	var out []*AuthorizationDetails
	for _, n := range names {
		d, err := ParseAuthorizationDetails(n, readFixture(t, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestMergeAuthorizationDetails(t *testing.T) {
	const p1, p2 = "authorization-details-222222222222-page-1.json", "authorization-details-222222222222-page-2.json"
	pages := loadPages(t, p1, p2)
	for _, order := range [][]*AuthorizationDetails{{pages[0], pages[1]}, {pages[1], pages[0]}, {pages[0], nil, pages[1]}} {
		m, err := MergeAuthorizationDetails(order...)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range m.Users {
			names = append(names, u.UserName)
		}
		// heidi is on both pages: kept once.
		if m.AccountID != "222222222222" || m.IsTruncated || m.Marker != "" || len(m.Users) != 3 || len(m.Groups) != 1 || len(m.Roles) != 1 || len(m.Policies) != 2 {
			t.Errorf("merged: account %q truncated %v marker %q users %v, %d groups %d roles %d policies",
				m.AccountID, m.IsTruncated, m.Marker, names, len(m.Groups), len(m.Roles), len(m.Policies))
		}
		if !strings.Contains(m.Name, p1) || !strings.Contains(m.Name, p2) {
			t.Errorf("merged name %q", m.Name)
		}
	}
	only1, err := MergeAuthorizationDetails(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	if !only1.IsTruncated || only1.Marker != pages[0].Marker {
		t.Errorf("first page alone: truncated %v marker %q", only1.IsTruncated, only1.Marker)
	}
	empty, err := MergeAuthorizationDetails()
	if err != nil || empty.IsTruncated || len(empty.Users) != 0 {
		t.Errorf("no pages: %+v, %v", empty, err)
	}
	other := loadPages(t, detailsFixture)[0]
	_, err = MergeAuthorizationDetails(pages[0], other)
	if err == nil || !strings.Contains(err.Error(), p1) || !strings.Contains(err.Error(), detailsFixture) ||
		!strings.Contains(err.Error(), "222222222222") || !strings.Contains(err.Error(), "111111111111") {
		t.Errorf("merging two accounts: %v", err)
	}
}

// TestMergeAuthorizationDetailsDisagree: the pages of one export never
// describe an entity twice, so two copies that differ are two exports (taken
// at different times, or one edited). Keeping the last one silently let an
// export without a user's exemption tag, given after the one with it, turn
// an exempt user into a removal candidate; such a merge is refused naming
// both files and the entity, whatever their order.
func TestMergeAuthorizationDetailsDisagree(t *testing.T) {
	const p1 = "authorization-details-222222222222-page-1.json"
	edits := map[string]func(d *AuthorizationDetails){
		"user tags": func(d *AuthorizationDetails) {
			d.Users[0].Tags = append(slices.Clone(d.Users[0].Tags), tables.Tag{Key: "dormant:exempt", Value: "true"})
		},
		"role trust policy": func(d *AuthorizationDetails) {
			d.Roles[0].AssumeRolePolicyDocument = `{"Version":"2012-10-17","Statement":[]}`
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			a := loadPages(t, p1)[0]
			b := loadPages(t, p1)[0]
			b.Name = "authorization-details-222222222222-later.json"
			edit(b)
			for _, order := range [][]*AuthorizationDetails{{a, b}, {b, a}} {
				_, err := MergeAuthorizationDetails(order...)
				if err == nil || !strings.Contains(err.Error(), p1) || !strings.Contains(err.Error(), b.Name) || !strings.Contains(err.Error(), "arn:aws:iam::222222222222:") {
					t.Errorf("merging two exports that disagree: %v; want refused naming both files and the entity", err)
				}
			}
		})
	}
	// The same export given twice is still one export.
	a := loadPages(t, p1)[0]
	if _, err := MergeAuthorizationDetails(a, loadPages(t, p1)[0]); err != nil {
		t.Errorf("the same export twice: %v", err)
	}
}
