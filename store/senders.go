package store

import "fmt"

// Sender is one author among a chat's newest messages.
type Sender struct {
	Key      []byte // 65-byte public key
	LastMs   int64  // send time of their newest message, unix ms
	Messages int    // how many of the messages looked at are theirs
}

// RecentSenders lists who wrote the newest n messages of a chat (ours
// included), newest writer first. It walks the (chat, clock) index
// backwards, so its cost is bounded by n whatever the chat's size.
func (s *Store) RecentSenders(chatID string, n int) ([]Sender, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.db.Query(`SELECT sender, max(sent_ms), count(*) FROM (
			SELECT m.sender, m.sent_ms FROM chats c JOIN messages m ON m.chat = c.key
			WHERE c.id = ? AND m.sender IS NOT NULL
			ORDER BY m.clock DESC, m.id DESC LIMIT ?)
		GROUP BY sender ORDER BY max(sent_ms) DESC`, chatID, n)
	if err != nil {
		return nil, fmt.Errorf("recent senders of %q: %w", chatID, err)
	}
	defer rows.Close()
	var out []Sender
	for rows.Next() {
		var sd Sender
		if err := rows.Scan(&sd.Key, &sd.LastMs, &sd.Messages); err != nil {
			return nil, fmt.Errorf("recent senders of %q: %w", chatID, err)
		}
		out = append(out, sd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent senders of %q: %w", chatID, err)
	}
	return out, nil
}
