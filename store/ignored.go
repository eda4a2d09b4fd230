package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Ignore adds key ("0x04…") to the ignored senders; ignoring twice is not an
// error.
func (s *Store) Ignore(key string) error {
	what := fmt.Sprintf("ignore %s", key)
	if key == "" {
		return fmt.Errorf("%s: empty key", what)
	}
	return s.write(what, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO ignored (key, created_ms) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
			key, time.Now().UnixMilli())
		return err
	})
}

// Unignore removes key from the ignored senders and reports whether it was
// there.
func (s *Store) Unignore(key string) (bool, error) {
	var removed bool
	err := s.write(fmt.Sprintf("unignore %s", key), func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM ignored WHERE key = ?`, key)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		removed = n > 0
		return err
	})
	return removed, err
}

// IgnoredKeys lists the ignored senders in the order they were ignored.
func (s *Store) IgnoredKeys() ([]string, error) {
	rows, err := s.db.Query(`SELECT key FROM ignored ORDER BY created_ms, key`)
	if err != nil {
		return nil, fmt.Errorf("list ignored: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("list ignored: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ignored: %w", err)
	}
	return keys, nil
}
