package store

import (
	"fmt"
	"strings"
	"unicode"
)

// Search finds messages whose text contains every word of query, newest
// first, in one chat or (chatID "") in all. query is what the user typed: it
// is reduced to plain words, so FTS operators and quotes in it are searched
// for as text rather than interpreted, and it can never be a syntax error.
func (s *Store) Search(chatID, query string, limit int) ([]Message, error) {
	match := ftsWords(query)
	if match == "" || limit <= 0 {
		return nil, nil
	}
	q := searchQuery

	args := []any{match}
	if chatID != "" {
		q += ` AND c.id = ?`
		args = append(args, chatID)
	}
	q += ` ORDER BY m.clock DESC, m.id DESC LIMIT ?`
	args = append(args, limit)
	ms, err := s.queryMessages(q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return ms, nil
}

// searchQuery runs the full-text match once and looks its hits up by rowid.
// CROSS JOIN pins that order: left to choose, SQLite prefers walking the
// chat's index newest-first and re-running the match for every message,
// which is ruinous in a large chat.
const searchQuery = `SELECT ` + messageColumns + `
	FROM messages_fts f
	CROSS JOIN messages m ON m.seq = f.docid
	CROSS JOIN chats c ON c.key = m.chat
	WHERE f.text MATCH ?`

// ftsWords turns user text into an FTS4 query of quoted prefix words,
// implicitly ANDed: "line 2" finds "line 20", as people type while they
// still remember only the start of a word. Only letters, digits and combining marks survive: those are what the
// unicode61 tokenizer indexes, and none of them means anything to the query
// parser inside quotes. Words like AND or NEAR become ordinary terms.
func ftsWords(query string) string {
	words := strings.FieldsFunc(query, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
	})
	const maxWords = 16 // a pasted paragraph must not become a huge query
	if len(words) > maxWords {
		words = words[:maxWords]
	}
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(w)
		b.WriteString(`*"`)
	}
	return b.String()
}
