package store

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMigrateV1ToV2 writes a version-1 database by hand, as the first hush
// left it, and opens it: the schema moves to the current version, the chat
// and its messages are kept, and the ignored senders table works.
func TestMigrateV1ToV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hush.db")
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		schemaV1,
		`PRAGMA user_version = 1`,
		`INSERT INTO chats (id, kind, joined, last_clock, created_ms) VALUES ('status', 1, 1, 500, 1)`,
		`INSERT INTO messages (id, chat, sender, clock, sent_ms, content_type, message_type, text, payload,
			outgoing, state, read) VALUES (x'` + strings.Repeat("01", 32) + `', 1, x'04', 100, 1000, 'text/plain',
			'public-group-user-message', 'from version one', x'7b7d', 0, 0, 0)`,
		`INSERT INTO contacts (key, nickname) VALUES ('0x04aa', 'alice')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("write v1: %v", err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("open v1 file: %v", err)
	}
	defer s.Close()
	if v, err := userVersion(s.db); err != nil || v != SchemaVersion() || v < 2 {
		t.Fatalf("user_version = %d, %v; want %d (at least 2)", v, err, SchemaVersion())
	}
	ms, err := s.Latest("status", 10)
	if err != nil || len(ms) != 1 || ms[0].Text != "from version one" || ms[0].Clock != 100 || string(ms[0].Payload) != "{}" {
		t.Fatalf("messages after migration: %+v, %v", ms, err)
	}
	if c, ok, err := s.Chat("status"); err != nil || !ok || c.LastClock != 500 {
		t.Fatalf("chat after migration: %+v %v %v", c, ok, err)
	}
	if unread, err := s.UnreadCounts(); err != nil || unread["status"] != 1 {
		t.Fatalf("unread after migration: %v %v", unread, err)
	}
	if found, err := s.Search("status", "version", 10); err != nil || len(found) != 1 {
		t.Fatalf("search after migration: %d found, %v", len(found), err)
	}
	// Rows added after the migration are indexed per batch, not by the
	// trigger, and still counted by it.
	m := newMessage("status", 2, 200)
	m.Text = "after the version change"
	mustAdd(t, s, m)
	if found, err := s.Search("status", "version", 10); err != nil || len(found) != 2 {
		t.Fatalf("search after a new message: %d found, %v", len(found), err)
	}
	if n, err := s.CountMessages("status"); err != nil || n != 2 {
		t.Fatalf("CountMessages = %d, %v; want 2", n, err)
	}
	if c, ok, err := s.Contact("0x04aa"); err != nil || !ok || c.Nickname != "alice" {
		t.Fatalf("contact after migration: %+v %v %v", c, ok, err)
	}
	if err := s.Ignore("0x04bb"); err != nil {
		t.Fatalf("ignore after migration: %v", err)
	}
	if keys, err := s.IgnoredKeys(); err != nil || !slices.Equal(keys, []string{"0x04bb"}) {
		t.Fatalf("ignored after migration: %q %v", keys, err)
	}
}

func TestIgnored(t *testing.T) {
	s, path := openTest(t)
	if keys, err := s.IgnoredKeys(); err != nil || len(keys) != 0 {
		t.Fatalf("fresh store ignores %q, %v", keys, err)
	}
	for _, k := range []string{"0x04aa", "0x04bb", "0x04aa"} {
		if err := s.Ignore(k); err != nil {
			t.Fatalf("Ignore(%s): %v", k, err)
		}
	}
	if err := s.Ignore(""); err == nil {
		t.Error("Ignore of an empty key passed")
	}
	if removed, err := s.Unignore("0x04aa"); err != nil || !removed {
		t.Fatalf("Unignore = %v, %v", removed, err)
	}
	if removed, err := s.Unignore("0x04aa"); err != nil || removed {
		t.Fatalf("second Unignore = %v, %v", removed, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if keys, err := s2.IgnoredKeys(); err != nil || !slices.Equal(keys, []string{"0x04bb"}) {
		t.Fatalf("after reopen: %q %v", keys, err)
	}
}
