package store

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func chatIDs(t *testing.T, s *Store) []string {
	t.Helper()
	cs, err := s.Chats()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestJoinLeaveRejoinKeepsCreationOrder(t *testing.T) {
	s, _ := openTest(t)
	before := time.Now().Add(-time.Second)
	c := mustJoin(t, s, "zebra", ChatPublic)
	if !c.Joined || c.Kind != ChatPublic || c.New || c.LastClock != 0 || c.SyncedTo != 0 {
		t.Fatalf("fresh chat = %+v", c)
	}
	if c.Created.Before(before) || c.Created.After(time.Now().Add(time.Second)) {
		t.Fatalf("Created = %v, want about now", c.Created)
	}
	mustJoin(t, s, "0x04bb", ChatOneToOne)
	mustJoin(t, s, "alpha", ChatPublic)
	if got, want := chatIDs(t, s), []string{"zebra", "0x04bb", "alpha"}; !slices.Equal(got, want) {
		t.Fatalf("Chats = %v, want %v", got, want)
	}

	if err := s.SetLastClock("zebra", 500); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSyncedTo([]string{"zebra"}, 1234); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNew("zebra", true); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, newMessage("zebra", 1, 10))
	if err := s.LeaveChat("zebra"); err != nil {
		t.Fatal(err)
	}
	if got, want := chatIDs(t, s), []string{"0x04bb", "alpha"}; !slices.Equal(got, want) {
		t.Fatalf("Chats after leave = %v, want %v", got, want)
	}
	left, ok, err := s.Chat("zebra")
	if err != nil || !ok || left.Joined {
		t.Fatalf("left chat = %+v ok=%v err=%v", left, ok, err)
	}

	again := mustJoin(t, s, "zebra", ChatPublic)
	if got, want := chatIDs(t, s), []string{"zebra", "0x04bb", "alpha"}; !slices.Equal(got, want) {
		t.Fatalf("Chats after rejoin = %v, want %v", got, want)
	}
	if !again.Joined || again.LastClock != 500 || again.SyncedTo != 1234 || !again.New ||
		!again.Created.Equal(c.Created) {
		t.Fatalf("rejoined chat = %+v, want history kept from %+v", again, c)
	}
	if n, _ := s.CountMessages("zebra"); n != 1 {
		t.Fatalf("rejoined chat holds %d messages, want 1", n)
	}
}

func TestJoinChatValidates(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "status", ChatPublic)
	if _, err := s.JoinChat("status", ChatOneToOne); err == nil {
		t.Error("joining an existing chat with another kind succeeded")
	}
	if c, _, _ := s.Chat("status"); c.Kind != ChatPublic {
		t.Errorf("kind changed to %d", c.Kind)
	}
	if _, err := s.JoinChat("", ChatPublic); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := s.JoinChat("x", ChatKind(9)); err == nil {
		t.Error("invalid kind accepted")
	}
}

func TestChatUpdatesOnUnknownChat(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "known", ChatPublic)
	checks := map[string]error{
		"LeaveChat":    s.LeaveChat("nope"),
		"SetLastClock": s.SetLastClock("nope", 1),
		"SetNew":       s.SetNew("nope", true),
		"SetSyncedTo":  s.SetSyncedTo([]string{"known", "nope"}, 99),
	}
	for name, err := range checks {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on unknown chat: err = %v, want ErrNotFound", name, err)
		}
	}
	// SetSyncedTo is all or nothing.
	if c, _, _ := s.Chat("known"); c.SyncedTo != 0 {
		t.Errorf("SetSyncedTo partly applied: %+v", c)
	}
	if _, ok, err := s.Chat("nope"); ok || err != nil {
		t.Errorf("Chat(unknown) ok=%v err=%v", ok, err)
	}
}

func TestSetLastClockKeepsMaximum(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)
	for _, clock := range []int64{50, 700, 300} {
		if err := s.SetLastClock("c", clock); err != nil {
			t.Fatal(err)
		}
	}
	if c, _, _ := s.Chat("c"); c.LastClock != 700 {
		t.Fatalf("LastClock = %d, want 700", c.LastClock)
	}
}

func TestSetSyncedToAndNew(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "a", ChatPublic)
	mustJoin(t, s, "b", ChatPublic)
	mustJoin(t, s, "c", ChatPublic)
	if err := s.SetSyncedTo([]string{"a", "c"}, 1700000000); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"a": 1700000000, "b": 0, "c": 1700000000}
	for id, synced := range want {
		if c, _, _ := s.Chat(id); c.SyncedTo != synced {
			t.Errorf("%s SyncedTo = %d, want %d", id, c.SyncedTo, synced)
		}
	}
	if err := s.SetNew("b", true); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.Chat("b"); !c.New {
		t.Error("SetNew(true) not stored")
	}
	if err := s.SetNew("b", false); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.Chat("b"); c.New {
		t.Error("SetNew(false) not stored")
	}
}
