package store

import (
	"path/filepath"
	"testing"
)

// TestUpdateContactKeepsNewest: contact records apply only when sent later
// than the one applied last, in whatever order they arrive; a nickname is
// untouched by them.
func TestUpdateContactKeepsNewest(t *testing.T) {
	s, _ := openTest(t)
	if err := s.SetNickname("0x04aa", "al"); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name    string
		ms      int64
		applied bool
		want    string
	}{
		{"Alice", 2000, true, "Alice"},
		{"Old Alice", 1000, false, "Alice"}, // older, from a mailserver
		{"Same Time", 2000, false, "Alice"}, // not newer
		{"Alice B", 3000, true, "Alice B"},
	} {
		applied, err := s.UpdateContact("0x04aa", step.name, step.ms)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := s.Contact("0x04aa")
		if err != nil {
			t.Fatal(err)
		}
		if applied != step.applied || c.NetworkName != step.want || c.Nickname != "al" {
			t.Fatalf("after %q@%d: applied=%v contact %+v", step.name, step.ms, applied, c)
		}
	}
	// A first record for an unknown key creates the contact.
	if applied, err := s.UpdateContact("0x04bb", "Bob", 5); err != nil || !applied {
		t.Fatalf("new contact: %v %v", applied, err)
	}
	if c, ok, _ := s.Contact("0x04bb"); !ok || c.NetworkName != "Bob" || c.Updated != 5 {
		t.Fatalf("new contact %+v", c)
	}
}

// TestNameStatePersists: the display name and its last sending survive a
// reopen.
func TestNameStatePersists(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hush.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.NameState(); err != nil || st != (NameState{}) {
		t.Fatalf("fresh NameState = %+v, %v", st, err)
	}
	if err := s.SetDisplayName("Alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNameSent("Alice", 1234); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisplayName("Alicia"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := NameState{Name: "Alicia", SentName: "Alice", SentMs: 1234}
	if st, err := s.NameState(); err != nil || st != want {
		t.Fatalf("NameState = %+v, %v; want %+v", st, err, want)
	}
}

// TestMentionedClearedByMarkRead: the mention mark stays until the chat is
// read.
func TestMentionedClearedByMarkRead(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "status", ChatPublic)
	mustJoin(t, s, "other", ChatPublic)
	if err := s.SetMentioned([]string{"status"}); err != nil {
		t.Fatal(err)
	}
	mentioned := func(id string) bool {
		c, _, err := s.Chat(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Mentioned
	}
	if !mentioned("status") || mentioned("other") {
		t.Fatal("SetMentioned marked the wrong chats")
	}
	if err := s.MarkRead("status"); err != nil {
		t.Fatal(err)
	}
	if mentioned("status") {
		t.Fatal("MarkRead left the mention mark")
	}
}
