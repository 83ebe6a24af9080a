package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

const ocsfSchemaDir = "testdata/ocsf-schema-1.8.0"

// ocsfAttr is one attribute as a class or object defines it, merged with
// the dictionary: what the validator checks.
type ocsfAttr struct {
	Requirement string
	Type        string
	IsArray     bool
	Enum        map[string]string // value -> caption
	Sibling     string
	Profile     string // set when the attribute comes from a profile
	Deprecated  bool
}

type ocsfDef struct {
	Attrs      map[string]*ocsfAttr
	AtLeastOne []string
	JustOne    []string
}

// ocsfSchema reads the schema files kept in testdata: the dictionary, the
// class chain and every object the validator meets.
type ocsfSchema struct {
	t       *testing.T
	dict    map[string]map[string]any
	types   map[string]string // type -> base type
	objects map[string]*ocsfDef
}

func readJSONFile(t *testing.T, rel string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ocsfSchemaDir, rel))
	if err != nil {
		t.Fatalf("reading OCSF schema file (copy it from ocsf/ocsf-schema v1.8.0, see PROVENANCE.md): %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding %s: %v", rel, err)
	}
	return m
}

func loadOCSFSchema(t *testing.T) *ocsfSchema {
	d := readJSONFile(t, "dictionary.json")
	s := &ocsfSchema{t: t, dict: map[string]map[string]any{}, types: map[string]string{}, objects: map[string]*ocsfDef{}}
	for k, v := range d["attributes"].(map[string]any) {
		s.dict[k] = v.(map[string]any)
	}
	for k, v := range d["types"].(map[string]any)["attributes"].(map[string]any) {
		base, _ := v.(map[string]any)["type"].(string)
		s.types[k] = base
	}
	return s
}

func enumOf(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, e := range m {
		out[k], _ = e.(map[string]any)["caption"].(string)
	}
	return out
}

// merge lays the raw attribute definitions of one file over def, as the
// OCSF server compiles a class: a child's keys override its parent's,
// enums merge, "profile": null lifts a profile's restriction.
func (s *ocsfSchema) merge(def *ocsfDef, raw map[string]any, profile string) {
	attrs, _ := raw["attributes"].(map[string]any)
	for name, v := range attrs {
		if name == "$include" {
			for _, inc := range v.([]any) {
				p := readJSONFile(s.t, inc.(string))
				s.merge(def, p, p["name"].(string))
			}
			continue
		}
		local := v.(map[string]any)
		a, ok := def.Attrs[name]
		if !ok {
			a = &ocsfAttr{Enum: map[string]string{}, Profile: profile}
			if dv, ok := s.dict[name]; ok {
				a.Type, _ = dv["type"].(string)
				a.IsArray, _ = dv["is_array"].(bool)
				a.Sibling, _ = dv["sibling"].(string)
				maps.Copy(a.Enum, enumOf(dv["enum"]))
				_, a.Deprecated = dv["@deprecated"]
			}
			def.Attrs[name] = a
		}
		if r, ok := local["requirement"].(string); ok {
			a.Requirement = r
		}
		if t, ok := local["type"].(string); ok {
			a.Type = t
		}
		if arr, ok := local["is_array"].(bool); ok {
			a.IsArray = arr
		}
		if sib, ok := local["sibling"].(string); ok {
			a.Sibling = sib
		}
		maps.Copy(a.Enum, enumOf(local["enum"]))
		if _, ok := local["@deprecated"]; ok {
			a.Deprecated = true
		}
		if p, ok := local["profile"]; ok && p == nil {
			a.Profile = ""
		}
	}
	if c, ok := raw["constraints"].(map[string]any); ok {
		// A child's constraints replace its parent's (evidences over _entity).
		def.AtLeastOne, def.JustOne = nil, nil
		al, _ := c["at_least_one"].([]any)
		for _, x := range al {
			def.AtLeastOne = append(def.AtLeastOne, x.(string))
		}
		if j, ok := c["just_one"].([]any); ok {
			for _, x := range j {
				def.JustOne = append(def.JustOne, x.(string))
			}
		}
	}
}

