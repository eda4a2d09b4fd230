package ui

import (
	"strings"
	"testing"
	"time"
)

func TestWrapText(t *testing.T) {
	cases := []struct {
		text  string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"hello world", 20, []string{"hello world"}},
		{"hello world", 5, []string{"hello ", "world"}},
		{"hello world", 8, []string{"hello ", "world"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"one\ntwo\n\nthree", 10, []string{"one", "two", "", "three"}},
		{"👍👍👍", 4, []string{"👍👍", "👍"}},
		{"👍", 1, []string{"👍"}},
		{"a 👍b", 3, []string{"a ", "👍b"}},
		{"e\u0301e\u0301e\u0301", 2, []string{"e\u0301e\u0301", "e\u0301"}},
	}
	for _, c := range cases {
		var got []string
		for _, lr := range wrapText(c.text, c.width) {
			got = append(got, c.text[lr.start:lr.end])
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", c.text, c.width, got, c.want)
		}
		for _, line := range got {
			if w := textWidth(strings.TrimRight(line, " ")); w > c.width && len([]rune(line)) > 1 {
				t.Errorf("wrapText(%q, %d): line %q is %d wide", c.text, c.width, line, w)
			}
		}
	}
}

func TestSanitizeText(t *testing.T) {
	got := sanitizeText("a\x1b[31mred\r\nb\tc\u202ed\x00", true)
	want := "a\uFFFD[31mred\nb    cd\uFFFD"
	if got != want {
		t.Fatalf("sanitizeText = %q, want %q", got, want)
	}
	if got := sanitizeText("x\ny", false); got != "x y" {
		t.Fatalf("single-line sanitizeText = %q", got)
	}
	long := sanitizeText(strings.Repeat("é", maxTextBytes), true)
	if !strings.HasSuffix(long, "(truncated)") || len(long) > maxTextBytes+32 {
		t.Fatalf("long text not truncated: %d bytes", len(long))
	}
}

func TestParseHistorySpan(t *testing.T) {
	good := map[string]time.Duration{
		"":      24 * time.Hour,
		"90m":   90 * time.Minute,
		"36h":   36 * time.Hour,
		"3d":    72 * time.Hour,
		"1d12h": 36 * time.Hour,
	}
	for in, want := range good {
		if got, err := parseHistorySpan(in); err != nil || got != want {
			t.Errorf("parseHistorySpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"soon", "-1h", "0", "0d", "d", "3x", "99999d"} {
		if _, err := parseHistorySpan(in); err == nil {
			t.Errorf("parseHistorySpan(%q) accepted", in)
		}
	}
}

func TestCountRows(t *testing.T) {
	cases := []struct {
		text       string
		width, max int
		want       int
	}{
		{"", 10, 5, 1},
		{"short", 10, 5, 1},
		{"a\nb\nc", 10, 5, 3},
		{strings.Repeat("x", 25), 10, 5, 3},
		{strings.Repeat("x\n", 50), 10, 5, 5},
	}
	for _, c := range cases {
		if got := countRows(c.text, c.width, c.max); got != c.want {
			t.Errorf("countRows(%q, %d, %d) = %d, want %d", c.text, c.width, c.max, got, c.want)
		}
	}
}

func TestFitName(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"Spanish Tasty Chameleon", 30, "Spanish Tasty Chameleon"},
		{"Spanish Tasty Chameleon", 20, "S. Tasty Chameleon"},
		{"Spanish Tasty Chameleon", 15, "S. T. Chameleon"},
		{"Spanish Tasty Chameleon", 13, "S. T. Chamel…"},
		{"~Alice", 3, "~A…"},
		{"alice", 9, "alice"},
	} {
		if got := fitName(c.in, c.width); got != c.want {
			t.Errorf("fitName(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		if got := fitName(c.in, c.width); textWidth(got) > c.width {
			t.Errorf("fitName(%q, %d) = %q is wider", c.in, c.width, got)
		}
	}
}
