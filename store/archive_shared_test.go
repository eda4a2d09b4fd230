package store

import (
	"path/filepath"
	"testing"

	"hush/store/archivetest"
)

// TestArchiveContract runs the archive tests every `hush serve` archive
// passes (the PostgreSQL one runs the same table in store/pgarchive).
func TestArchiveContract(t *testing.T) {
	paths := map[archivetest.Archive]string{}
	open := func(t *testing.T, path string) archivetest.Archive {
		s, err := Open(path, nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		paths[s] = path
		return s
	}
	archivetest.Run(t, archivetest.Opener{
		Open: func(t *testing.T) archivetest.Archive {
			return open(t, filepath.Join(t.TempDir(), "archive.db"))
		},
		OpenAgain: func(t *testing.T, a archivetest.Archive) archivetest.Archive {
			return open(t, paths[a])
		},
	})
}
