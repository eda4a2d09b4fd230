package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Settings that hold the user's display name and when it last went out
// to the contacts (PROTOCOL.md §9.2).
const (
	settingDisplayName = "display-name"
	settingNameSent    = "display-name-sent"    // the name last sent to the contacts
	settingNameSentMs  = "display-name-sent-ms" // when, unix ms
)

// NameState is the user's display name and what the contacts were last
// told.
type NameState struct {
	Name     string // "" when none is set
	SentName string // the name last sent in contact updates
	SentMs   int64  // when it was sent; 0 never
}

// NameState reads the display name and its last sending.
func (s *Store) NameState() (NameState, error) {
	var st NameState
	var sentMs string
	for _, f := range []struct {
		name string
		dst  *string
	}{{settingDisplayName, &st.Name}, {settingNameSent, &st.SentName}, {settingNameSentMs, &sentMs}} {
		err := s.db.QueryRow(`SELECT value FROM settings WHERE name = ?`, f.name).Scan(f.dst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return NameState{}, fmt.Errorf("read %s: %w", f.name, err)
		}
	}
	if sentMs != "" {
		ms, err := strconv.ParseInt(sentMs, 10, 64)
		if err != nil {
			return NameState{}, fmt.Errorf("read %s: %w", settingNameSentMs, err)
		}
		st.SentMs = ms
	}
	return st, nil
}

// SetDisplayName sets the user's display name ("" removes it).
func (s *Store) SetDisplayName(name string) error {
	return s.setSettings("set display name", map[string]string{settingDisplayName: name})
}

// SetNameSent records that name went to the contacts at sentMs.
func (s *Store) SetNameSent(name string, sentMs int64) error {
	return s.setSettings("record display name sent", map[string]string{
		settingNameSent:   name,
		settingNameSentMs: strconv.FormatInt(sentMs, 10),
	})
}

func (s *Store) setSettings(what string, values map[string]string) error {
	return s.write(what, func(tx *sql.Tx) error {
		for name, value := range values {
			if _, err := tx.Exec(`INSERT INTO settings (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
				return err
			}
		}
		return nil
	})
}
