package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// GroupUpdate is one signed membership update of a group, kept as the
// session encoded it.
type GroupUpdate struct {
	ID     string // the session's name for the update; unique within a group
	Author string // "0x04…" recovered from the signature
	Clock  int64  // its first event's clock, for order
	Data   []byte
}

// GroupMember is one member of a group as the last fold of its log gave it.
type GroupMember struct {
	Key    string
	Admin  bool
	Joined bool
}

// Group is what the last fold of a group's log gave: its name, creator and
// members in the order they were added.
type Group struct {
	ChatID  string
	Name    string
	Creator string
	Members []GroupMember
	// ChangeClock is the clock of our last membership change; SaveGroup
	// only raises it. SentClock is the clock of the last one a peer took
	// (SetGroupSent). A group with ChangeClock > SentClock has a change of
	// ours to send.
	ChangeClock, SentClock int64
}

// SaveGroup adds updates to a group's log (those already there by id are
// skipped) and replaces its folded name and members, in one transaction,
// so the log and what was folded from it never disagree. The chat must
// exist with kind ChatGroup.
func (s *Store) SaveGroup(g Group, updates []GroupUpdate) error {
	return s.write(fmt.Sprintf("save group %q", g.ChatID), func(tx *sql.Tx) error {
		var key int64
		var kind ChatKind
		err := tx.QueryRow(`SELECT key, kind FROM chats WHERE id = ?`, g.ChatID).Scan(&key, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("chat: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		if kind != ChatGroup {
			return fmt.Errorf("chat has kind %d, not a group", kind)
		}
		ins, err := tx.Prepare(`INSERT INTO group_updates (chat, id, author, clock, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, u := range updates {
			if _, err := ins.Exec(key, u.ID, u.Author, u.Clock, u.Data); err != nil {
				return fmt.Errorf("update %s: %w", u.ID, err)
			}
		}
		if _, err := tx.Exec(`INSERT INTO groups (chat, name, creator, change_clock) VALUES (?, ?, ?, ?)
			ON CONFLICT (chat) DO UPDATE SET name = excluded.name, creator = excluded.creator,
				change_clock = max(change_clock, excluded.change_clock)`,
			key, g.Name, g.Creator, g.ChangeClock); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM group_members WHERE chat = ?`, key); err != nil {
			return err
		}
		mem, err := tx.Prepare(`INSERT INTO group_members (chat, pos, key, admin, joined) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer mem.Close()
		for i, m := range g.Members {
			if _, err := mem.Exec(key, i, m.Key, boolInt(m.Admin), boolInt(m.Joined)); err != nil {
				return fmt.Errorf("member %d: %w", i, err)
			}
		}
		return nil
	})
}

// Group returns a group's folded name and members; ok is false when the
// chat has no group saved.
func (s *Store) Group(chatID string) (Group, bool, error) {
	g := Group{ChatID: chatID}
	var key int64
	err := s.db.QueryRow(`SELECT g.chat, g.name, g.creator, g.change_clock, g.sent_clock
		FROM groups g JOIN chats c ON c.key = g.chat WHERE c.id = ?`,
		chatID).Scan(&key, &g.Name, &g.Creator, &g.ChangeClock, &g.SentClock)
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, false, nil
	}
	if err != nil {
		return Group{}, false, fmt.Errorf("read group %q: %w", chatID, err)
	}
	rows, err := s.db.Query(`SELECT key, admin, joined FROM group_members WHERE chat = ? ORDER BY pos`, key)
	if err != nil {
		return Group{}, false, fmt.Errorf("read group %q members: %w", chatID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m GroupMember
		if err := rows.Scan(&m.Key, &m.Admin, &m.Joined); err != nil {
			return Group{}, false, fmt.Errorf("read group %q members: %w", chatID, err)
		}
		g.Members = append(g.Members, m)
	}
	if err := rows.Err(); err != nil {
		return Group{}, false, fmt.Errorf("read group %q members: %w", chatID, err)
	}
	return g, true, nil
}

// GroupUpdates returns a group's whole log, by clock then id.
func (s *Store) GroupUpdates(chatID string) ([]GroupUpdate, error) {
	rows, err := s.db.Query(`SELECT u.id, u.author, u.clock, u.data FROM group_updates u
		JOIN chats c ON c.key = u.chat WHERE c.id = ? ORDER BY u.clock, u.id`, chatID)
	if err != nil {
		return nil, fmt.Errorf("read group %q log: %w", chatID, err)
	}
	defer rows.Close()
	var out []GroupUpdate
	for rows.Next() {
		var u GroupUpdate
		if err := rows.Scan(&u.ID, &u.Author, &u.Clock, &u.Data); err != nil {
			return nil, fmt.Errorf("read group %q log: %w", chatID, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read group %q log: %w", chatID, err)
	}
	return out, nil
}

// SetGroupSent records that our membership changes up to clock reached a
// peer; it never lowers the mark.
func (s *Store) SetGroupSent(chatID string, clock int64) error {
	return s.write(fmt.Sprintf("mark group %q sent", chatID), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE groups SET sent_clock = max(sent_clock, ?)
			WHERE chat = (SELECT key FROM chats WHERE id = ?)`, clock, chatID)
		if err != nil {
			return err
		}
		return updatedOne(res, "group")
	})
}

// UnsentGroups lists the groups with a membership change of ours that no
// peer has taken yet.
func (s *Store) UnsentGroups() ([]string, error) {
	rows, err := s.db.Query(`SELECT c.id FROM groups g JOIN chats c ON c.key = g.chat
		WHERE g.change_clock > g.sent_clock ORDER BY g.chat`)
	if err != nil {
		return nil, fmt.Errorf("list unsent groups: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list unsent groups: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list unsent groups: %w", err)
	}
	return ids, nil
}