// chain reads a file and its extends chain, root first.
func (s *ocsfSchema) chain(def *ocsfDef, rel string, path func(string) string) {
	raw := readJSONFile(s.t, rel)
	if parent, ok := raw["extends"].(string); ok && parent != "" {
		s.chain(def, path(parent), path)
	}
	s.merge(def, raw, "")
}

func (s *ocsfSchema) class() *ocsfDef {
	def := &ocsfDef{Attrs: map[string]*ocsfAttr{}}
	classFiles := map[string]string{"base_event": "events/base_event.json", "finding": "events/findings/finding.json"}
	s.chain(def, "events/findings/compliance_finding.json", func(n string) string { return classFiles[n] })
	// The server compiles category_uid and class_uid into the class's own
	// category and class (and type_uid into class_uid*100 + activity_id,
	// checked by the caller), replacing the dictionary's placeholder enums.
	raw := readJSONFile(s.t, "events/findings/compliance_finding.json")
	cat := readJSONFile(s.t, "categories.json")["attributes"].(map[string]any)["findings"].(map[string]any)
	catUID := int(cat["uid"].(float64))
	def.Attrs["category_uid"].Enum = map[string]string{strconv.Itoa(catUID): cat["caption"].(string)}
	def.Attrs["class_uid"].Enum = map[string]string{strconv.Itoa(catUID*1000 + int(raw["uid"].(float64))): raw["caption"].(string)}
	return def
}

func (s *ocsfSchema) object(name string) *ocsfDef {
	if d, ok := s.objects[name]; ok {
		return d
	}
	def := &ocsfDef{Attrs: map[string]*ocsfAttr{}}
	s.objects[name] = def
	s.chain(def, "objects/"+name+".json", func(n string) string { return "objects/" + n + ".json" })
	return def
}

