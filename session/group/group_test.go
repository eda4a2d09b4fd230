package group

import (
	"crypto/ecdsa"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
)

type vector struct {
	Source    string             `json:"_source"`
	Payload   string             `json:"payload"`
	ChatID    string             `json:"chat_id"`
	Creator   string             `json:"creator"`
	Material  string             `json:"material"`
	Signature string             `json:"signature"`
	Events    []codec.GroupEvent `json:"events"`
}

func loadVector(t *testing.T) vector {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/codec/group.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStatusReactPayloadVerifies is acceptance 1: the g5 status-react wrote
// decodes, its signature material is rebuilt byte for byte, the author
// recovered is the creator the chat id ends with, and the fold gives the
// group it describes.
func TestStatusReactPayloadVerifies(t *testing.T) {
	v := loadVector(t)
	rec, err := codec.Decode([]byte(v.Payload))
	if err != nil {
		t.Fatal(err)
	}
	g := rec.(*codec.Membership)
	material, err := Material(g.ChatID, g.Updates[0].Events)
	if err != nil {
		t.Fatal(err)
	}
	if string(material) != v.Material {
		t.Fatalf("material\n got  %s\n want %s", material, v.Material)
	}
	good, bad := Verify(g.ChatID, g.Updates)
	if len(bad) != 0 || len(good) != 1 {
		t.Fatalf("Verify: good %d, bad %v", len(good), bad)
	}
	if good[0].From != v.Creator {
		t.Fatalf("author %s, want the creator %s", good[0].From, v.Creator)
	}
	if err := CheckChatID(g.ChatID, good[0].From); err != nil {
		t.Fatal(err)
	}
	s, rejected := Fold(g.ChatID, good)
	if len(rejected) != 0 {
		t.Fatalf("rejected: %v", rejected)
	}
	want := []Member{{Key: v.Creator, Admin: true, Joined: true}, {Key: v.Events[1].Members[0]}}
	if s.Name != "thathata" || s.Creator != v.Creator || !reflect.DeepEqual(s.Members(), want) {
		t.Fatalf("state: name %q creator %s members %+v", s.Name, s.Creator, s.Members())
	}
}

func TestChatID(t *testing.T) {
	creator := codec.PublicKeyHex(&mustKey(t).PublicKey)
	id, err := NewChatID(creator)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckChatID(id, creator); err != nil || len(id) != 36+len(creator) {
		t.Fatalf("new id %q: %v", id, err)
	}
	uuid := id[:36]
	cases := []struct {
		id string
		ok bool
	}{
		{uuid + creator, true},       // status-react
		{uuid + "-" + creator, true}, // status-protocol-go
		{creator, false},             // only the key
		{uuid + codec.PublicKeyHex(&mustKey(t).PublicKey), false},
		{uuid, false},
		{strings.Repeat("x", 65) + creator, false},
	}
	for _, c := range cases {
		if err := CheckChatID(c.id, creator); (err == nil) != c.ok {
			t.Errorf("CheckChatID(%.50q) = %v, want ok %v", c.id, err, c.ok)
		}
	}
}

// TestMaterialLikeJavaScript: JSON.stringify leaves <, > and & alone, and
// the signature covers the members in the order they were sent.
func TestMaterialLikeJavaScript(t *testing.T) {
	m, err := Material("id", []codec.GroupEvent{
		{Type: codec.EventNameChanged, Clock: 5, Name: "<b>&\u2028"},
		{Type: codec.EventMembersAdded, Clock: 2, Members: []string{"0x04b", "0x04a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `[[[["clock-value",2],["members",["0x04b","0x04a"]],["type","members-added"]],[["clock-value",5],["name","<b>&` + "\u2028" + `"],["type","name-changed"]]],"id"]`
	if string(m) != want {
		t.Fatalf("material\n got  %s\n want %s", m, want)
	}
	k := mustKey(t)
	u, err := Sign(k, "id", []codec.GroupEvent{{Type: codec.EventMembersAdded, Clock: 2, Members: []string{"0x04b", "0x04a"}}})
	if err != nil {
		t.Fatal(err)
	}
	u.Events[0].Members = []string{"0x04a", "0x04b"}
	r, err := Recover(u.GroupUpdate)
	if err != nil {
		t.Fatal(err)
	}
	if r.From == u.From {
		t.Fatal("reordered members still recover the signer")
	}
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// people is a cast for the rule table: a creates the group.
type people struct {
	keys   map[string]*ecdsa.PrivateKey
	chatID string
	clock  int64
}

func newPeople(t testing.TB) *people {
	p := &people{keys: make(map[string]*ecdsa.PrivateKey)}
	for _, n := range []string{"a", "b", "c", "d", "x"} {
		p.keys[n] = mustKey(t)
	}
	id, err := NewChatID(p.key("a"))
	if err != nil {
		t.Fatal(err)
	}
	p.chatID = id
	return p
}

func (p *people) key(name string) string { return codec.PublicKeyHex(&p.keys[name].PublicKey) }

func (p *people) keysOf(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p.key(n)
	}
	return out
}

// by signs events by one of the cast, each with the next clock.
func (p *people) by(t testing.TB, who string, events ...codec.GroupEvent) Update {
	t.Helper()
	for i := range events {
		p.clock++
		events[i].Clock = p.clock
	}
	u, err := Sign(p.keys[who], p.chatID, events)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func created(name string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventChatCreated, Name: name}
}
func renamed(name string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventNameChanged, Name: name}
}
func added(keys ...string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventMembersAdded, Members: keys}
}
func joined(key string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventMemberJoined, Member: key}
}
func adminsAdded(keys ...string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventAdminsAdded, Members: keys}
}
func removed(key string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventMemberRemoved, Member: key}
}
func adminRemoved(key string) codec.GroupEvent {
	return codec.GroupEvent{Type: codec.EventAdminRemoved, Member: key}
}

