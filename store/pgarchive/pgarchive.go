// Package pgarchive keeps `hush serve`'s envelope archive in PostgreSQL, so
// that it outlives one machine and several servers can share it (PROTOCOL.md
// §11). It implements the mailserver's archive with the same contract as the
// SQLite store: keys are mailserver keys (BE32 sent ‖ envelope hash ‖ topic),
// compared bytewise, and a key already stored is the same envelope, so two
// servers inserting what they both received store it once.
package pgarchive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// opTimeout bounds every database call, so a database that stops answering
// costs a failed write or an aborted page, not a stuck server.
const opTimeout = 30 * time.Second

// Archive is an envelope archive in one PostgreSQL database. It is safe for
// concurrent use, and any number of Archives (in any number of processes)
// may share the database.
type Archive struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu       sync.Mutex
	topics   map[string]bool // topics this handle knows are in archive_topics
	topicsAt time.Time       // when archive_topics was last read whole
}

// Open connects to the database at url (postgres://…), brings its schema
// up to date and returns the archive. logger may be nil.
func Open(url string, logger *slog.Logger) (*Archive, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("open archive database: cannot parse the URL (want postgres://user:password@host:port/database)")
	}
	// The planner's default prices a random page read at 4 sequential ones
	// (disks that seek). On SSD or a cached archive that makes it prefer
	// walking the key index and filtering a busy time range by topic over
	// reading just that topic's range through (topic, key); 1.1 is the usual
	// setting for SSD.
	//
	// Reads are prepared statements (pgx caches them); a generic plan, made
	// without the parameters' values, cannot tell a quiet topic from a busy
	// one or a day from a month, so every read is planned for its values.
	// Either setting given in the URL (…?random_page_cost=4) is kept.
	for name, value := range map[string]string{"random_page_cost": "1.1", "plan_cache_mode": "force_custom_plan"} {
		if _, ok := cfg.ConnConfig.RuntimeParams[name]; !ok {
			cfg.ConnConfig.RuntimeParams[name] = value
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open archive database: %w", err)
	}
	a := &Archive{pool: pool, log: logger, topics: map[string]bool{}}
	if err := a.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return a, nil
}

// Close closes the connections.
func (a *Archive) Close() { a.pool.Close() }

// topicOf is a key's topic: its last 4 bytes (the whole key when shorter).
func topicOf(key []byte) []byte { return key[max(len(key)-4, 0):] }

// ArchivePut stores the pairs in one transaction, ignoring keys already
// present, whoever stored them.
func (a *Archive) ArchivePut(keys, raws [][]byte) error {
	if len(keys) != len(raws) {
		return fmt.Errorf("archive put: %d keys but %d values", len(keys), len(raws))
	}
	if len(keys) == 0 {
		return nil
	}
	// Rows go in in key order: two servers inserting overlapping batches then
	// take their row locks in the same order and cannot deadlock.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return bytes.Compare(keys[i], keys[j]) })
	sortedKeys := make([][]byte, len(keys))
	sortedRaws := make([][]byte, len(keys))
	topics := make([][]byte, len(keys))
	for n, i := range order {
		if len(keys[i]) == 0 {
			return fmt.Errorf("archive put: key %d is empty", i)
		}
		sortedKeys[n], topics[n] = keys[i], topicOf(keys[i])
		sortedRaws[n] = raws[i]
		if sortedRaws[n] == nil {
			sortedRaws[n] = []byte{} // nil would be NULL
		}
	}
	newTopics := a.unknownTopics(topics)

	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		// Topics first: a reader that sees an envelope finds its topic listed.
		if len(newTopics) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO archive_topics (topic) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING`,
				newTopics); err != nil {
				return fmt.Errorf("topics: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO archive_envelopes (key, topic, raw)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]) ON CONFLICT (key) DO NOTHING`,
			sortedKeys, topics, sortedRaws)
		return err
	})
	if err != nil {
		return fmt.Errorf("archive put: %w", err)
	}
	a.mu.Lock()
	for _, t := range newTopics {
		a.topics[string(t)] = true
	}
	a.mu.Unlock()
	return nil
}

// unknownTopics returns the distinct topics in sorted order that this
// handle has not stored or read yet.
func (a *Archive) unknownTopics(topics [][]byte) [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out [][]byte
	for _, t := range topics {
		if !a.topics[string(t)] && !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, t) }) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

// maxTopicBranches is the most topics ArchiveRead reads through the topic
// index, one ordered index range each, merged (Merge Append) under the
// limit; a request for more topics reads in key order and filters.
const maxTopicBranches = 64