// validate checks v against def at path, appending every violation.
func (s *ocsfSchema) validate(v map[string]any, def *ocsfDef, profiles []string, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	applies := func(a *ocsfAttr) bool { return a.Profile == "" || slices.Contains(profiles, a.Profile) }
	for _, name := range slices.Sorted(maps.Keys(def.Attrs)) {
		a := def.Attrs[name]
		if a.Requirement == "required" && applies(a) {
			if x, ok := v[name]; !ok || x == nil {
				fail("required attribute %s is missing", name)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		a, ok := def.Attrs[name]
		switch {
		case !ok:
			fail("attribute %s is not defined here", name)
			continue
		case !applies(a):
			fail("attribute %s belongs to profile %s, not in metadata.profiles %q", name, a.Profile, profiles)
		case a.Deprecated:
			fail("attribute %s is deprecated", name)
		}
		x := v[name]
		if a.IsArray {
			arr, ok := x.([]any)
			if !ok {
				fail("%s is %T, want an array", name, x)
				continue
			}
			for i, e := range arr {
				s.validateValue(e, a, profiles, fmt.Sprintf("%s.%s[%d]", path, name, i), errs)
			}
		} else {
			s.validateValue(x, a, profiles, path+"."+name, errs)
		}
		if len(a.Enum) > 0 && a.Sibling != "" {
			if sib, ok := v[a.Sibling]; ok {
				n, _ := x.(float64)
				key := strconv.Itoa(int(n))
				if key != "99" && sib != a.Enum[key] {
					fail("%s = %v, caption %q, but %s = %v", name, x, a.Enum[key], a.Sibling, sib)
				}
			}
		}
	}
	if len(def.AtLeastOne) > 0 && !slices.ContainsFunc(def.AtLeastOne, func(n string) bool { _, ok := v[n]; return ok }) {
		fail("none of %q is set (at_least_one)", def.AtLeastOne)
	}
	if len(def.JustOne) > 0 {
		n := 0
		for _, k := range def.JustOne {
			if _, ok := v[k]; ok {
				n++
			}
		}
		if n != 1 {
			fail("%d of %q set, want just one", n, def.JustOne)
		}
	}
}

func (s *ocsfSchema) validateValue(x any, a *ocsfAttr, profiles []string, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	t := a.Type
	for {
		base, ok := s.types[t]
		if !ok || base == "" {
			break
		}
		t = base
	}
	switch t {
	case "string_t":
		if _, ok := x.(string); !ok {
			fail("%v is %T, want a string (%s)", x, x, a.Type)
		}
	case "integer_t", "long_t":
		n, ok := x.(float64)
		if !ok || n != math.Trunc(n) {
			fail("%v is %T, want an integer (%s)", x, x, a.Type)
		}
	case "float_t":
		if _, ok := x.(float64); !ok {
			fail("%v is %T, want a number", x, x)
		}
	case "boolean_t":
		if _, ok := x.(bool); !ok {
			fail("%v is %T, want a boolean", x, x)
		}
	case "json_t":
	case "object":
		if _, ok := x.(map[string]any); !ok {
			fail("%v is %T, want an object", x, x)
		}
	case "":
		fail("attribute has no type in the schema")
	default:
		m, ok := x.(map[string]any)
		if !ok {
			fail("%v is %T, want a %s object", x, x, t)
			return
		}
		s.validate(m, s.object(t), profiles, path, errs)
		return
	}
	if len(a.Enum) > 0 {
		n, _ := x.(float64)
		if _, ok := a.Enum[strconv.Itoa(int(n))]; !ok {
			fail("%v is not one of the enum values %v", x, slices.Sorted(maps.Keys(a.Enum)))
		}
	}
}

// ocsfEvents writes the OCSF report for in and decodes it as generic JSON,
// as a consumer would read it.
func ocsfEvents(t *testing.T, in *Input) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := NewOCSFWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatalf("OCSF writer: %v", err)
	}
	var events []map[string]any
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&events); err != nil {
		t.Fatalf("decoding %s as a JSON array: %v\n%s", OCSFPath, err, buf.String())
	}
	return events
}

// TestOCSFValidatesAgainstSchema validates every Compliance Finding against
// the OCSF 1.8.0 schema files kept in testdata.
func TestOCSFValidatesAgainstSchema(t *testing.T) {
	in := sampleInput()
	events := ocsfEvents(t, in)
	want := len(in.Findings)
	for _, f := range in.Findings {
		want += len(f.UnusedKeys)
	}
	if len(events) != want {
		t.Fatalf("%d events, want one per user and per unused key (%d)", len(events), want)
	}
	s := loadOCSFSchema(t)
	class := s.class()
	cats := readJSONFile(t, "categories.json")["attributes"].(map[string]any)
	catUID := cats["findings"].(map[string]any)["uid"].(float64)
	classUID := readJSONFile(t, "events/findings/compliance_finding.json")["uid"].(float64)
	version := readJSONFile(t, "version.json")["version"].(string)
	for i, ev := range events {
		var errs []string
		var profiles []string
		if md, ok := ev["metadata"].(map[string]any); ok {
			for _, p := range md["profiles"].([]any) {
				profiles = append(profiles, p.(string))
			}
			if md["version"] != version {
				errs = append(errs, fmt.Sprintf("metadata.version = %v, want %s", md["version"], version))
			}
		}
		s.validate(ev, class, profiles, fmt.Sprintf("event %d", i), &errs)
		if ev["category_uid"] != catUID || ev["class_uid"] != catUID*1000+classUID || ev["class_uid"] != 2003.0 {
			errs = append(errs, fmt.Sprintf("category_uid %v class_uid %v, want %v and 2003", ev["category_uid"], ev["class_uid"], catUID))
		}
		if ev["type_uid"] != ev["class_uid"].(float64)*100+ev["activity_id"].(float64) {
			errs = append(errs, fmt.Sprintf("type_uid %v is not class_uid*100+activity_id", ev["type_uid"]))
		}
		for _, e := range errs {
			t.Error(e)
		}
	}
}

