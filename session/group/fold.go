package group

import (
	"fmt"
	"sort"
	"strings"

	"hush/codec"
)

// MaxMembers bounds a group: an admin's members-added that would go past it
// is refused, so one event cannot make every message fan out to thousands.
const MaxMembers = 64

// maxNameBytes bounds a group name on the wire; the UI cleans and cuts it
// further for display.
const maxNameBytes = 256

// Member is one key of a group as the fold left it.
type Member struct {
	Key    string // "0x04…"
	Admin  bool
	Joined bool // accepted the invitation (the creator always has)
}

// State is a group as its log describes it.
type State struct {
	ChatID  string
	Name    string
	Creator string
	Created bool // a valid chat-created was seen; without it nothing else counts

	order     []string // members in the order they were added
	removedAt map[string]int64
	members   map[string]bool
	admins    map[string]bool
	joined    map[string]bool
	lastSeen  int64 // clock of the last event applied
}

// Members lists the members (invited or joined) in the order they were added.
func (s *State) Members() []Member {
	out := make([]Member, 0, len(s.members))
	for _, k := range s.order {
		if s.members[k] {
			out = append(out, Member{Key: k, Admin: s.admins[k], Joined: s.joined[k]})
		}
	}
	return out
}

// IsMember reports whether key was added and not removed since. Members
// receive the group's messages and may write to it.
func (s *State) IsMember(key string) bool { return s.members[key] }

// IsAdmin reports whether key may rename the group and add or remove others.
func (s *State) IsAdmin(key string) bool { return s.admins[key] }

// HasJoined reports whether key accepted its invitation.
func (s *State) HasJoined(key string) bool { return s.joined[key] }

// RemovedAt is the clock of the last removal of key, 0 if it never left.
func (s *State) RemovedAt(key string) int64 { return s.removedAt[key] }