// TestFoldRules is the rule table of PROTOCOL.md §8.4, one row per rule,
// forged events included: each row folds a group where a created it with b
// and c invited and b joined, then one more update, and says whether that
// update's event was applied or refused (with the reason in the log).
func TestFoldRules(t *testing.T) {
	type check func(p *people, s *State) bool
	cases := []struct {
		name   string
		who    string
		event  func(p *people) codec.GroupEvent
		reason string // "" = applied
		then   check
	}{
		{"admin renames", "a", func(p *people) codec.GroupEvent { return renamed("new") }, "",
			func(p *people, s *State) bool { return s.Name == "new" }},
		{"forged: member renames", "b", func(p *people) codec.GroupEvent { return renamed("evil") }, "only an admin may rename",
			func(p *people, s *State) bool { return s.Name == "start" }},
		{"blank name", "a", func(p *people) codec.GroupEvent { return renamed("  ") }, "blank",
			func(p *people, s *State) bool { return s.Name == "start" }},
		{"admin adds", "a", func(p *people) codec.GroupEvent { return added(p.key("d")) }, "",
			func(p *people, s *State) bool { return s.IsMember(p.key("d")) && !s.HasJoined(p.key("d")) }},
		{"forged: member adds", "b", func(p *people) codec.GroupEvent { return added(p.key("d")) }, "only an admin may add",
			func(p *people, s *State) bool { return !s.IsMember(p.key("d")) }},
		{"forged: outsider adds", "x", func(p *people) codec.GroupEvent { return added(p.key("x")) }, "only an admin may add",
			func(p *people, s *State) bool { return !s.IsMember(p.key("x")) }},
		{"adds a non-key", "a", func(p *people) codec.GroupEvent { return added("0x04zz") }, "not a 0x04",
			func(p *people, s *State) bool { return len(s.Members()) == 3 }},
		{"adds an upper-case spelling", "a", func(p *people) codec.GroupEvent { return added(strings.ToUpper(p.key("d"))) }, "not a 0x04",
			func(p *people, s *State) bool { return len(s.Members()) == 3 }},
		{"invited member joins", "c", func(p *people) codec.GroupEvent { return joined(p.key("c")) }, "",
			func(p *people, s *State) bool { return s.HasJoined(p.key("c")) }},
		{"forged: outsider joins", "x", func(p *people) codec.GroupEvent { return joined(p.key("x")) }, "not invited",
			func(p *people, s *State) bool { return !s.IsMember(p.key("x")) }},
		{"forged: joins for another", "a", func(p *people) codec.GroupEvent { return joined(p.key("c")) }, "only join for itself",
			func(p *people, s *State) bool { return !s.HasJoined(p.key("c")) }},
		{"admin makes a member admin", "a", func(p *people) codec.GroupEvent { return adminsAdded(p.key("b")) }, "",
			func(p *people, s *State) bool { return s.IsAdmin(p.key("b")) }},
		{"forged: member makes itself admin", "b", func(p *people) codec.GroupEvent { return adminsAdded(p.key("b")) }, "only an admin may make admins",
			func(p *people, s *State) bool { return !s.IsAdmin(p.key("b")) }},
		{"admin makes an outsider admin", "a", func(p *people) codec.GroupEvent { return adminsAdded(p.key("x")) }, "must be a member",
			func(p *people, s *State) bool { return !s.IsAdmin(p.key("x")) }},
		{"admin removes a member", "a", func(p *people) codec.GroupEvent { return removed(p.key("b")) }, "",
			func(p *people, s *State) bool { return !s.IsMember(p.key("b")) && !s.HasJoined(p.key("b")) }},
		{"member leaves", "b", func(p *people) codec.GroupEvent { return removed(p.key("b")) }, "",
			func(p *people, s *State) bool { return !s.IsMember(p.key("b")) }},
		{"forged: member removes another", "b", func(p *people) codec.GroupEvent { return removed(p.key("c")) }, "only an admin may remove",
			func(p *people, s *State) bool { return s.IsMember(p.key("c")) }},
		{"forged: outsider removes", "x", func(p *people) codec.GroupEvent { return removed(p.key("b")) }, "only an admin may remove",
			func(p *people, s *State) bool { return s.IsMember(p.key("b")) }},
		{"forged: member removes the admin", "b", func(p *people) codec.GroupEvent { return removed(p.key("a")) }, "only an admin may remove",
			func(p *people, s *State) bool { return s.IsMember(p.key("a")) }},
		{"admin steps down", "a", func(p *people) codec.GroupEvent { return adminRemoved(p.key("a")) }, "",
			func(p *people, s *State) bool { return !s.IsAdmin(p.key("a")) && s.IsMember(p.key("a")) }},
		{"forged: admin-removed of someone else", "b", func(p *people) codec.GroupEvent { return adminRemoved(p.key("a")) }, "only step down itself",
			func(p *people, s *State) bool { return s.IsAdmin(p.key("a")) }},
		{"non-admin steps down", "b", func(p *people) codec.GroupEvent { return adminRemoved(p.key("b")) }, "not an admin",
			func(p *people, s *State) bool { return s.IsAdmin(p.key("a")) }},
		{"second chat-created", "a", func(p *people) codec.GroupEvent { return created("again") }, "already created",
			func(p *people, s *State) bool { return s.Name == "start" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeople(t)
			log := []Update{
				p.by(t, "a", created("start"), added(p.keysOf("b", "c")...)),
				p.by(t, "b", joined(p.key("b"))),
			}
			log = append(log, p.by(t, tc.who, tc.event(p)))
			s, rejected := Fold(p.chatID, log)
			if tc.reason == "" {
				if len(rejected) != 0 {
					t.Fatalf("refused: %v", rejected)
				}
			} else if len(rejected) != 1 || !strings.Contains(rejected[0].Reason, tc.reason) {
				t.Fatalf("rejections %v, want one with %q", rejected, tc.reason)
			}
			if !tc.then(p, &s) {
				t.Fatalf("state after: name %q members %+v", s.Name, s.Members())
			}
		})
	}
}