// TestOCSFValidatorCatchesViolations proves the validator is not vacuous:
// each broken event is rejected.
func TestOCSFValidatorCatchesViolations(t *testing.T) {
	s := loadOCSFSchema(t)
	class := s.class()
	base := ocsfEvents(t, sampleInput())[1]
	for name, breakIt := range map[string]func(ev map[string]any){
		"missing finding_info.uid":   func(ev map[string]any) { delete(ev["finding_info"].(map[string]any), "uid") },
		"missing compliance":         func(ev map[string]any) { delete(ev, "compliance") },
		"missing cloud (profile)":    func(ev map[string]any) { delete(ev, "cloud") },
		"severity_id out of enum":    func(ev map[string]any) { ev["severity_id"] = 42.0 },
		"severity caption mismatch":  func(ev map[string]any) { ev["severity"] = "Critical" },
		"time as a string":           func(ev map[string]any) { ev["time"] = "2026-11-01" },
		"unknown attribute":          func(ev map[string]any) { ev["dormant_decision"] = "delete" },
		"deprecated attribute":       func(ev map[string]any) { ev["compliance"].(map[string]any)["compliance_standards"] = []any{} },
		"compliance status_id wrong": func(ev map[string]any) { ev["compliance"].(map[string]any)["status_id"] = 7.0 },
		"remediation without desc":   func(ev map[string]any) { delete(ev["remediation"].(map[string]any), "desc") },
		"evidence with nothing":      func(ev map[string]any) { ev["evidences"] = []any{map[string]any{"name": "x"}} },
		"has_mfa as text": func(ev map[string]any) {
			ev["evidences"].([]any)[0].(map[string]any)["user"].(map[string]any)["has_mfa"] = "unknown"
		},
	} {
		t.Run(name, func(t *testing.T) {
			var ev map[string]any
			b, _ := json.Marshal(base)
			_ = json.Unmarshal(b, &ev)
			breakIt(ev)
			var errs []string
			s.validate(ev, class, []string{"cloud"}, "event", &errs)
			if len(errs) == 0 {
				t.Errorf("validator accepted an event with %s", name)
			}
		})
	}
}

