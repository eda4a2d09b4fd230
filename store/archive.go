package store

import (
	"database/sql"
	"fmt"
)

// archivePage is how many rows ArchiveScan reads per query: large enough to
// amortize the query, small enough that a scan over millions of envelopes
// holds little memory and no connection while the callback runs.
const archivePage = 500

// ArchivePut stores raw envelopes under their keys in one transaction.
// Keys already present keep their first value. Keys are opaque byte strings,
// ordered bytewise; empty keys are refused.
func (s *Store) ArchivePut(keys, raws [][]byte) error {
	if len(keys) != len(raws) {
		return fmt.Errorf("archive put: %d keys but %d values", len(keys), len(raws))
	}
	for i, k := range keys {
		if len(k) == 0 {
			return fmt.Errorf("archive put: key %d is empty", i)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return s.write("archive put", func(tx *sql.Tx) error {
		insert, err := tx.Prepare(`INSERT INTO archive (key, raw) VALUES (?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer insert.Close()
		var added int64
		for i, k := range keys {
			raw := raws[i]
			if raw == nil {
				raw = []byte{} // nil would bind as NULL
			}
			res, err := insert.Exec(k, raw)
			if err != nil {
				return fmt.Errorf("key %x: %w", k, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("key %x: %w", k, err)
			}
			added += n
		}
		// The count is kept here rather than by a trigger so that a prune
		// of many rows costs one update, not one per row.
		_, err = tx.Exec(`UPDATE archive_stats SET count = count + ? WHERE id = 1`, added)
		return err
	})
}

// ArchiveScan calls fn for each stored envelope with from <= key < to, in
// ascending key order, until fn returns false. A nil from starts at the first
// key; a nil to runs to the last. fn may call other Store methods: rows are
// read a page at a time and no query is open while fn runs. The slices passed
// to fn are fn's to keep.
func (s *Store) ArchiveScan(from, to []byte, fn func(key, raw []byte) bool) error {
	if to != nil && len(to) == 0 {
		return nil // nothing sorts below the empty key
	}
	cursor := from
	inclusive := true
	// Each pass either returns or moves the cursor past a full page of
	// stored keys, so the loop ends with the keys.
	for {
		page, err := s.archivePage(cursor, inclusive, to)
		if err != nil {
			return fmt.Errorf("archive scan: %w", err)
		}
		for _, e := range page {
			if !fn(e.key, e.raw) {
				return nil
			}
		}
		if len(page) < archivePage {
			return nil
		}
		cursor, inclusive = page[len(page)-1].key, false
	}
}

type archiveEntry struct{ key, raw []byte }

func (s *Store) archivePage(from []byte, inclusive bool, to []byte) ([]archiveEntry, error) {
	q := `SELECT key, raw FROM archive WHERE 1`
	var args []any
	switch {
	case from == nil:
	case inclusive:
		q += ` AND key >= ?`
		args = append(args, from)
	default:
		q += ` AND key > ?`
		args = append(args, from)
	}
	if to != nil {
		q += ` AND key < ?`
		args = append(args, to)
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, archivePage)
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := make([]archiveEntry, 0, archivePage)
	for rows.Next() {
		var e archiveEntry
		if err := rows.Scan(&e.key, &e.raw); err != nil {
			return nil, err
		}
		page = append(page, e)
	}
	return page, rows.Err()
}

// ArchivePrune deletes every envelope whose key sorts before before and
// returns how many went.
func (s *Store) ArchivePrune(before []byte) (int64, error) {
	if len(before) == 0 {
		return 0, nil
	}
	var n int64
	err := s.write("archive prune", func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM archive WHERE key < ?`, before)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE archive_stats SET count = count - ? WHERE id = 1`, n)
		return err
	})
	return n, err
}

// ArchiveCount returns how many envelopes the archive holds.
func (s *Store) ArchiveCount() (int64, error) {
	var n int64
	if err := s.db.QueryRow(`SELECT count FROM archive_stats WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("archive count: %w", err)
	}
	return n, nil
}
