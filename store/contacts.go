package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// Contact is what we know about a peer key: the nickname the user gave it
// and the name the peer announced on the network.
type Contact struct {
	Key         string // "0x04…"
	Nickname    string
	NetworkName string
}

// SetNickname sets the user's nickname for key, creating the contact if
// needed. An empty nick clears it.
func (s *Store) SetNickname(key, nick string) error {
	return s.upsertContact("nickname", key, nick)
}

// SetNetworkName records the name key goes by on the network, creating the
// contact if needed.
func (s *Store) SetNetworkName(key, name string) error {
	return s.upsertContact("network_name", key, name)
}

// upsertContact sets one column; column is one of our own constants, never
// caller input.
func (s *Store) upsertContact(column, key, value string) error {
	what := fmt.Sprintf("set %s of contact %s", column, key)
	if key == "" {
		return fmt.Errorf("%s: empty key", what)
	}
	return s.write(what, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO contacts (key, `+column+`) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET `+column+` = excluded.`+column, key, value)
		return err
	})
}

// Contact returns the contact for key.
func (s *Store) Contact(key string) (Contact, bool, error) {
	c := Contact{Key: key}
	err := s.db.QueryRow(`SELECT nickname, network_name FROM contacts WHERE key = ?`, key).
		Scan(&c.Nickname, &c.NetworkName)
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
	rows, err := s.db.Query(`SELECT key, nickname, network_name FROM contacts ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var cs []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Key, &c.Nickname, &c.NetworkName); err != nil {
			return nil, fmt.Errorf("list contacts: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return cs, nil
}
