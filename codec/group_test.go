package codec

import (
	"reflect"
	"strings"
	"testing"
)

// groupVector is testdata/codec/group.json: a g5 record status-react wrote.
type groupVector struct {
	Source    string       `json:"_source"`
	Payload   string       `json:"payload"`
	ChatID    string       `json:"chat_id"`
	Creator   string       `json:"creator"`
	Material  string       `json:"material"`
	Signature string       `json:"signature"`
	Events    []GroupEvent `json:"events"`
}

// TestDecodeMembershipStatusReact reads the real status-react g5, whose
// events use transit cache references (^4, ^6) for their keys.
func TestDecodeMembershipStatusReact(t *testing.T) {
	var v groupVector
	loadVectors(t, "group.json", &v)
	rec, err := Decode([]byte(v.Payload))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := rec.(*Membership)
	if !ok {
		t.Fatalf("Decode = %T, want *Membership", rec)
	}
	if g.Tag() != "g5" || g.ChatID != v.ChatID || g.Message != nil {
		t.Fatalf("record = %q %q %v", g.Tag(), g.ChatID, g.Message)
	}
	want := []GroupUpdate{{ChatID: v.ChatID, Events: v.Events, Signature: v.Signature}}
	if !reflect.DeepEqual(g.Updates, want) {
		t.Fatalf("updates\n got  %+v\n want %+v", g.Updates, want)
	}
}

// TestEncodeMembershipRoundTrip encodes the vector's record with a group
// message and reads it back, with this package's reader and with
// russolsen/transit.
func TestEncodeMembershipRoundTrip(t *testing.T) {
	var v groupVector
	loadVectors(t, "group.json", &v)
	rec, err := Decode([]byte(v.Payload))
	if err != nil {
		t.Fatal(err)
	}
	g := rec.(*Membership)
	g.Updates = append(g.Updates, GroupUpdate{ChatID: v.ChatID, Signature: "ab", Events: []GroupEvent{
		{Type: EventMemberJoined, Clock: 7, Member: "0x04ff"},
		{Type: EventNameChanged, Clock: 8, Name: "~tilde <&> \u2028"},
		{Type: EventAdminsAdded, Clock: 9, Members: []string{"0x04b", "0x04a"}},
		{Type: EventMemberRemoved, Clock: 10, Member: "0x04b"},
		{Type: EventAdminRemoved, Clock: 11, Member: "0x04a"},
	}})
	msg := Message{Text: "hello group", MessageType: MessageTypeGroup, Clock: 12, Timestamp: 13, ChatID: v.ChatID}
	c4, err := EncodeMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, withMsg := range []bool{false, true} {
		var embed []byte
		if withMsg {
			embed = c4
		}
		out, err := EncodeMembership(Membership{ChatID: g.ChatID, Updates: g.Updates}, embed)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("decode own encoding: %v\n%s", err, out)
		}
		got := back.(*Membership)
		if !reflect.DeepEqual(got.Updates, g.Updates) || got.ChatID != g.ChatID {
			t.Fatalf("round trip\n got  %+v\n want %+v", got.Updates, g.Updates)
		}
		if withMsg {
			msg.ContentType = ContentTypeText
			if got.Message == nil || *got.Message != msg {
				t.Fatalf("embedded message = %+v, want %+v", got.Message, msg)
			}
		} else if got.Message != nil {
			t.Fatalf("embedded message = %+v, want nil", got.Message)
		}
		ours, err := readTransit(out)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := canonical(ours), canonical(mustRussolsen(t, string(out))); a != b {
			t.Errorf("russolsen reads our g5 differently:\n ours      %s\n russolsen %s", a, b)
		}
	}
}

// TestDecodeMembershipCachedMessage is a g5 whose c4 refers back to keys the
// membership log put in the cache, as status-react's writer does.
func TestDecodeMembershipCachedMessage(t *testing.T) {
	const id = "g-0x04"
	payload := `["~#g5",["` + id + `",["~#list",[["^ ","~:chat-id","` + id + `","~:events",[["^ ","~:type","chat-created","~:clock-value",1,"~:name","n"]],"~:signature","ab"]]],` +
		`["~#c4",["hi","text/plain","~:group-user-message",5,6,["^ ","^2","` + id + `","~:text","hi"]]]]]`
	rec, err := Decode([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	g := rec.(*Membership)
	if g.Message == nil || g.Message.ChatID != id || g.Message.Text != "hi" || g.Message.MessageType != MessageTypeGroup {
		t.Fatalf("message = %+v", g.Message)
	}
}

// TestDecodeMembershipBad lists malformed g5 records; each is an error.
func TestDecodeMembershipBad(t *testing.T) {
	ev := func(s string) string {
		return `["~#g5",["c",["~#list",[["^ ","~:chat-id","c","~:events",[` + s + `],"~:signature","ab"]]],null]]`
	}
	many := strings.Repeat(`"0x04",`, MaxEventMembers) + `"0x04"`
	cases := map[string]string{
		"not an array":        `["~#g5","x"]`,
		"two fields":          `["~#g5",["c",["~#list",[]]]]`,
		"empty chat id":       `["~#g5",["",["~#list",[]],null]]`,
		"chat id a number":    `["~#g5",[1,["~#list",[]],null]]`,
		"updates a map":       `["~#g5",["c",["^ "],null]]`,
		"update a string":     `["~#g5",["c",["~#list",["x"]],null]]`,
		"no events":           ev(``),
		"unknown event":       ev(`["^ ","~:type","members-joined","~:clock-value",1]`),
		"negative clock":      ev(`["^ ","~:type","chat-created","~:clock-value",-1]`),
		"missing clock":       ev(`["^ ","~:type","chat-created"]`),
		"name a number":       ev(`["^ ","~:type","name-changed","~:clock-value",1,"~:name",5]`),
		"members a string":    ev(`["^ ","~:type","members-added","~:clock-value",1,"~:members","0x04"]`),
		"member key a number": ev(`["^ ","~:type","members-added","~:clock-value",1,"~:members",["~#set",[1]]]`),
		"too many members":    ev(`["^ ","~:type","members-added","~:clock-value",1,"~:members",["~#set",[` + many + `]]]`),
		"message a c2":        `["~#g5",["c",["~#list",[]],["~#c2",["a","b","c"]]]]`,
		"message a string":    `["~#g5",["c",["~#list",[]],"hi"]]`,
		"bad cache reference": `["~#g5",["c",["~#list",[["^ ","^9","c"]]],null]]`,
	}
	for name, payload := range cases {
		if rec, err := Decode([]byte(payload)); err == nil {
			t.Errorf("%s: Decode = %+v, want an error", name, rec)
		}
	}
}
