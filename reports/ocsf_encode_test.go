package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestOCSFEventEncodingMatchesMarshal: the writer's event, encoded in parts
// from bytes built once per run, is byte for byte json.Marshal of the whole
// ocsfEvent, for ordinary, hostile (HTML in names) and large inputs.
func TestOCSFEventEncodingMatchesMarshal(t *testing.T) {
	for name, in := range map[string]*Input{"sample": sampleInput(), "hostile": hostileInput(), "large": largeInput(2000)} {
		t.Run(name, func(t *testing.T) {
			st, err := newOCSFStatic(in)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			n := 0
			eachAssessment(in, func(a *Assessment) bool {
				ev := ocsfEventOf(st, in, a)
				ev.Compliance = ocsfComplianceOf(st, a)
				want, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				buf.Reset()
				if err := st.encodeEvent(enc, &buf, in, a); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s:\ngot  %s\nwant %s", a.ID, buf.Bytes(), want)
					return false
				}
				n++
				return true
			})
			if n == 0 {
				t.Fatal("no assessments")
			}
		})
	}
}
