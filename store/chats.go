package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ChatKind tells public, one-to-one and group chats apart.
type ChatKind int

// Kinds are stored as these numbers; never renumber them.
const (
	ChatPublic   ChatKind = 1
	ChatOneToOne ChatKind = 2
	ChatGroup    ChatKind = 3 // a private group; its id is uuid + creator key
)

func (k ChatKind) valid() bool { return k == ChatPublic || k == ChatOneToOne || k == ChatGroup }

// Chat is a conversation the user has joined at some point.
type Chat struct {
	ID        string // public: the name; one-to-one: peer key "0x04…"; group: uuid + creator key
	Kind      ChatKind
	Joined    bool  // shown in the chat list; leaving keeps history but sets false
	New       bool  // created by an incoming message from an unknown key, not opened yet
	Mentioned bool  // an unread message mentions us; MarkRead clears it
	LastClock int64 // Lamport clock: highest seen/sent (the session maintains it)
	SyncedTo  int64 // unix seconds up to which mailserver history is complete; 0 = never
	Created   time.Time
}

const chatColumns = `id, kind, joined, is_new, last_clock, synced_to, created_ms, mentioned`

func scanChat(row interface{ Scan(...any) error }) (Chat, error) {
	var (
		c         Chat
		createdMs int64
	)
	err := row.Scan(&c.ID, &c.Kind, &c.Joined, &c.New, &c.LastClock, &c.SyncedTo, &createdMs, &c.Mentioned)
	c.Created = time.UnixMilli(createdMs)
	return c, err
}

// JoinChat creates the chat, or re-joins it (Joined = true) keeping its
// history, clock, sync mark and New flag. Joining an existing id with a
// different kind is an error.
func (s *Store) JoinChat(id string, kind ChatKind) (Chat, error) {
	what := fmt.Sprintf("join chat %q", id)
	if id == "" {
		return Chat{}, fmt.Errorf("%s: empty id", what)
	}
	if !kind.valid() {
		return Chat{}, fmt.Errorf("%s: invalid kind %d", what, kind)
	}
	var c Chat
	err := s.write(what, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO chats (id, kind, joined, created_ms) VALUES (?, ?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET joined = 1 WHERE kind = excluded.kind`,
			id, kind, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		c, err = scanChat(tx.QueryRow(`SELECT `+chatColumns+` FROM chats WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if c.Kind != kind {
			return fmt.Errorf("exists with kind %d", c.Kind)
		}
		return nil
	})
	return c, err
}

// LeaveChat hides the chat from the chat list; its history stays.
func (s *Store) LeaveChat(id string) error {
	what := fmt.Sprintf("leave chat %q", id)
	return s.write(what, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE chats SET joined = 0 WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return updatedOne(res, "chat")
	})
}

// Chat returns the chat with id, joined or not.
func (s *Store) Chat(id string) (Chat, bool, error) {
	c, err := scanChat(s.db.QueryRow(`SELECT `+chatColumns+` FROM chats WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Chat{}, false, nil
	}
	if err != nil {
		return Chat{}, false, fmt.Errorf("read chat %q: %w", id, err)
	}
	return c, true, nil
}

// Chats returns the joined chats in the order they were first created.
func (s *Store) Chats() ([]Chat, error) {
	rows, err := s.db.Query(`SELECT ` + chatColumns + ` FROM chats WHERE joined = 1 ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	defer rows.Close()
	var chats []Chat
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, fmt.Errorf("list chats: %w", err)
		}
		chats = append(chats, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	return chats, nil
}

// SetLastClock raises the chat's Lamport clock to clock; a lower value leaves
// it unchanged, so concurrent updates cannot move it backwards.
func (s *Store) SetLastClock(id string, clock int64) error {
	return s.write(fmt.Sprintf("set clock of chat %q", id), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE chats SET last_clock = max(last_clock, ?) WHERE id = ?`, clock, id)
		if err != nil {
			return err
		}
		return updatedOne(res, "chat")
	})
}

// SetSyncedTo records that mailserver history of the chats is complete up to
// unix seconds. Either every chat is updated or, if one is unknown, none.
func (s *Store) SetSyncedTo(ids []string, unix int64) error {
	return s.write("set synced-to", func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`UPDATE chats SET synced_to = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			res, err := stmt.Exec(unix, id)
			if err != nil {
				return fmt.Errorf("chat %q: %w", id, err)
			}
			if err := updatedOne(res, fmt.Sprintf("chat %q", id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetNew sets or clears the chat's New flag.
func (s *Store) SetNew(id string, isNew bool) error {
	return s.write(fmt.Sprintf("set new flag of chat %q", id), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE chats SET is_new = ? WHERE id = ?`, boolInt(isNew), id)
		if err != nil {
			return err
		}
		return updatedOne(res, "chat")
	})
}

// SetMentioned marks chats as holding an unread message that mentions us.
func (s *Store) SetMentioned(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(fmt.Sprintf("mark %d chats mentioned", len(ids)), func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.Exec(`UPDATE chats SET mentioned = 1 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
}
