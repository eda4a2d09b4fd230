package codec

import (
	"strings"
	"unicode"
)

// lookalikes maps characters that render like 0 or x onto them: the
// Cyrillic, Greek, Armenian and symbol forms that make "0х04…" (with a
// Cyrillic х) look like a key. It is not a general confusables table.
var lookalikes = map[rune]rune{
	'o': '0', 'О': '0', 'о': '0', 'Ο': '0', 'ο': '0', 'Օ': '0', 'օ': '0',
	'σ': '0', 'ᴏ': '0', 'ᴑ': '0', 'ℴ': '0', '〇': '0', 'Ø': '0', 'ø': '0',
	'Θ': '0', 'θ': '0', '∅': '0', 'ዐ': '0', 'ჿ': '0',
	'х': 'x', 'Х': 'x', 'χ': 'x', 'Χ': 'x', '×': 'x', 'ⅹ': 'x', 'Ⅹ': 'x',
	'ҳ': 'x', 'Ҳ': 'x', 'ӽ': 'x', 'Ӽ': 'x', 'ᕁ': 'x', '╳': 'x', '⨯': 'x',
	'ꭓ': 'x', 'ᚷ': 'x',
}

// LooksLikeKey reports whether a name could be read as a public key, which
// is how hush shows a sender without a name: it starts with "0x", or, with
// case folded and every character that renders like 0, x or a digit replaced
// by it, its first four visible characters read "0x04" (every key starts so).
// Names like "Oxford" stay allowed.
func LooksLikeKey(name string) bool {
	name = strings.TrimSpace(name)
	if strings.HasPrefix(strings.ToLower(name), "0x") {
		return true
	}
	var prefix [4]rune
	n := 0
	for _, r := range name {
		if n == len(prefix) {
			break
		}
		if unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me) || unicode.IsControl(r) {
			continue // renders as nothing of its own
		}
		prefix[n] = foldLookalike(r)
		n++
	}
	return prefix == [4]rune{'0', 'x', '0', '4'}
}

// foldLookalike reduces r to the ASCII character it passes for, where that
// matters for LooksLikeKey: 0, x and the digits.
func foldLookalike(r rune) rune {
	// Full-width ASCII (U+FF01…U+FF5E) is ASCII moved up by 0xFEE0.
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	r = unicode.ToLower(r)
	if v, ok := lookalikes[r]; ok {
		return v
	}
	if r >= 0x80 && unicode.IsDigit(r) {
		return '0' + rune(digitValue(r))
	}
	return r
}

// digitValue is the value of a decimal digit of any script. Unicode encodes
// every set of decimal digits as a run of ten from zero, so the position in
// the run of consecutive digits gives the value.
func digitValue(r rune) int {
	k := 0
	for k < 100 && unicode.IsDigit(r-rune(k)-1) {
		k++
	}
	return k % 10
}
