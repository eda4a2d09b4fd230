package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// TestGroupsSurviveReopen saves a group's log and members, grows the log,
// and reads both back after the file is closed and opened again.
func TestGroupsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hush.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const id = "uuid0x04aa"
	if _, err := s.JoinChat(id, ChatGroup); err != nil {
		t.Fatal(err)
	}
	g := Group{ChatID: id, Name: "team", Creator: "0x04aa", Members: []GroupMember{
		{Key: "0x04aa", Admin: true, Joined: true}, {Key: "0x04bb"}, {Key: "0x04cc"},
	}}
	first := []GroupUpdate{{ID: "u2", Author: "0x04aa", Clock: 20, Data: []byte("two")}, {ID: "u1", Author: "0x04aa", Clock: 10, Data: []byte("one")}}
	if err := s.SaveGroup(g, first); err != nil {
		t.Fatal(err)
	}
	g.Name = "renamed"
	g.Members = []GroupMember{{Key: "0x04aa", Admin: true, Joined: true}, {Key: "0x04bb", Joined: true}}
	// u1 again (a peer sent the whole log) must not be stored twice.
	more := []GroupUpdate{first[1], {ID: "u3", Author: "0x04bb", Clock: 30, Data: []byte("three")}}
	if err := s.SaveGroup(g, more); err != nil {
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
	got, ok, err := s.Group(id)
	if err != nil || !ok || !reflect.DeepEqual(got, g) {
		t.Fatalf("Group = %+v %v %v, want %+v", got, ok, err, g)
	}
	log, err := s.GroupUpdates(id)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupUpdate{first[1], first[0], more[1]}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("log = %+v, want %+v", log, want)
	}
	if c, ok, err := s.Chat(id); err != nil || !ok || c.Kind != ChatGroup {
		t.Fatalf("chat = %+v %v %v", c, ok, err)
	}
}

func TestSaveGroupNeedsGroupChat(t *testing.T) {
	s, _ := openTest(t)
	if err := s.SaveGroup(Group{ChatID: "nope"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SaveGroup of an unknown chat = %v, want ErrNotFound", err)
	}
	if _, err := s.JoinChat("status", ChatPublic); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveGroup(Group{ChatID: "status"}, nil); err == nil {
		t.Fatal("SaveGroup on a public chat succeeded")
	}
	if _, ok, err := s.Group("status"); ok || err != nil {
		t.Fatalf("Group of a public chat = %v %v", ok, err)
	}
}

// TestGroupUnsentChanges: a change clock above the sent clock lists the
// group as unsent; marking it sent up to that clock (not below) clears it,
// and a receive that saves the group with no change of ours keeps it.
func TestGroupUnsentChanges(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "g1", ChatGroup)
	g := Group{ChatID: "g1", Name: "n", Creator: "0x04aa", ChangeClock: 50}
	if err := s.SaveGroup(g, nil); err != nil {
		t.Fatal(err)
	}
	g.ChangeClock = 0 // a received update: ours stays unsent
	if err := s.SaveGroup(g, nil); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.UnsentGroups(); err != nil || !reflect.DeepEqual(ids, []string{"g1"}) {
		t.Fatalf("unsent = %v %v", ids, err)
	}
	if err := s.SetGroupSent("g1", 40); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.UnsentGroups(); len(ids) != 1 {
		t.Fatalf("unsent after an older send = %v", ids)
	}
	if err := s.SetGroupSent("g1", 50); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.UnsentGroups(); len(ids) != 0 {
		t.Fatalf("unsent after the send = %v", ids)
	}
	if got, _, _ := s.Group("g1"); got.ChangeClock != 50 || got.SentClock != 50 {
		t.Fatalf("clocks %d %d", got.ChangeClock, got.SentClock)
	}
	if err := s.SetGroupSent("nope", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetGroupSent of an unknown group = %v", err)
	}
}
