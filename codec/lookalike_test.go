package codec

import "testing"

func TestLooksLikeKey(t *testing.T) {
	for _, name := range []string{
		"0x04ab",
		"0X",
		" 0xbeef",
		"0\u0445" + "04abcd",                   // Cyrillic х
		"\u041e" + "x04",                       // Cyrillic О
		"\u03bf\u03c7" + "04",                  // Greek ο χ
		"\uff10\uff58\uff10\uff14",             // full-width 0x04
		"\U0001d7ce" + "x\U0001d7ce\U0001d7d2", // mathematical bold 0x04
		"\u0966" + "x0\u096a",                  // Devanagari zero and four
		"0\u200b\u0445" + "04",                 // zero-width space in between
		"Ox04",
	} {
		if !LooksLikeKey(name) {
			t.Errorf("LooksLikeKey(%q) = false", name)
		}
	}
	for _, name := range []string{"", "0", "Oxford", "Oxana", "Alice", "0\u0445" + "05", "\u0967" + "x04", "0-x04"} {
		if LooksLikeKey(name) {
			t.Errorf("LooksLikeKey(%q) = true", name)
		}
	}
}
