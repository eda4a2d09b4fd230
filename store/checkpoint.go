package store

import (
	"context"
	"database/sql/driver"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Checkpoints off the writers' path.
//
// In WAL mode a commit appends pages to the -wal file; a checkpoint copies
// them back into the database and syncs both files. SQLite runs it inside
// the commit that crosses 1,000 pages, so the writer (the session's receive
// loop, one goroutine) waited on two fsyncs every few hundred received
// messages: a 100,000-message catch-up spent seconds of it idle on the
// disk. Here every connection has automatic checkpoints off, and one
// goroutine checkpoints after writes instead (PASSIVE: beside the writer,
// never blocking it). A PASSIVE checkpoint cannot catch up with a writer
// that never pauses, so when the log passes walRestartFrames the
// checkpoint waits for the writer (RESTART) and the next commit starts
// the log over.
//
// Durability: with synchronous=NORMAL a commit is on disk once the next
// checkpoint has synced the log, so the pause between checkpoints is how
// much a power cut can take back (a crash of the process takes nothing:
// the log is in the kernel's cache). A checkpoint copies every page
// changed since the last one, and received messages change a leaf of each
// random-key index per message, so checkpointing often copies those
// indexes over and over: a catch-up took about a tenth longer for it
// with a 200 ms pause. The pause is therefore a second, and a line the
// user sent ends it early (noteOwnWrite): what they typed is synced at
// once, what was received may be asked for again.

const (
	// checkpointPause is how long the checkpointer waits after a
	// checkpoint before the next: it collects the writes meanwhile.
	checkpointPause = time.Second
	// walRestartFrames is the log size (pages) past which a checkpoint
	// makes the writer wait: 64 MB with 4 KB pages.
	walRestartFrames = 16384
	// ownRetry is how soon a checkpoint that left the user's line in the
	// log is tried again.
	ownRetry = 50 * time.Millisecond
)

// connector opens the store's connections with automatic checkpoints off
// (the driver's DSN has no option for it).
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func newConnector(dsn string) *connector {
	return &connector{dsn: dsn, drv: &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil)
			return err
		},
	}}
}

func (c *connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c *connector) Driver() driver.Driver                        { return c.drv }

// noteWrite wakes the checkpointer after a commit.
func (s *Store) noteWrite() {
	select {
	case s.wrote <- struct{}{}:
	default:
	}
}

// noteOwnWrite wakes the checkpointer after a commit that stored what the
// user wrote, and ends its pause: that commit is synced now.
func (s *Store) noteOwnWrite() {
	s.noteWrite()
	select {
	case s.ownWrite <- struct{}{}:
	default:
	}
}

// checkpointLoop checkpoints after writes until ctx ends; Close then
// runs the last one (checkpointAtClose).
func (s *Store) checkpointLoop(ctx context.Context, every time.Duration) {
	defer close(s.checkpointDone)
	// ownPending: a line of the user's is in the log and not known to be
	// in the database yet. A reader's snapshot (the page check at start,
	// a screen being read) can hold part of the log back from a PASSIVE
	// checkpoint; then it is tried again soon, not after a whole pause.
	ownPending := false
	for {
		if !ownPending {
			select {
			case <-ctx.Done():
				return
			case <-s.wrote:
			}
		}
		select {
		case <-s.ownWrite:
			ownPending = true
		default:
		}
		if s.checkpoint(ctx, "PASSIVE") {
			ownPending = false
		}
		wait := every
		if ownPending {
			wait = ownRetry
		}
		pause := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			pause.Stop()
			return
		case <-pause.C:
		case <-s.ownWrite:
			pause.Stop()
			ownPending = true
		}
	}
}

// checkpoint runs one checkpoint of mode, then a RESTART if the log is
// still past walRestartFrames. It reports whether the whole log is in the
// database now.
func (s *Store) checkpoint(ctx context.Context, mode string) bool {
	var busy, logFrames, done int
	err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &done)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("checkpoint", "mode", mode, "err", err)
		}
		return false
	}
	if mode == "PASSIVE" && logFrames > walRestartFrames {
		s.log.Debug("checkpoint: log too long, waiting for the writer", "frames", logFrames, "checkpointed", done)
		return s.checkpoint(ctx, "RESTART")
	}
	// -1 and -1: not in WAL mode, nothing to copy.
	return busy == 0 && done >= logFrames
}

// checkpointAtClose copies the whole log into the database and empties
// it. SQLite's own checkpoint when the last connection closes is skipped
// when that connection did not see the file change, which another
// connection's checkpoint does: without this the log, with the old page
// images the secure_delete setting keeps out of the database, would
// outlive a clean close.
func (s *Store) checkpointAtClose() {
	var busy, logFrames, done int
	if err := s.db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		s.log.Warn("checkpoint at close", "err", err)
		return
	}
	if busy != 0 {
		s.log.Warn("checkpoint at close: the log is in use elsewhere", "frames", logFrames, "checkpointed", done)
	}
}
