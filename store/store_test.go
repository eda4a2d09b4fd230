package store

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestOpenMigratesEmptyFile(t *testing.T) {
	s, _ := openTest(t)
	v, err := userVersion(s.db)
	if err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Fatalf("user_version = %d, want %d", v, SchemaVersion())
	}
	pragmas := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1"}
	for name, want := range pragmas {
		var got string
		if err := s.db.QueryRow("PRAGMA " + name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", name, got, want)
		}
	}
	var tables int
	err = s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'
		AND name IN ('chats', 'messages', 'messages_fts', 'contacts', 'archive', 'archive_stats')`).Scan(&tables)
	if err != nil {
		t.Fatal(err)
	}
	if tables != 6 {
		t.Fatalf("found %d of 6 tables", tables)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	s, _ := openTest(t)
	_, err := s.db.Exec(`INSERT INTO messages (id, chat, clock, sent_ms, content_type, message_type, text,
		outgoing, state, read) VALUES (x'01', 999, 1, 1, '', '', '', 0, 0, 0)`)
	if err == nil {
		t.Fatal("a message in a missing chat was accepted")
	}
}

func TestReopenKeepsData(t *testing.T) {
	s, path := openTest(t)
	mustJoin(t, s, "status", ChatPublic)
	m := newMessage("status", 1, 100)
	mustAdd(t, s, m)
	if err := s.SetNickname("0x04aa", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.ArchivePut([][]byte{{1}}, [][]byte{{2}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if _, ok, err := s2.Chat("status"); err != nil || !ok {
		t.Fatalf("chat after reopen: ok=%v err=%v", ok, err)
	}
	got, ok, err := s2.Message(m.ID)
	if err != nil || !ok || got.Text != m.Text {
		t.Fatalf("message after reopen: %+v ok=%v err=%v", got, ok, err)
	}
	if c, ok, err := s2.Contact("0x04aa"); err != nil || !ok || c.Nickname != "alice" {
		t.Fatalf("contact after reopen: %+v ok=%v err=%v", c, ok, err)
	}
	if n, err := s2.ArchiveCount(); err != nil || n != 1 {
		t.Fatalf("archive count after reopen = %d, %v", n, err)
	}
	if n, err := s2.CountMessages("status"); err != nil || n != 1 {
		t.Fatalf("message count after reopen = %d, %v", n, err)
	}
}

func TestFutureSchemaRefused(t *testing.T) {
	s, path := openTest(t)
	s.Close()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	future := SchemaVersion() + 1
	if _, err := raw.Exec("PRAGMA user_version = " + strconv.Itoa(future)); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	if s2, err := Open(path, nil); !errors.Is(err, ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("Open of a future schema: err = %v, want ErrSchemaTooNew", err)
	}

	// Refusing must leave the file as the newer hush wrote it.
	raw, err = sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if v, err := userVersion(raw); err != nil || v != future {
		t.Fatalf("user_version after refusal = %d, %v; want %d", v, err, future)
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", filepath.Join(t.TempDir(), "a?b.db")} {
		if s, err := Open(p, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, nil); err == nil {
		s.Close()
		t.Fatal("Open of a non-database file succeeded")
	}
}
