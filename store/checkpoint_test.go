package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// TestOwnLineSyncedAtOnce: received messages wait for the checkpointer's
// pause (here an hour), a line of the user's own ends it, so what they
// typed reaches the database file, synced, right after its commit.
func TestOwnLineSyncedAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hush.db")
	s, err := open(path, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustJoin(t, s, "status", ChatPublic)
	inFile := func(text string) bool {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(raw, []byte(text))
	}
	add := func(n int, text string, outgoing bool) {
		m := newMessage("status", n, int64(n))
		m.Text, m.Outgoing = text, outgoing
		mustAdd(t, s, m)
	}
	// Opening checkpoints the migrations' writes and then pauses, or
	// pauses after these: either way, once the first own line is in the
	// file the checkpointer has checkpointed and is in its hour's pause.
	add(1, "first-received-line", false)
	add(2, "first-own-line", true)
	waitFor(t, "the first own line in the database file", func() bool { return inFile("first-own-line") })
	if !inFile("first-received-line") {
		t.Fatal("the checkpoint after the user's line left out the message committed before it")
	}
	add(3, "second-received-line", false)
	add(4, "second-own-line", true)
	waitFor(t, "the second own line in the database file", func() bool { return inFile("second-own-line") })
	if !inFile("second-received-line") {
		t.Fatal("the checkpoint after the user's line left out the message committed before it")
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
