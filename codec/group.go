package codec

import (
	"errors"
	"fmt"
)

// TagMembership is the record of a private group chat (PROTOCOL.md §8): the
// group's signed membership log, and optionally one group message.
const TagMembership = "g5"

// The seven membership event types, as written in an event's :type.
const (
	EventChatCreated   = "chat-created"
	EventNameChanged   = "name-changed"
	EventMembersAdded  = "members-added"
	EventMemberJoined  = "member-joined" // singular on the wire, whatever the spec's heading says
	EventAdminsAdded   = "admins-added"
	EventMemberRemoved = "member-removed"
	EventAdminRemoved  = "admin-removed"
)

// Bounds on a g5 record from the network. A real group's log is a few
// dozen updates of one or two events; these only stop a hostile record from
// making the fold or the store work for nothing.
const (
	MaxGroupUpdates   = 1024
	MaxUpdateEvents   = 64
	MaxEventMembers   = 256
	maxGroupTextBytes = 1024 // chat id, name, member key, signature
)

// GroupEvent is one membership event. Only the fields its type uses are set:
// Name for chat-created and name-changed, Member for member-joined,
// member-removed and admin-removed, Members for members-added and
// admins-added. Members keeps the order it was received in: the signature
// covers that order.
type GroupEvent struct {
	Type    string   `json:"type"`
	Clock   int64    `json:"clock"`
	Name    string   `json:"name,omitempty"`
	Member  string   `json:"member,omitempty"`
	Members []string `json:"members,omitempty"`
}

// GroupUpdate is one signed batch of events by one author.
type GroupUpdate struct {
	ChatID    string       `json:"chat_id"`
	Events    []GroupEvent `json:"events"`
	Signature string       `json:"signature"` // hex of the 65-byte signature, no 0x
}

// Membership is a g5 record: the group's update history, and the group
// message it carries (nil when it only carries membership).
type Membership struct {
	ChatID  string
	Updates []GroupUpdate
	Message *Message
}

// Tag reports "g5".
func (*Membership) Tag() string { return TagMembership }

// membershipFrom reads [chat-id, updates, message-or-null].
func membershipFrom(rep any) (*Membership, error) {
	fields, ok := rep.([]any)
	if !ok {
		return nil, fmt.Errorf("record is a %s, want an array", typeName(rep))
	}
	if len(fields) != 3 {
		return nil, fmt.Errorf("record has %d fields, want 3", len(fields))
	}
	chatID, err := groupText(fields[0], "chat-id")
	if err != nil {
		return nil, err
	}
	if chatID == "" {
		return nil, errors.New("chat-id is empty")
	}
	list, err := listOf(fields[1], "membership updates")
	if err != nil {
		return nil, err
	}
	if len(list) > MaxGroupUpdates {
		return nil, fmt.Errorf("%d membership updates, limit %d", len(list), MaxGroupUpdates)
	}
	g := &Membership{ChatID: chatID, Updates: make([]GroupUpdate, 0, len(list))}
	for i, u := range list {
		up, err := groupUpdateFrom(u)
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", i, err)
		}
		g.Updates = append(g.Updates, up)
	}
	switch msg := fields[2].(type) {
	case nil:
	case tagged:
		if msg.tag != TagMessage && msg.tag != TagMessageV7 {
			return nil, fmt.Errorf("message is a #%s record, want c4", msg.tag)
		}
		if g.Message, err = messageFrom(msg.rep); err != nil {
			return nil, fmt.Errorf("message: %w", err)
		}
	default:
		return nil, fmt.Errorf("message is a %s, want a c4 record or null", typeName(msg))
	}
	return g, nil
}

func groupUpdateFrom(v any) (GroupUpdate, error) {
	m, ok := v.(transitMap)
	if !ok {
		return GroupUpdate{}, fmt.Errorf("is a %s, want a map", typeName(v))
	}
	var (
		u   GroupUpdate
		err error
	)
	if u.ChatID, err = groupField(m, "chat-id"); err != nil {
		return u, err
	}
	if u.Signature, err = groupField(m, "signature"); err != nil {
		return u, err
	}
	raw, _ := m.get("events")
	events, err := listOf(raw, "events")
	if err != nil {
		return u, err
	}
	if len(events) == 0 || len(events) > MaxUpdateEvents {
		return u, fmt.Errorf("%d events, want 1 to %d", len(events), MaxUpdateEvents)
	}
	u.Events = make([]GroupEvent, 0, len(events))
	for i, e := range events {
		ev, err := groupEventFrom(e)
		if err != nil {
			return u, fmt.Errorf("event %d: %w", i, err)
		}
		u.Events = append(u.Events, ev)
	}
	return u, nil
}

func groupEventFrom(v any) (GroupEvent, error) {
	m, ok := v.(transitMap)
	if !ok {
		return GroupEvent{}, fmt.Errorf("is a %s, want a map", typeName(v))
	}
	var (
		e   GroupEvent
		err error
	)
	if e.Type, err = groupField(m, "type"); err != nil {
		return e, err
	}
	clock, _ := m.get("clock-value")
	if e.Clock, err = nonNegativeInt(clock); err != nil {
		return e, fmt.Errorf(":clock-value %w", err)
	}
	if e.Name, err = groupField(m, "name"); err != nil {
		return e, err
	}
	if e.Member, err = groupField(m, "member"); err != nil {
		return e, err
	}
	if raw, ok := m.get("members"); ok && raw != nil {
		list, err := listOf(raw, ":members")
		if err != nil {
			return e, err
		}
		if len(list) > MaxEventMembers {
			return e, fmt.Errorf(":members has %d keys, limit %d", len(list), MaxEventMembers)
		}
		e.Members = make([]string, 0, len(list))
		for i, k := range list {
			s, err := groupText(k, fmt.Sprintf(":members[%d]", i))
			if err != nil {
				return e, err
			}
			e.Members = append(e.Members, s)
		}
	}
	switch e.Type {
	case EventChatCreated, EventNameChanged, EventMembersAdded, EventMemberJoined,
		EventAdminsAdded, EventMemberRemoved, EventAdminRemoved:
	default:
		return e, fmt.Errorf("unknown event type %.40q", e.Type)
	}
	return e, nil
}

// listOf accepts a transit list or set, or a plain array.
func listOf(v any, what string) ([]any, error) {
	if t, ok := v.(tagged); ok && (t.tag == "list" || t.tag == "set") {
		v = t.rep
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want a list", what, typeName(v))
	}
	return a, nil
}

// groupField is an optional string under a keyword of a membership map.
func groupField(m transitMap, key string) (string, error) {
	v, ok := m.get(key)
	if !ok || v == nil {
		return "", nil
	}
	return groupText(v, ":"+key)
}

func groupText(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is a %s, want a string", what, typeName(v))
	}
	if len(s) > maxGroupTextBytes {
		return "", fmt.Errorf("%s is %d bytes, limit %d", what, len(s), maxGroupTextBytes)
	}
	return s, nil
}