// TestOCSFContent checks what the findings say: the stable ID, the
// compliance verdict per citation, evidence only where known, and
// remediation by decision.
func TestOCSFContent(t *testing.T) {
	in := sampleInput()
	events := ocsfEvents(t, in)
	byUID := map[string]map[string]any{}
	for _, ev := range events {
		byUID[ev["finding_info"].(map[string]any)["uid"].(string)] = ev
	}
	get := func(uid string) map[string]any {
		ev, ok := byUID[uid]
		if !ok {
			t.Fatalf("no finding %s among %q", uid, slices.Sorted(maps.Keys(byUID)))
		}
		return ev
	}
	bob := get("dormant/111111111111/AIDABOB0000000000002")
	comp := bob["compliance"].(map[string]any)
	if comp["status_id"] != 3.0 || bob["severity_id"] != 3.0 {
		t.Errorf("bob compliance status_id %v severity_id %v, want Fail (3) and Medium (3)", comp["status_id"], bob["severity_id"])
	}
	checks := map[string]float64{}
	for _, c := range comp["checks"].([]any) {
		c := c.(map[string]any)
		checks[c["uid"].(string)], _ = c["status_id"].(float64)
	}
	for _, name := range []string{"PCI DSS v4.0 8.2.6", "CIS AWS Foundations Benchmark v5.0.0 1.11", "AWS Security Hub IAM.8"} {
		if checks[name] != 3 {
			t.Errorf("bob check %s status_id = %v, want Fail (3)", name, checks[name])
		}
	}
	if _, ok := checks["NIST SP 800-53 Rev. 5 AC-2(3)"]; ok {
		t.Errorf("an organization-defined citation was evaluated as a check")
	}
	reqs := fmt.Sprint(comp["requirements"])
	if !strings.Contains(reqs, "AC-2(3)") || !strings.Contains(reqs, "A.5.18") {
		t.Errorf("requirements %s do not cite NIST AC-2(3) and ISO A.5.18", reqs)
	}
	if !strings.Contains(bob["remediation"].(map[string]any)["desc"].(string), "Delete the IAM user") {
		t.Errorf("bob (delete) remediation = %v", bob["remediation"])
	}

	// dave is kept, but key 2 is unused: a finding of its own.
	key := get("dormant/111111111111/AIDADAVE000000000004/access-key-2")
	if key["compliance"].(map[string]any)["status_id"] != 3.0 {
		t.Errorf("dave key 2 compliance = %v, want Fail", key["compliance"])
	}
	res := key["resources"].([]any)
	if res[0].(map[string]any)["type"] != "AWS::IAM::AccessKey" || res[1].(map[string]any)["uid"] != "arn:aws:iam::111111111111:user/dave" {
		t.Errorf("dave key 2 resources = %v", res)
	}

	// The root user: not an IAM user resource, so no compliance status.
	root := get("dormant/111111111111/name:" + tables.RootUserName)
	if _, ok := root["compliance"].(map[string]any)["status_id"]; ok {
		t.Errorf("root has a compliance status: %v", root["compliance"])
	}

	// exempt frank is suppressed.
	frank := get("dormant/111111111111/AIDAFRANK00000000006")
	if frank["status_id"] != 3.0 {
		t.Errorf("frank (exempt) finding status_id = %v, want Suppressed (3)", frank["status_id"])
	}
}

// TestOCSFUnknownIsNotFalse: a user without a credential report row has no
// credential facts, no MFA value, and a Warning, never a Pass.
func TestOCSFUnknownIsNotFalse(t *testing.T) {
	in := sampleInput()
	i := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.UserName == "alice" })
	in.Findings[i].InCredentialReport = false
	in.Findings = in.Findings[i : i+1]
	in.Findings[0].UnusedKeys = nil
	ev := ocsfEvents(t, in)[0]
	comp := ev["compliance"].(map[string]any)
	if comp["status_id"] != 2.0 || comp["status"] != "Warning" || ev["severity_id"] != 0.0 {
		t.Errorf("not assessed user: compliance %v/%v severity %v, want Warning (2) and Unknown (0)", comp["status_id"], comp["status"], ev["severity_id"])
	}
	for _, c := range comp["checks"].([]any) {
		if c.(map[string]any)["status_id"] == 1.0 {
			t.Errorf("check %v passes without a credential report row", c)
		}
	}
	for _, e := range ev["evidences"].([]any) {
		e := e.(map[string]any)
		if e["name"] == "credential report" {
			t.Errorf("credential report evidence without a report row: %v", e)
		}
		if u, ok := e["user"].(map[string]any); ok {
			if _, ok := u["has_mfa"]; ok {
				t.Errorf("has_mfa stated without a report row: %v", u)
			}
		}
	}
}

func TestOCSFCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := NewOCSFWriter().Write(ctx, &buf, sampleInput()); err == nil {
		t.Errorf("OCSF writer ignored a cancelled context")
	}
}

func TestOCSFNeedsGenerationTime(t *testing.T) {
	in := sampleInput()
	in.StartedAt = time.Time{}
	var buf bytes.Buffer
	if err := NewOCSFWriter().Write(context.Background(), &buf, in); err == nil || !strings.Contains(err.Error(), "GeneratedAt") {
		t.Errorf("no generation time: %v, want an error naming Input.GeneratedAt", err)
	}
}