// ArchiveRead returns, in ascending key order, at most limit stored pairs
// with from <= key < to whose topic is one of topics (nil: any topic). The
// returned slices are the caller's.
func (a *Archive) ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error) {
	if limit <= 0 || (topics != nil && len(topics) == 0) {
		return nil, nil, nil
	}
	sql, args := readQuery(from, to, topics, limit)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := a.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("archive read: %w", err)
	}
	defer rows.Close()
	keys = make([][]byte, 0, limit)
	raws = make([][]byte, 0, limit)
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

// readQuery is ArchiveRead's statement. Each shape answers from an index
// without reading rows it does not return: by key alone (the primary key),
// or per topic on (topic, key), each branch stopping at limit.
func readQuery(from, to []byte, topics [][]byte, limit int) (string, []any) {
	switch {
	case topics == nil:
		return `SELECT key, raw FROM archive_envelopes WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3`,
			[]any{from, to, limit}
	case len(topics) > maxTopicBranches:
		return `SELECT key, raw FROM archive_envelopes WHERE key >= $1 AND key < $2 AND topic = ANY($3)
			ORDER BY key LIMIT $4`, []any{from, to, topics, limit}
	}
	var q strings.Builder
	args := []any{from, to, limit}
	q.WriteString(`SELECT key, raw FROM (`)
	for i, t := range topics {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		q.WriteString(`(SELECT key, raw FROM archive_envelopes WHERE topic = $`)
		q.WriteString(strconv.Itoa(len(args) + 1))
		q.WriteString(` AND key >= $1 AND key < $2 ORDER BY key LIMIT $3)`)
		args = append(args, t)
	}
	q.WriteString(`) AS matched ORDER BY key LIMIT $3`)
	return q.String(), args
}

// topicsMaxAge is how long ArchiveTopics answers from what this handle
// last read and has written since, instead of asking the database: each
// request asks for the topics, and a topic first stored by another server
// sharing the archive is then seen by this one within topicsMaxAge.
const topicsMaxAge = 2 * time.Second

// ArchiveTopics returns every topic ever archived, in any order: those
// another server added in the last topicsMaxAge may be missing.
func (a *Archive) ArchiveTopics() ([][]byte, error) {
	a.mu.Lock()
	if !a.topicsAt.IsZero() && time.Since(a.topicsAt) < topicsMaxAge {
		topics := make([][]byte, 0, len(a.topics))
		for t := range a.topics {
			topics = append(topics, []byte(t))
		}
		a.mu.Unlock()
		return topics, nil
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	read := time.Now()
	rows, err := a.pool.Query(ctx, `SELECT topic FROM archive_topics`)
	if err != nil {
		return nil, fmt.Errorf("archive topics: %w", err)
	}
	topics, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("archive topics: %w", err)
	}
	a.mu.Lock()
	for _, t := range topics {
		a.topics[string(t)] = true
	}
	a.topicsAt = read
	a.mu.Unlock()
	return topics, nil
}

// ArchivePrune deletes every envelope whose key sorts before before and
// returns how many went. Servers sharing the archive may all prune; a row
// is deleted once.
func (a *Archive) ArchivePrune(before []byte) (int64, error) {
	if len(before) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*opTimeout)
	defer cancel()
	tag, err := a.pool.Exec(ctx, `DELETE FROM archive_envelopes WHERE key < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("archive prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

// exactCountBelow is the size under which ArchiveSize counts envelopes
// exactly; above it, counting would read the whole index, and the planner's
// estimate (kept by autovacuum's ANALYZE) is used.
const exactCountBelow = 1_000_000

// ArchiveSize returns how many envelopes the archive holds (estimated from
// table statistics above a million) and the bytes its tables and indexes
// take on disk.
func (a *Archive) ArchiveSize() (envelopes, bytes int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var estimate float64
	err = a.pool.QueryRow(ctx, `SELECT c.reltuples,
			pg_total_relation_size('archive_envelopes') + pg_total_relation_size('archive_topics')
		FROM pg_class c WHERE c.oid = 'archive_envelopes'::regclass`).Scan(&estimate, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("archive size: %w", err)
	}
	if estimate >= exactCountBelow {
		return int64(estimate), bytes, nil
	}
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM archive_envelopes`).Scan(&envelopes); err != nil {
		return 0, 0, fmt.Errorf("archive size: %w", err)
	}
	return envelopes, bytes, nil
}
