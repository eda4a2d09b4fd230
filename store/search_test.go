package store

import (
	"slices"
	"testing"
)

func searchFixture(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	mustJoin(t, s, "a", ChatPublic)
	mustJoin(t, s, "b", ChatPublic)
	texts := []struct {
		chat  string
		clock int64
		text  string
	}{
		{"a", 1, "the quick brown fox"},
		{"a", 5, "a quick reply"},
		{"b", 3, "quick thinking"},
		{"b", 4, "this AND that"},
		{"a", 6, "x marks the spot"},
		{"b", 7, "un café noir"},
		{"a", 8, `she said "near" me`},
	}
	for i, tx := range texts {
		m := newMessage(tx.chat, i, tx.clock)
		m.Text = tx.text
		mustAdd(t, s, m)
	}
	return s
}

func texts(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func TestSearch(t *testing.T) {
	s := searchFixture(t)
	cases := []struct {
		chat, query string
		limit       int
		want        []string
	}{
		{"", "quick", 10, []string{"a quick reply", "quick thinking", "the quick brown fox"}},
		{"a", "quick", 10, []string{"a quick reply", "the quick brown fox"}},
		{"", "quick", 2, []string{"a quick reply", "quick thinking"}},
		{"", "QUICK fox", 10, []string{"the quick brown fox"}},
		{"", "cafe", 10, []string{"un café noir"}},
		{"b", "fox", 10, nil},
		{"", "", 10, nil},
		{"", "quick", 0, nil},
		// Operators are words here.
		{"", "AND", 10, []string{"this AND that"}},
		{"", "-x", 10, []string{"x marks the spot"}},
		{"", `"near"`, 10, []string{`she said "near" me`}},
		// Words match by their start, as typed from memory.
		{"a", "qui bro", 10, []string{"the quick brown fox"}},
		{"", "thin", 10, []string{"quick thinking"}},
		{"", "uick", 10, nil},
	}
	for _, c := range cases {
		got, err := s.Search(c.chat, c.query, c.limit)
		if err != nil {
			t.Errorf("Search(%q, %q): %v", c.chat, c.query, err)
			continue
		}
		if !slices.Equal(texts(got), c.want) {
			t.Errorf("Search(%q, %q, %d) = %q, want %q", c.chat, c.query, c.limit, texts(got), c.want)
		}
	}
}

func TestSearchHostileQueries(t *testing.T) {
	s := searchFixture(t)
	hostile := []string{
		`"`, `""`, `*`, `quick*`, `AND OR NEAR(`, `NEAR/3`, `-x`, `-`, `(`, `)`, `a:b`, `text:quick`,
		`^quick`, `'`, `\`, `%`, "\x00", `quick OR`, `NOT quick`, `" OR "`, "\u00ad", `🙂`,
	}
	for _, q := range hostile {
		if _, err := s.Search("", q, 10); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
		if _, err := s.Search("a", q, 10); err != nil {
			t.Errorf("Search in chat (%q): %v", q, err)
		}
	}
}

func TestFTSWords(t *testing.T) {
	cases := map[string]string{
		"hello world":    `"hello*" "world*"`,
		`AND OR NEAR(`:   `"AND*" "OR*" "NEAR*"`,
		`"`:              ``,
		`it's-a*test`:    `"it*" "s*" "a*" "test*"`,
		"naïve  café":    `"naïve*" "café*"`,
		"  \t\n ":        ``,
		"x:y^z(w)":       `"x*" "y*" "z*" "w*"`,
		"sum2019 ₿ 100%": `"sum2019*" "100*"`,
	}
	for in, want := range cases {
		if got := ftsWords(in); got != want {
			t.Errorf("ftsWords(%q) = %q, want %q", in, got, want)
		}
	}
}
