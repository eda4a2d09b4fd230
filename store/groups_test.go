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
