package store

import (
	"database/sql"
	"fmt"
	"strings"
)

// archivePage is how many rows ArchiveScan reads per query: large enough to
// amortize the query, small enough that a scan over millions of envelopes
// holds little memory and no connection while the callback runs.
const archivePage = 500

// ArchivePut stores raw envelopes under their keys in one transaction.
// Keys already present keep their first value. Keys are byte strings,
// ordered bytewise, whose last 4 bytes are the envelope's topic (the
// mailserver's key layout); empty keys are refused.
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
		if err := addArchiveTopics(tx, keys); err != nil {
			return err
		}
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

// archiveTopicOf is the topic of a key: its last 4 bytes (the whole key
// when shorter), as substr(key, -4) computes it in SQL.
func archiveTopicOf(key []byte) []byte {
	return key[max(len(key)-4, 0):]
}

// addArchiveTopics records the topics of keys (most batches repeat a few).
func addArchiveTopics(tx *sql.Tx, keys [][]byte) error {
	seen := make(map[string]bool)
	for _, k := range keys {
		topic := archiveTopicOf(k)
		if seen[string(topic)] {
			continue
		}
		seen[string(topic)] = true
		if _, err := tx.Exec(`INSERT OR IGNORE INTO archive_topics (topic) VALUES (?)`, topic); err != nil {
			return fmt.Errorf("topic %x: %w", topic, err)
		}
	}
	return nil
}

// maxTopicBranches is the most topics ArchiveRead reads through the topic
// index, one index range each; a request for more topics than that reads
// in key order and keeps what matches.
const maxTopicBranches = 64

// ArchiveRead returns, in ascending key order, at most limit stored pairs
// with from <= key < to whose topic is one of topics (nil: any topic). The
// returned slices are the caller's.
func (s *Store) ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error) {
	if limit <= 0 || (topics != nil && len(topics) == 0) {
		return nil, nil, nil
	}
	var rows *sql.Rows
	switch {
	case topics == nil:
		rows, err = s.db.Query(`SELECT key, raw FROM archive WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`,
			from, to, limit)
	case len(topics) <= maxTopicBranches:
		// One index range per topic, each cut at limit, merged by key.
		var q strings.Builder
		args := make([]any, 0, 4*len(topics)+1)
		for i, topic := range topics {
			if i > 0 {
				q.WriteString(" UNION ALL ")
			}
			q.WriteString(`SELECT * FROM (SELECT key, raw FROM archive WHERE substr(key, -4) = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?)`)
			args = append(args, topic, from, to, limit)
		}
		q.WriteString(` ORDER BY 1 LIMIT ?`)
		rows, err = s.db.Query(q.String(), append(args, limit)...)
	default:
		return s.archiveReadFiltered(from, to, topics, limit)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("archive read: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, r []byte
		if err := rows.Scan(&k, &r); err != nil {
			return nil, nil, fmt.Errorf("archive read: %w", err)
		}
		keys, raws = append(keys, k), append(raws, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("archive read: %w", err)
	}
	return keys, raws, nil
}

// archiveReadFiltered is ArchiveRead for many topics: pages in key order,
// keeping the rows of the wanted topics.
func (s *Store) archiveReadFiltered(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error) {
	want := make(map[string]bool, len(topics))
	for _, t := range topics {
		want[string(t)] = true
	}
	err = s.ArchiveScan(from, to, func(k, r []byte) bool {
		if want[string(archiveTopicOf(k))] {
			keys, raws = append(keys, k), append(raws, r)
		}
		return len(keys) < limit
	})
	return keys, raws, err
}

// ArchiveTopics returns every topic ever archived, in any order.
func (s *Store) ArchiveTopics() ([][]byte, error) {
	rows, err := s.db.Query(`SELECT topic FROM archive_topics`)
	if err != nil {
		return nil, fmt.Errorf("archive topics: %w", err)
	}
	defer rows.Close()
	var topics [][]byte
	for rows.Next() {
		var t []byte
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("archive topics: %w", err)
		}
		topics = append(topics, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("archive topics: %w", err)
	}
	return topics, nil
}

// ArchiveSize returns how many envelopes the archive holds and the size of
// the database file in bytes (the whole file: `hush serve` keeps its
// archive in a file of its own).
func (s *Store) ArchiveSize() (envelopes, bytes int64, err error) {
	if envelopes, err = s.ArchiveCount(); err != nil {
		return 0, 0, err
	}
	var pages, pageSize int64
	if err := s.db.QueryRow(`SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &pageSize); err != nil {
		return 0, 0, fmt.Errorf("archive size: %w", err)
	}
	return envelopes, pages * pageSize, nil
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
