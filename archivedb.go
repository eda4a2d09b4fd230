package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"hush/store"
	"hush/store/pgarchive"
	"hush/whisper/mailserver"
)

// Both archives implement what the mailserver needs, including pruning
// (--retention) and sizing (metrics).
var (
	_ mailserver.Archive = (*store.Store)(nil)
	_ mailserver.Pruner  = (*store.Store)(nil)
	_ mailserver.Sizer   = (*store.Store)(nil)
	_ mailserver.Archive = (*pgarchive.Archive)(nil)
	_ mailserver.Pruner  = (*pgarchive.Archive)(nil)
	_ mailserver.Sizer   = (*pgarchive.Archive)(nil)
)

// openArchive opens hush serve's archive: the PostgreSQL database named by
// --archive-db, or DATA-DIR/archive.db (SQLite).
func openArchive(opts options, logger *slog.Logger) (mailserver.Archive, func(), error) {
	if opts.archiveDB != "" {
		a, err := pgarchive.Open(opts.archiveDB, logger)
		if err != nil {
			return nil, nil, err
		}
		return a, a.Close, nil
	}
	st, err := store.Open(filepath.Join(opts.dataDir, "archive.db"), logger)
	if err != nil {
		return nil, nil, err
	}
	go func() {
		// The check runs while the node serves; a damaged archive
		// still serves what it can read.
		if w := damageWarning("archive.db", st.Problems()); w != "" {
			fmt.Fprintln(os.Stderr, "hush: warning:", w)
		}
	}()
	return st, func() { st.Close() }, nil
}
