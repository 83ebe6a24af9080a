package codesearch

// Secret access keys are 40 characters of base64 without padding; a run that
// long of those characters is treated as one, whatever stands next to it.
const (
	secretLen  = 40
	partialLen = 16 // a run this long cut by an excerpt's edge may be part of one
	maskText   = "[masked]"
)

func isSecretByte(c byte) bool {
	return isAlnum(c) || c == '/' || c == '+'
}

// mask returns text with every secret-looking run replaced by maskText,
// except the bytes of keep (the hit's own match, a name or ID, given as
// offsets into text; empty keep when keepStart == keepEnd). cutStart and
// cutEnd say whether text was cut out of a longer line at that end, where a
// shorter run may be what is left of a secret.
func mask(text []byte, keepStart, keepEnd int, cutStart, cutEnd bool) string {
	var out []byte
	last := 0
	for i := 0; i < len(text); {
		if !isSecretByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isSecretByte(text[j]) {
			j++
		}
		n := j - i
		if n >= secretLen || (n >= partialLen && ((cutStart && i == 0) || (cutEnd && j == len(text)))) {
			// Mask the run around the kept match, which is never a secret.
			spans := [][2]int{{i, j}}
			if keepStart < keepEnd && keepStart < j && keepEnd > i {
				spans = [][2]int{{i, max(i, keepStart)}, {min(j, keepEnd), j}}
			}
			for _, sp := range spans {
				if sp[1] > sp[0] {
					out = append(out, text[last:sp[0]]...)
					out = append(out, maskText...)
					last = sp[1]
				}
			}
		}
		i = j
	}
	if out == nil {
		return string(text)
	}
	out = append(out, text[last:]...)
	return string(out)
}
