package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCleanCloseLeavesNoLog: quick writes, part of which the background
// checkpointer copies, then Close: the -wal file is gone and everything is
// in the database file itself. Without the checkpoint at close, SQLite
// skipped its own on most runs and the log stayed, old page images and all.
func TestCleanCloseLeavesNoLog(t *testing.T) {
	for run := range 4 {
		path := filepath.Join(t.TempDir(), "hush.db")
		s, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		kv := s.Secrets()
		for i := range 20 {
			if err := kv.Put("session", "alice/1", fmt.Appendf(nil, "value %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			t.Fatalf("run %d: the log outlived a clean close: %d bytes", run, fi.Size())
		}
		s, err = Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, ok, err := s.Secrets().Get("session", "alice/1")
		s.Close()
		if err != nil || !ok || string(v) != "value 19" {
			t.Fatalf("run %d: after reopening: %q %v %v", run, v, ok, err)
		}
	}
}
