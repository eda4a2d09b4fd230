package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is wrapped by errors from updates that name a chat or message
// the store does not hold.
var ErrNotFound = errors.New("not found")

// ErrSchemaTooNew is wrapped by Open when the database was written by a newer
// version of hush whose schema this one does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this hush supports")

// maxOpenConns bounds the connection pool. In WAL mode readers run in
// parallel with the single writer; a few connections cover the session's
// goroutines, and each connection carries its own page cache.
const maxOpenConns = 4

// pageCacheKiB is each connection's page cache. Storing a 100,000-message
// catch-up took about a fifth less CPU with 8 MiB than with the default
// 2 MB (BENCHMARKS.md, catch-up on every core); 16 MiB gave no more.
const pageCacheKiB = 8 << 10

// busyTimeout is how long SQLite retries a lock held by another process
// (another hush on the same file) before failing. Writers in this process
// never wait on it: they queue on Store.writeMu.
const busyTimeout = 10 * time.Second

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	log *slog.Logger

	// writeMu serializes writers in this process so they queue in Go rather
	// than spin in SQLite's busy handler.
	writeMu sync.Mutex

	// The page check Open starts: see checkPages.
	checkStop context.CancelFunc
	checkDone chan struct{} // closed when the check has ended
	problems  []string      // what it found; written before checkDone closes

	// The checkpointer (checkpoint.go): woken by wrote after commits.
	wrote          chan struct{}
	ownWrite       chan struct{} // a commit of the user's own lines: checkpoint now
	checkpointStop context.CancelFunc
	checkpointDone chan struct{}
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. path must be a file path; ":memory:" is not supported because
// each pooled connection would see a different database.
//
// The database and its side files are kept readable by the owner only
// (0600). Open starts a check of the file's pages (PRAGMA quick_check) in
// the background that logs what it finds wrong; Problems returns it.
func Open(path string, logger *slog.Logger) (*Store, error) {
	return open(path, logger, checkpointPause)
}

// open is Open with the checkpointer's pause (tests lengthen it).
func open(path string, logger *slog.Logger, pause time.Duration) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open store: need a file path, got %q", path)
	}
	if strings.ContainsAny(path, "?#") {
		// The driver splits its options off at the first '?'.
		return nil, fmt.Errorf("open store %s: path must not contain '?' or '#'", path)
	}
	start := time.Now()
	if err := privateDB(path, logger); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_foreign_keys", "1")
	params.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	params.Set("_synchronous", "NORMAL")
	// A page cache that holds the messages' indexes of a busy store
	// (SQLite's default is 2 MB): ids and envelope hashes are random keys,
	// so every insert lands on another leaf of each, and with the default
	// most of those reads were system calls and a batch's dirty pages
	// spilled to the log before its commit. Per connection, allocated as
	// used.
	params.Set("_cache_size", fmt.Sprint(-pageCacheKiB))
	// Zero what a delete frees: the encryption layer deletes used message
	// keys so that a later copy of this file cannot read old messages, and
	// without this the bytes stay in the page's free space. The WAL keeps
	// recent page images until a checkpoint; a clean close removes it.
	params.Set("_secure_delete", "true")
	// Take the write lock at BEGIN: a deferred transaction that reads first
	// and then writes can fail with SQLITE_BUSY when another connection
	// wrote in between, and the busy handler cannot help with that.
	params.Set("_txlock", "immediate")
	db := sql.OpenDB(newConnector(path + "?" + params.Encode()))
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &Store{db: db, log: logger, wrote: make(chan struct{}, 1), ownWrite: make(chan struct{}, 1)}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.checkStop, s.checkDone = cancel, make(chan struct{})
	go s.checkPages(ctx, path)
	ckptCtx, ckptCancel := context.WithCancel(context.Background())
	s.checkpointStop, s.checkpointDone = ckptCancel, make(chan struct{})
	go s.checkpointLoop(ckptCtx, pause)
	logger.Debug("store opened", "path", path, "took", time.Since(start))
	return s, nil
}

func (s *Store) init() error {
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		// Some file systems (network mounts) cannot do WAL; SQLite then
		// keeps the rollback journal, which is slower but correct.
		s.log.Warn("store is not in WAL mode", "journal_mode", mode)
	}
	return s.migrate()
}

// Close releases the database. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.checkStop()
	<-s.checkDone
	s.checkpointStop()
	<-s.checkpointDone
	s.checkpointAtClose()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// write runs fn in one immediate transaction, committed if fn returns nil.
func (s *Store) write(what string, fn func(tx *sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	s.noteWrite()
	return nil
}

// updatedOne reports ErrNotFound when an UPDATE touched no row.
func updatedOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
