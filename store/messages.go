package store

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MessageState is the delivery state of a message; the session gives the
// values their meaning (0 received, 1 sending, 2 sent, 3 failed, 4 pending,
// 5 stored).
type MessageState int

// Message is one chat message as stored.
type Message struct {
	ID           [32]byte
	EnvelopeHash [32]byte // zero until posted
	ChatID       string
	Sender       []byte // 65-byte uncompressed public key
	Clock        int64
	Timestamp    int64 // unix ms at the sender
	ContentType  string
	MessageType  string
	Text         string
	Payload      []byte // raw transit bytes as received/sent
	Outgoing     bool
	State        MessageState
	Read         bool
}

// messageColumns reads a message joined with its chat (alias c) for the id.
const messageColumns = `m.id, m.envelope_hash, c.id, m.sender, m.clock, m.sent_ms, m.content_type,
	m.message_type, m.text, m.payload, m.outgoing, m.state, m.read`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var (
		m        Message
		id, hash []byte
	)
	err := row.Scan(&id, &hash, &m.ChatID, &m.Sender, &m.Clock, &m.Timestamp, &m.ContentType,
		&m.MessageType, &m.Text, &m.Payload, &m.Outgoing, &m.State, &m.Read)
	if err != nil {
		return Message{}, err
	}
	if len(id) != len(m.ID) || (hash != nil && len(hash) != len(m.EnvelopeHash)) {
		return Message{}, fmt.Errorf("corrupt message row: id %d bytes, envelope hash %d bytes", len(id), len(hash))
	}
	copy(m.ID[:], id)
	copy(m.EnvelopeHash[:], hash)
	return m, nil
}

