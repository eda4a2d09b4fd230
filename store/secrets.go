package store

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Secrets is the key-value view of the secrets table that the end-to-end
// encryption layer keeps its state in (bundles, prekeys, ratchet sessions,
// skipped message keys, installations). Values arrive sealed by that layer;
// the store neither reads nor checks them.
//
// Every method runs on its own; Apply writes many changes in one
// transaction, which is how a batch of received messages pays for one
// commit instead of one per message.
type Secrets struct{ s *Store }

// Secrets returns the store's secrets table as a key-value store.
func (s *Store) Secrets() *Secrets { return &Secrets{s: s} }

// SecretOp is one change for Apply: a Put, or a Delete when Delete is set.
type SecretOp struct {
	NS, Key string
	Value   []byte
	Delete  bool
}

// Put sets the value of (ns, key).
func (k *Secrets) Put(ns, key string, value []byte) error {
	return k.Apply([]SecretOp{{NS: ns, Key: key, Value: value}})
}

// Delete removes (ns, key); a missing key is not an error.
func (k *Secrets) Delete(ns, key string) error {
	return k.Apply([]SecretOp{{NS: ns, Key: key, Delete: true}})
}

// Apply writes ops in order in one transaction: all or none.
func (k *Secrets) Apply(ops []SecretOp) error {
	if len(ops) == 0 {
		return nil
	}
	what := fmt.Sprintf("write %d secrets", len(ops))
	if len(ops) == 1 {
		what = fmt.Sprintf("write secret %s/%s", ops[0].NS, ops[0].Key)
	}
	return k.s.write(what, func(tx *sql.Tx) error {
		put, err := tx.Prepare(`INSERT INTO secrets (ns, key, value) VALUES (?, ?, ?)
			ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`)
		if err != nil {
			return err
		}
		defer put.Close()
		del, err := tx.Prepare(`DELETE FROM secrets WHERE ns = ? AND key = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, op := range ops {
			if op.Delete {
				_, err = del.Exec(op.NS, op.Key)
			} else {
				if op.Value == nil {
					// NOT NULL: an empty value is stored as empty, not NULL.
					op.Value = []byte{}
				}
				_, err = put.Exec(op.NS, op.Key, op.Value)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", op.NS, op.Key, err)
			}
		}
		return nil
	})
}

// Get reads the value of (ns, key); ok is false when there is none.
func (k *Secrets) Get(ns, key string) ([]byte, bool, error) {
	var v []byte
	err := k.s.db.QueryRow(`SELECT value FROM secrets WHERE ns = ? AND key = ?`, ns, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read secret %s/%s: %w", ns, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// Keys lists the keys of ns that start with prefix, in byte order. The
// range scan uses the primary key: the prefix's upper bound is the prefix
// with its last byte raised, so no LIKE (and no escaping) is needed.
func (k *Secrets) Keys(ns, prefix string) ([]string, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if end, ok := prefixEnd(prefix); ok {
		rows, err = k.s.db.Query(`SELECT key FROM secrets WHERE ns = ? AND key >= ? AND key < ? ORDER BY key`,
			ns, prefix, end)
	} else {
		rows, err = k.s.db.Query(`SELECT key FROM secrets WHERE ns = ? AND key >= ? ORDER BY key`, ns, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("list secrets %s/%s*: %w", ns, prefix, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("list secrets %s/%s*: %w", ns, prefix, err)
		}
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list secrets %s/%s*: %w", ns, prefix, err)
	}
	return keys, nil
}

// prefixEnd gives the smallest string greater than every string starting
// with prefix; ok is false when there is none (empty prefix, or all 0xff).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// settingInstallationID names the installation id in the settings table.
const settingInstallationID = "installation-id"

// InstallationID returns this database's installation id (PROTOCOL.md §7):
// a random UUID made the first time it is asked for and kept from then on.
// It lives in the database, next to the ratchet sessions bound to it, so a
// copied data dir stays one installation and a fresh one becomes another.
func (s *Store) InstallationID() (string, error) {
	fresh, err := newUUID()
	if err != nil {
		return "", fmt.Errorf("installation id: %w", err)
	}
	var id string
	err = s.write("installation id", func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			settingInstallationID, fresh); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT value FROM settings WHERE name = ?`, settingInstallationID).Scan(&id)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// newUUID makes a random (version 4) UUID in its usual text form, the form
// Status used for installation ids.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var sb strings.Builder
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			sb.WriteByte('-')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String(), nil
}
