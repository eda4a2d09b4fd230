package store

import (
	"bytes"
	"testing"
)

func TestRecentSenders(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "status", ChatPublic)
	mustJoin(t, s, "other", ChatPublic)
	// Senders n%7: messages 1..20; the newest 10 (11..20) come from all
	// seven keys; sender 6 last wrote message 20... and so on.
	for n := 1; n <= 20; n++ {
		m := newMessage("status", n, int64(n)*1000)
		m.Timestamp = int64(n) * 10
		mustAdd(t, s, m)
	}
	mustAdd(t, s, newMessage("other", 99, 5))
	got, err := s.RecentSenders("status", 3)
	if err != nil {
		t.Fatal(err)
	}
	// Newest three: 20 (sender 6), 19 (sender 5), 18 (sender 4).
	want := []Sender{{testSender(6), 200, 1}, {testSender(5), 190, 1}, {testSender(4), 180, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d senders, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i].Key, want[i].Key) || got[i].LastMs != want[i].LastMs || got[i].Messages != want[i].Messages {
			t.Fatalf("sender %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	all, err := s.RecentSenders("status", 100)
	if err != nil || len(all) != 7 {
		t.Fatalf("all senders: %d, %v", len(all), err)
	}
	total := 0
	for _, sd := range all {
		total += sd.Messages
	}
	if total != 20 {
		t.Fatalf("counted %d messages, want 20", total)
	}
	if none, err := s.RecentSenders("missing", 10); err != nil || len(none) != 0 {
		t.Fatalf("unknown chat: %v %v", none, err)
	}
}