// TestFoldOrder: events apply by clock, not by the order updates arrived;
// anything before chat-created, and chat-created by a key the id does not
// end with, counts for nothing.
func TestFoldOrder(t *testing.T) {
	p := newPeople(t)
	create := p.by(t, "a", created("start"), added(p.key("b")))
	join := p.by(t, "b", joined(p.key("b")))
	rename := p.by(t, "a", renamed("later"))
	s, rej := Fold(p.chatID, []Update{rename, join, create})
	if len(rej) != 0 || s.Name != "later" || !s.HasJoined(p.key("b")) {
		t.Fatalf("state %q %+v, rejected %v", s.Name, s.Members(), rej)
	}

	p.clock = 0
	early := p.by(t, "a", renamed("too early"))
	p.clock = 10
	s, rej = Fold(p.chatID, []Update{early, p.by(t, "a", created("start"))})
	if len(rej) != 1 || !strings.Contains(rej[0].Reason, "no chat-created") || s.Name != "start" {
		t.Fatalf("state %q, rejected %v", s.Name, rej)
	}

	s, rej = Fold(p.chatID, []Update{p.by(t, "x", created("stolen"))})
	if s.Created || len(rej) != 1 {
		t.Fatalf("a chat-created by a key the id does not end with was applied: %v", rej)
	}
}