func collectMessages(rows *sql.Rows) ([]Message, error) {
	defer rows.Close()
	var ms []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// hashArg is the stored form of an envelope hash: NULL while unposted, so
// that many unposted messages do not collide on the UNIQUE column.
func hashArg(h [32]byte) any {
	if h == ([32]byte{}) {
		return nil
	}
	return h[:]
}

// AddMessage inserts m. A message whose ID or (non-zero) EnvelopeHash is
// already stored is a duplicate: it returns (false, nil) and changes nothing.
// The chat must exist.
func (s *Store) AddMessage(m Message) (bool, error) {
	added, err := s.AddMessages([]Message{m})
	if err != nil {
		return false, err
	}
	return added[0], nil
}

// AddMessages inserts ms in one transaction with AddMessage's rule for each;
// added[i] reports whether ms[i] was new. An error (such as an unknown chat)
// rolls the whole batch back.
func (s *Store) AddMessages(ms []Message) ([]bool, error) {
	added := make([]bool, len(ms))
	if len(ms) == 0 {
		return added, nil
	}
	err := s.write("add messages", func(tx *sql.Tx) error {
		insert, err := tx.Prepare(`INSERT INTO messages (id, envelope_hash, chat, sender, clock, sent_ms,
				content_type, message_type, text, payload, outgoing, state, read)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer insert.Close()
		chatKeys := make(map[string]int64)
		var first, last int64 // the seqs this batch took
		for i, m := range ms {
			key, ok := chatKeys[m.ChatID]
			if !ok {
				err := tx.QueryRow(`SELECT key FROM chats WHERE id = ?`, m.ChatID).Scan(&key)
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("chat %q: %w", m.ChatID, ErrNotFound)
				}
				if err != nil {
					return fmt.Errorf("chat %q: %w", m.ChatID, err)
				}
				chatKeys[m.ChatID] = key
			}
			res, err := insert.Exec(m.ID[:], hashArg(m.EnvelopeHash), key, m.Sender, m.Clock, m.Timestamp,
				m.ContentType, m.MessageType, m.Text, m.Payload, boolInt(m.Outgoing), m.State, boolInt(m.Read))
			if err != nil {
				return fmt.Errorf("message %x: %w", m.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("message %x: %w", m.ID, err)
			}
			added[i] = n == 1
			if n == 1 {
				seq, err := res.LastInsertId()
				if err != nil {
					return fmt.Errorf("message %x: %w", m.ID, err)
				}
				if first == 0 {
					first = seq
				}
				last = seq
			}
		}
		return indexText(tx, first, last)
	})
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(ms, func(m Message) bool { return m.Outgoing }) {
		s.noteOwnWrite()
	}
	return added, nil
}

// indexText adds the messages of seqs first..last to the text index in
// one statement (schemaCounters). A new row's seq is above every seq
// in the table and the writer holds the lock, so the range holds only the
// rows this transaction inserted.
func indexText(tx *sql.Tx, first, last int64) error {
	if first == 0 {
		return nil
	}
	_, err := tx.Exec(`INSERT INTO messages_fts(docid, text) SELECT seq, text FROM messages WHERE seq BETWEEN ? AND ?`, first, last)
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return nil
}

// HasEnvelope reports whether a message with this envelope hash is stored.
func (s *Store) HasEnvelope(hash [32]byte) (bool, error) {
	if hash == ([32]byte{}) {
		return false, nil
	}
	var one int
	err := s.db.QueryRow(`SELECT 1 FROM messages WHERE envelope_hash = ?`, hash[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up envelope %x: %w", hash, err)
	}
	return true, nil
}

// envelopeLookupChunk bounds the hashes asked in one query, far below
// SQLite's limit on bound parameters.
const envelopeLookupChunk = 500

// StoredEnvelopes reports which of hashes belong to stored messages: the
// receive path's dedup for a whole batch, a query per chunk instead of
// one per envelope. Zero hashes are never stored.
func (s *Store) StoredEnvelopes(hashes [][32]byte) (map[[32]byte]bool, error) {
	found := make(map[[32]byte]bool)
	for start := 0; start < len(hashes); start += envelopeLookupChunk {
		chunk := hashes[start:min(start+envelopeLookupChunk, len(hashes))]
		args := make([]any, 0, len(chunk))
		for _, h := range chunk {
			if h != ([32]byte{}) {
				args = append(args, h[:])
			}
		}
		if len(args) == 0 {
			continue
		}
		marks := strings.Repeat("?,", len(args))
		rows, err := s.db.Query(`SELECT envelope_hash FROM messages WHERE envelope_hash IN (`+marks[:len(marks)-1]+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("look up %d envelopes: %w", len(args), err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up envelopes: %w", err)
			}
			var h [32]byte
			if copy(h[:], b) == len(h) {
				found[h] = true
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("look up envelopes: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up envelopes: %w", err)
		}
	}
	return found, nil
}

// SetEnvelopeHash records the hash of the envelope a message was posted in
// (a zero hash clears it). A resend overwrites the previous hash.
func (s *Store) SetEnvelopeHash(id [32]byte, hash [32]byte) error {
	return s.write(fmt.Sprintf("set envelope hash of message %x", id), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE messages SET envelope_hash = ? WHERE id = ?`, hashArg(hash), id[:])
		if err != nil {
			return err
		}
		return updatedOne(res, "message")
	})
}

// SetState sets a message's delivery state.
func (s *Store) SetState(id [32]byte, st MessageState) error {
	return s.write(fmt.Sprintf("set state of message %x", id), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE messages SET state = ? WHERE id = ?`, st, id[:])
		if err != nil {
			return err
		}
		return updatedOne(res, "message")
	})
}

// Outgoing returns up to limit of our own messages whose state is one of
// states, in the order they were stored (the order they were sent in).
// The session re-queues them at start. It reads the whole table once: an
// outbox is read only at start.
func (s *Store) Outgoing(states []MessageState, limit int) ([]Message, error) {
	if len(states) == 0 || limit <= 0 {
		return nil, nil
	}
	args := make([]any, 0, len(states)+1)
	marks := make([]byte, 0, 2*len(states))
	for i, st := range states {
		if i > 0 {
			marks = append(marks, ',')
		}
		marks = append(marks, '?')
		args = append(args, st)
	}
	args = append(args, limit)
	ms, err := s.queryMessages(`SELECT `+messageColumns+`
		FROM messages m JOIN chats c ON c.key = m.chat
		WHERE m.outgoing = 1 AND m.state IN (`+string(marks)+`)
		ORDER BY m.seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("read outgoing messages in states %v: %w", states, err)
	}
	return ms, nil
}

// Message returns the message with id.
func (s *Store) Message(id [32]byte) (Message, bool, error) {
	m, err := scanMessage(s.db.QueryRow(`SELECT `+messageColumns+`
		FROM messages m JOIN chats c ON c.key = m.chat WHERE m.id = ?`, id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("read message %x: %w", id, err)
	}
	return m, true, nil
}

// The paging queries below walk messages_by_chat_clock from one end or from
// a (clock, id) position; the row-value comparison lets SQLite seek straight
// to the position, so a page costs the same in a chat of any size.
const (
	latestQuery = `SELECT ` + messageColumns + `
		FROM chats c JOIN messages m ON m.chat = c.key
		WHERE c.id = ?
		ORDER BY m.clock DESC, m.id DESC LIMIT ?`
	beforeQuery = `SELECT ` + messageColumns + `
		FROM chats c JOIN messages m ON m.chat = c.key
		WHERE c.id = ? AND (m.clock, m.id) < (?, ?)
		ORDER BY m.clock DESC, m.id DESC LIMIT ?`
	afterQuery = `SELECT ` + messageColumns + `
		FROM chats c JOIN messages m ON m.chat = c.key
		WHERE c.id = ? AND (m.clock, m.id) > (?, ?)
		ORDER BY m.clock, m.id LIMIT ?`
	oldestQuery = `SELECT ` + messageColumns + `
		FROM chats c JOIN messages m ON m.chat = c.key
		WHERE c.id = ?
		ORDER BY m.clock, m.id LIMIT 1`
)

// Latest returns the newest n messages of the chat in ascending (Clock, ID)
// order.
func (s *Store) Latest(chatID string, n int) ([]Message, error) {
	if n <= 0 {
		return nil, nil
	}
	ms, err := s.queryMessages(latestQuery, chatID, n)
	if err != nil {
		return nil, fmt.Errorf("read latest messages of %q: %w", chatID, err)
	}
	slices.Reverse(ms)
	return ms, nil
}

// Before returns the n messages just before (clock, id) in ascending order.
func (s *Store) Before(chatID string, clock int64, id [32]byte, n int) ([]Message, error) {
	if n <= 0 {
		return nil, nil
	}
	ms, err := s.queryMessages(beforeQuery, chatID, clock, id[:], n)
	if err != nil {
		return nil, fmt.Errorf("read messages of %q before %d: %w", chatID, clock, err)
	}
	slices.Reverse(ms)
	return ms, nil
}

// After returns the n messages just after (clock, id) in ascending order.
func (s *Store) After(chatID string, clock int64, id [32]byte, n int) ([]Message, error) {
	if n <= 0 {
		return nil, nil
	}
	ms, err := s.queryMessages(afterQuery, chatID, clock, id[:], n)
	if err != nil {
		return nil, fmt.Errorf("read messages of %q after %d: %w", chatID, clock, err)
	}
	return ms, nil
}

// Oldest returns the chat's first message in (Clock, ID) order.
func (s *Store) Oldest(chatID string) (Message, bool, error) {
	m, err := scanMessage(s.db.QueryRow(oldestQuery, chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("read oldest message of %q: %w", chatID, err)
	}
	return m, true, nil
}

func (s *Store) queryMessages(query string, args ...any) ([]Message, error) {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	return collectMessages(rows)
}

// MarkRead marks every incoming message of the chat read.
func (s *Store) MarkRead(chatID string) error {
	return s.write(fmt.Sprintf("mark chat %q read", chatID), func(tx *sql.Tx) error {
		if _, err := tx.Exec(markReadQuery, chatID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE chats SET mentioned = 0 WHERE id = ? AND mentioned = 1`, chatID)
		return err
	})
}

// unreadQuery reads the counters the triggers keep (schemaCounters).
const unreadQuery = `SELECT id, unread_count FROM chats WHERE unread_count > 0`

// markReadQuery also goes through messages_unread.
const markReadQuery = `UPDATE messages SET read = 1
	WHERE chat = (SELECT key FROM chats WHERE id = ?) AND read = 0 AND outgoing = 0`

// UnreadCounts returns, per chat, how many incoming messages are unread.
// Chats with none are absent.
func (s *Store) UnreadCounts() (map[string]int, error) {
	rows, err := s.db.Query(unreadQuery)
	if err != nil {
		return nil, fmt.Errorf("count unread: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var (
			id string
			n  int
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count unread: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count unread: %w", err)
	}
	return counts, nil
}

// CountMessages returns how many messages the chat holds (0 for an unknown
// chat).
func (s *Store) CountMessages(chatID string) (int, error) {
	var n int
	err := s.db.QueryRow(`SELECT message_count FROM chats WHERE id = ?`, chatID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count messages of %q: %w", chatID, err)
	}
	return n, nil
}