// RemovedSince lists the keys last removed at a clock above clock, in
// order of key.
func (s *State) RemovedSince(clock int64) []string {
	var keys []string
	for k, c := range s.removedAt {
		if c > clock && !s.members[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Clock is the highest clock among the events applied.
func (s *State) Clock() int64 { return s.lastSeen }

// Rejection is an event the fold ignored, and why.
type Rejection struct {
	Event  codec.GroupEvent
	From   string
	Reason string
}

func (r Rejection) String() string {
	return fmt.Sprintf("%s (clock %d) by %s: %s", r.Event.Type, r.Event.Clock, codec.ShortKey(r.From), r.Reason)
}

// Fold applies every event of the log, sorted by clock (ties by update id,
// then position, so every member folds in the same order), under the rules
// of PROTOCOL.md §8.4. An event that breaks a rule changes nothing and is
// returned with the reason.
func Fold(chatID string, log []Update) (State, []Rejection) {
	type step struct {
		e    codec.GroupEvent
		from string
		id   string
		pos  int
	}
	var steps []step
	for _, u := range log {
		for i, e := range u.Events {
			steps = append(steps, step{e, u.From, u.ID, i})
		}
	}
	sort.Slice(steps, func(i, j int) bool {
		a, b := steps[i], steps[j]
		if a.e.Clock != b.e.Clock {
			return a.e.Clock < b.e.Clock
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.pos < b.pos
	})
	s := State{
		ChatID:    chatID,
		members:   make(map[string]bool),
		admins:    make(map[string]bool),
		joined:    make(map[string]bool),
		removedAt: make(map[string]int64),
	}
	var rejected []Rejection
	for _, st := range steps {
		if reason := s.apply(st.e, st.from); reason != "" {
			rejected = append(rejected, Rejection{Event: st.e, From: st.from, Reason: reason})
			continue
		}
		s.lastSeen = st.e.Clock
	}
	return s, rejected
}

// apply checks one event against the state and applies it; it returns why
// it was refused, or "".
func (s *State) apply(e codec.GroupEvent, from string) string {
	if e.Type == codec.EventChatCreated {
		switch {
		case s.Created:
			return "the group was already created"
		case CheckChatID(s.ChatID, from) != nil:
			return "the chat id does not end with the author's key"
		case strings.TrimSpace(e.Name) == "" || len(e.Name) > maxNameBytes:
			return "the name is blank or too long"
		}
		s.Created, s.Creator, s.Name = true, from, e.Name
		s.add(from)
		s.admins[from], s.joined[from] = true, true
		return ""
	}
	if !s.Created {
		return "no chat-created before it"
	}
	switch e.Type {
	case codec.EventNameChanged:
		switch {
		case !s.admins[from]:
			return "only an admin may rename the group"
		case strings.TrimSpace(e.Name) == "" || len(e.Name) > maxNameBytes:
			return "the name is blank or too long"
		}
		s.Name = e.Name
	case codec.EventMembersAdded:
		if !s.admins[from] {
			return "only an admin may add members"
		}
		if reason := checkKeys(e.Members); reason != "" {
			return reason
		}
		n := len(s.members)
		for _, k := range e.Members {
			if !s.members[k] {
				n++
			}
		}
		if n > MaxMembers {
			return fmt.Sprintf("the group would have %d members, limit %d", n, MaxMembers)
		}
		for _, k := range e.Members {
			s.add(k)
		}
	case codec.EventMemberJoined:
		switch {
		case e.Member != from:
			return "a member may only join for itself"
		case !s.members[from]:
			return "the author was not invited"
		}
		s.joined[from] = true
	case codec.EventAdminsAdded:
		if !s.admins[from] {
			return "only an admin may make admins"
		}
		if reason := checkKeys(e.Members); reason != "" {
			return reason
		}
		for _, k := range e.Members {
			if !s.members[k] {
				return "a new admin must be a member"
			}
		}
		for _, k := range e.Members {
			s.admins[k] = true
		}
	case codec.EventMemberRemoved:
		switch {
		case !s.members[e.Member]:
			return "not a member"
		case e.Member == from:
		case !s.admins[from]:
			return "only an admin may remove another member"
		case s.admins[e.Member]:
			return "an admin cannot be removed by another"
		}
		delete(s.members, e.Member)
		delete(s.admins, e.Member)
		delete(s.joined, e.Member)
		s.removedAt[e.Member] = e.Clock
	case codec.EventAdminRemoved:
		switch {
		case e.Member != from:
			return "an admin may only step down itself"
		case !s.admins[from]:
			return "the author is not an admin"
		}
		delete(s.admins, from)
	default:
		return "unknown event type"
	}
	return ""
}

// FoldBefore is Fold over the events with a clock below clock: the group
// as it stood when something with that clock was written.
func FoldBefore(chatID string, log []Update, clock int64) State {
	var early []Update
	for _, u := range log {
		var events []codec.GroupEvent
		for _, e := range u.Events {
			if e.Clock < clock {
				events = append(events, e)
			}
		}
		if len(events) > 0 {
			c := u
			c.Events = events
			early = append(early, c)
		}
	}
	s, _ := Fold(chatID, early)
	return s
}

// add makes key a member, keeping the order of first addition.
func (s *State) add(key string) {
	if !s.members[key] {
		s.members[key] = true
		for _, k := range s.order {
			if k == key {
				return
			}
		}
		s.order = append(s.order, key)
	}
}

// checkKeys refuses an empty list and anything that is not a key written as
// Status writes one, so one key cannot be a member twice under two spellings.
func checkKeys(keys []string) string {
	if len(keys) == 0 {
		return "no members named"
	}
	for _, k := range keys {
		pub, err := codec.ParsePublicKey(k)
		if err != nil || codec.PublicKeyHex(pub) != k {
			return fmt.Sprintf("%.20q is not a 0x04… key", k)
		}
	}
	return ""
}

// Merge is the union of two logs: an update is in it once, by id, and the
// result is in one order (by first clock, then id) whatever order the
// inputs had. added counts the updates of b that a did not have.
func Merge(a, b []Update) (merged []Update, added int) {
	seen := make(map[string]bool, len(a)+len(b))
	for _, u := range a {
		if !seen[u.ID] {
			seen[u.ID] = true
			merged = append(merged, u)
		}
	}
	for _, u := range b {
		if !seen[u.ID] {
			seen[u.ID] = true
			merged = append(merged, u)
			added++
		}
	}
	sort.Slice(merged, func(i, j int) bool {
		ci, cj := firstClock(merged[i]), firstClock(merged[j])
		if ci != cj {
			return ci < cj
		}
		return merged[i].ID < merged[j].ID
	})
	return merged, added
}

func firstClock(u Update) int64 {
	c := u.Events[0].Clock
	for _, e := range u.Events[1:] {
		c = min(c, e.Clock)
	}
	return c
}