func TestVerify(t *testing.T) {
	p := newPeople(t)
	good := p.by(t, "a", created("start"))
	otherChat := good.GroupUpdate
	otherChat.ChatID = "other" + p.key("a")
	stolen := p.by(t, "x", created("stolen"))
	badHex := p.by(t, "a", renamed("n")).GroupUpdate
	badHex.Signature = "zz"
	short := p.by(t, "a", renamed("n")).GroupUpdate
	short.Signature = short.Signature[:64]
	ok, bad := Verify(p.chatID, []codec.GroupUpdate{good.GroupUpdate, otherChat, stolen.GroupUpdate, badHex, short})
	if len(ok) != 1 || ok[0].From != p.key("a") || len(bad) != 4 {
		t.Fatalf("Verify: ok %d, bad %v", len(ok), bad)
	}
	// V written Ethereum style (27/28) recovers the same author.
	v27 := good.GroupUpdate
	sig := []byte(v27.Signature)
	last := sig[len(sig)-2:]
	if string(last) == "00" {
		copy(last, "1b")
	} else {
		copy(last, "1c")
	}
	v27.Signature = string(sig)
	if r, err := Recover(v27); err != nil || r.From != p.key("a") {
		t.Fatalf("V 27/28: %v %v", r.From, err)
	}
}

// TestMerge: the union of two logs holds each update once and comes out in
// one order whatever the inputs' order; a copy of a signature with other
// events cannot shadow the genuine update.
func TestMerge(t *testing.T) {
	p := newPeople(t)
	u1 := p.by(t, "a", created("start"), added(p.key("b")))
	u2 := p.by(t, "b", joined(p.key("b")))
	u3 := p.by(t, "a", renamed("n"))
	fake := u3.GroupUpdate
	fake.Events = []codec.GroupEvent{{Type: codec.EventNameChanged, Clock: u3.Events[0].Clock, Name: "fake"}}
	fakeU, err := Recover(fake)
	if err != nil {
		t.Fatal(err)
	}
	m1, n1 := Merge([]Update{u1, fakeU}, []Update{u3, u2, u1})
	m2, _ := Merge([]Update{u3, u2}, []Update{fakeU, u1})
	if n1 != 2 || len(m1) != 4 || !reflect.DeepEqual(m1, m2) {
		t.Fatalf("merge: added %d, %d updates, same order %v", n1, len(m1), reflect.DeepEqual(m1, m2))
	}
	s, rej := Fold(p.chatID, m1)
	if s.Name != "n" || len(rej) != 1 {
		t.Fatalf("name %q, rejected %v", s.Name, rej)
	}
}

func TestMaxMembers(t *testing.T) {
	p := newPeople(t)
	keys := make([]string, MaxMembers)
	for i := range keys {
		keys[i] = codec.PublicKeyHex(&mustKey(t).PublicKey)
	}
	s, rej := Fold(p.chatID, []Update{p.by(t, "a", created("big"), added(keys...))})
	if len(rej) != 1 || len(s.Members()) != 1 {
		t.Fatalf("%d members, rejected %v", len(s.Members()), rej)
	}
	s, rej = Fold(p.chatID, []Update{p.by(t, "a", created("big"), added(keys[1:]...))})
	if len(rej) != 0 || len(s.Members()) != MaxMembers {
		t.Fatalf("%d members, rejected %v", len(s.Members()), rej)
	}
}

// TestFoldBefore: the group as it stood before a clock, and when a member
// was removed.
func TestFoldBefore(t *testing.T) {
	p := newPeople(t)
	log := []Update{
		p.by(t, "a", created("start"), added(p.key("b"))),
		p.by(t, "b", joined(p.key("b"))),
	}
	wrote := p.clock + 1
	p.clock++
	log = append(log, p.by(t, "a", removed(p.key("b"))))
	now, _ := Fold(p.chatID, log)
	then := FoldBefore(p.chatID, log, wrote)
	if now.IsMember(p.key("b")) || !then.IsMember(p.key("b")) || now.RemovedAt(p.key("b")) != p.clock || then.RemovedAt(p.key("b")) != 0 {
		t.Fatalf("now member %v removed at %d; then member %v", now.IsMember(p.key("b")), now.RemovedAt(p.key("b")), then.IsMember(p.key("b")))
	}
}
