package ui

import (
	"strings"
	"testing"
)

// TestSanitizeBidiAndSeparators: the bidi marks (LRM, RLM, ALM) and other
// invisible format characters never reach the terminal, the line and
// paragraph separators neither pass through nor break the line, and emoji
// sequences built with joiners and tags stay whole.
func TestSanitizeBidiAndSeparators(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\u200eb\u200fc\u061cd", "abcd"},
		{"pay 0x\u202e9876\u202c", "pay 0x9876"},
		{"x\u2066y\u2069z\u2067w\u2068v", "xyzwv"},
		{"one\u2028two\u2029three", "one two three"},
		{"zero\u200bwidth\ufeffbom\u2060joiner\u00adsoft", "zerowidthbomjoinersoft"},
		{"family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"},
		{"flag 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "flag 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"},
		{"كلمة", "كلمة"},
	} {
		for _, multiline := range []bool{true, false} {
			got := sanitizeText(tc.in, multiline)
			if got != tc.want {
				t.Errorf("sanitizeText(%q, %v) = %q, want %q", tc.in, multiline, got, tc.want)
			}
			if n := len(wrapText(got, 80)); n != 1 {
				t.Errorf("sanitizeText(%q) wraps to %d lines at width 80", tc.in, n)
			}
		}
	}
	for _, r := range []rune{0x200e, 0x200f, 0x061c, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029} {
		if got := sanitizeText("a"+string(r)+"b", true); strings.ContainsRune(got, r) {
			t.Errorf("U+%04X passes through: %q", r, got)
		}
	}
}
