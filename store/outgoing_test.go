package store

import (
	"slices"
	"testing"
)

// TestOutgoingByState: only our own messages in the asked states come back,
// in the order they were stored (not clock or id order), up to the limit,
// and a state change takes a message out.
func TestOutgoingByState(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "a", ChatPublic)
	mustJoin(t, s, "0x04bb", ChatOneToOne)
	var want [][32]byte
	for i, st := range []MessageState{4, 2, 1, 3, 4, 5, 1} {
		chat := "a"
		if i%2 == 1 {
			chat = "0x04bb"
		}
		// Clocks fall as i grows: the result must follow storing order.
		m := newMessage(chat, i, int64(100-i))
		m.Outgoing, m.State = true, st
		mustAdd(t, s, m)
		if st == 1 || st == 4 {
			want = append(want, m.ID)
		}
	}
	// Someone else's message in state 1 is never ours to send.
	other := newMessage("a", 99, 1)
	other.State = 1
	mustAdd(t, s, other)

	got, err := s.Outgoing([]MessageState{1, 4}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("Outgoing = %x\nwant %x", ids(got), want)
	}
	for _, m := range got {
		if !m.Outgoing || (m.State != 1 && m.State != 4) || len(m.Payload) == 0 {
			t.Fatalf("row %+v", m)
		}
	}
	if got, err := s.Outgoing([]MessageState{1, 4}, 2); err != nil || !slices.Equal(ids(got), want[:2]) {
		t.Fatalf("limit 2: %x, %v", ids(got), err)
	}
	if err := s.SetState(want[0], 2); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Outgoing([]MessageState{1, 4}, 100); err != nil || !slices.Equal(ids(got), want[1:]) {
		t.Fatalf("after SetState: %x, %v", ids(got), err)
	}
	if got, err := s.Outgoing(nil, 100); err != nil || got != nil {
		t.Fatalf("no states: %v, %v", got, err)
	}
}
