package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// Contact is what we know about a peer key: the nickname the user gave it
// and the name the peer announced on the network, with when it did.
type Contact struct {
	Key         string // "0x04…"
	Nickname    string
	NetworkName string
	// Updated is the send time (unix ms) of the contact record NetworkName
	// came from; older records are discarded (PROTOCOL.md §9.2).
	Updated int64
}

// SetNickname sets the user's nickname for key, creating the contact if
// needed. An empty nick clears it.
func (s *Store) SetNickname(key, nick string) error {
	return s.upsertContact("set nickname of contact "+key, key,
		`INSERT INTO contacts (key, nickname) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET nickname = excluded.nickname`, key, nick)
}

// SetNetworkName records the name key goes by on the network, creating the
// contact if needed.
func (s *Store) SetNetworkName(key, name string) error {
	return s.upsertContact("set network name of contact "+key, key,
		`INSERT INTO contacts (key, network_name) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET network_name = excluded.network_name`, key, name)
}

// UpdateContact applies a contact record key sent at updatedMs: it sets the
// network name unless a record sent at the same time or later was applied
// already. It reports whether it changed anything.
func (s *Store) UpdateContact(key, name string, updatedMs int64) (bool, error) {
	what := "update contact " + key
	if key == "" {
		return false, fmt.Errorf("%s: empty key", what)
	}
	var applied bool
	err := s.write(what, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO contacts (key, network_name, updated_ms) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET network_name = excluded.network_name, updated_ms = excluded.updated_ms
			WHERE contacts.updated_ms < excluded.updated_ms`, key, name, updatedMs)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		applied = n == 1
		return err
	})
	return applied, err
}

// upsertContact runs one write on a contact row.
func (s *Store) upsertContact(what, key, query string, args ...any) error {
	if key == "" {
		return fmt.Errorf("%s: empty key", what)
	}
	return s.write(what, func(tx *sql.Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	})
}

// Contact returns the contact for key.
func (s *Store) Contact(key string) (Contact, bool, error) {
	c := Contact{Key: key}
	err := s.db.QueryRow(`SELECT nickname, network_name, updated_ms FROM contacts WHERE key = ?`, key).
		Scan(&c.Nickname, &c.NetworkName, &c.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, false, nil
	}
	if err != nil {
		return Contact{}, false, fmt.Errorf("read contact %s: %w", key, err)
	}
	return c, true, nil
}

// Contacts returns every contact ordered by key.
func (s *Store) Contacts() ([]Contact, error) {
	rows, err := s.db.Query(`SELECT key, nickname, network_name, updated_ms FROM contacts ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var cs []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Key, &c.Nickname, &c.NetworkName, &c.Updated); err != nil {
			return nil, fmt.Errorf("list contacts: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return cs, nil
}
