package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"hush/codec"
	"hush/session/group"
	"hush/store"
)

// maxGroupName bounds a group name we write; received names are cut for
// display by codec.CleanName.
const maxGroupName = 64

// GroupMember is one member of a group as the UI lists it.
type GroupMember struct {
	Key    string
	Name   string // best display name
	Admin  bool
	Joined bool // accepted the invitation
}

// groupLog reads a group's signed log from the store; it is empty when we
// hold no group under that id.
func (m *Manager) groupLog(chatID string) ([]group.Update, error) {
	rows, err := m.cfg.Store.GroupUpdates(chatID)
	if err != nil {
		return nil, err
	}
	log := make([]group.Update, 0, len(rows))
	for _, r := range rows {
		var u codec.GroupUpdate
		if err := json.Unmarshal(r.Data, &u); err != nil {
			return nil, fmt.Errorf("group %s: stored update %s: %w", chatID, r.ID, err)
		}
		log = append(log, group.Update{GroupUpdate: u, From: r.Author, ID: r.ID})
	}
	return log, nil
}

// saveGroupLog stores new updates of a group's log together with the group
// the fold of the whole log gave.
func (m *Manager) saveGroupLog(st *group.State, fresh []group.Update, ourChange int64) error {
	rows := make([]store.GroupUpdate, 0, len(fresh))
	for _, u := range fresh {
		data, err := json.Marshal(u.GroupUpdate)
		if err != nil {
			return fmt.Errorf("encode update: %w", err)
		}
		first := u.Events[0].Clock
		for _, e := range u.Events {
			first = min(first, e.Clock)
		}
		rows = append(rows, store.GroupUpdate{ID: u.ID, Author: u.From, Clock: first, Data: data})
	}
	g := store.Group{ChatID: st.ChatID, Name: st.Name, Creator: st.Creator, ChangeClock: ourChange}
	for _, mem := range st.Members() {
		g.Members = append(g.Members, store.GroupMember{Key: mem.Key, Admin: mem.Admin, Joined: mem.Joined})
	}
	if err := m.cfg.Store.SaveGroup(g, rows); err != nil {
		return err
	}
	// New members' bundles: listen for them (PROTOCOL.md §7.11).
	m.watchMembers(st, true)
	return nil
}

// fresh lists the updates of merged that old did not hold.
func fresh(old, merged []group.Update) []group.Update {
	had := make(map[string]bool, len(old))
	for _, u := range old {
		had[u.ID] = true
	}
	var out []group.Update
	for _, u := range merged {
		if !had[u.ID] {
			out = append(out, u)
		}
	}
	return out
}

// groupState folds a stored group's log.
func (m *Manager) groupState(chatID string) (group.State, []group.Update, error) {
	log, err := m.groupLog(chatID)
	if err != nil {
		return group.State{}, nil, err
	}
	if len(log) == 0 {
		return group.State{}, nil, fmt.Errorf("no group %s", codec.ShortKey(chatID))
	}
	st, _ := group.Fold(chatID, log)
	return st, log, nil
}

// CreateGroup starts a private group named name with the given members
// (keys or contact names) and invites them (PROTOCOL.md §8.5): one update
// of chat-created and members-added, signed by us, sent to everyone.
func (m *Manager) CreateGroup(name string, members []string) (Chat, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxGroupName || codec.CleanName(name) != name {
		return Chat{}, fmt.Errorf("a group name is 1 to %d printable characters", maxGroupName)
	}
	keys, err := m.resolveMembers(members)
	if err != nil {
		return Chat{}, err
	}
	if len(keys) == 0 {
		return Chat{}, errors.New("name at least one member: /group NAME KEY|NAME...")
	}
	if len(keys)+1 > group.MaxMembers {
		return Chat{}, fmt.Errorf("a group has at most %d members", group.MaxMembers)
	}
	chatID, err := group.NewChatID(m.self.PublicKey)
	if err != nil {
		return Chat{}, err
	}
	if _, err := m.cfg.Store.JoinChat(chatID, store.ChatGroup); err != nil {
		return Chat{}, fmt.Errorf("create group: %w", err)
	}
	err = m.changeGroup(chatID, func(*group.State) ([]codec.GroupEvent, error) {
		return []codec.GroupEvent{
			{Type: codec.EventChatCreated, Name: name},
			{Type: codec.EventMembersAdded, Members: keys},
		}, nil
	})
	if err != nil {
		if lerr := m.cfg.Store.LeaveChat(chatID); lerr != nil {
			m.log.Error("hide a group that could not be created", "chat", chatID, "err", lerr)
		}
		return Chat{}, fmt.Errorf("create group: %w", err)
	}
	return m.chat(chatID)
}

// resolveMembers turns keys and contact names into distinct keys other
// than ours.
func (m *Manager) resolveMembers(inputs []string) ([]string, error) {
	var keys []string
	seen := map[string]bool{m.self.PublicKey: true}
	for _, in := range inputs {
		key, err := m.resolveContact(in)
		if err != nil {
			return nil, err
		}
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// AcceptInvite joins a group we were invited to: a member-joined of our own.
func (m *Manager) AcceptInvite(chatID string) error {
	err := m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		switch {
		case !st.IsMember(m.self.PublicKey):
			return nil, errors.New("you are not invited to this group")
		case st.HasJoined(m.self.PublicKey):
			return nil, errors.New("you are already in this group")
		}
		return []codec.GroupEvent{{Type: codec.EventMemberJoined, Member: m.self.PublicKey}}, nil
	})
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	if err := m.cfg.Store.SetNew(chatID, false); err != nil {
		m.log.Error("clear new flag", "chat", chatID, "err", err)
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
	return nil
}

// DeclineInvite refuses an invitation: we remove ourselves (so nobody keeps
// sending to us) and hide the chat.
func (m *Manager) DeclineInvite(chatID string) error {
	st, _, err := m.groupState(chatID)
	if err != nil {
		return fmt.Errorf("decline: %w", err)
	}
	if st.HasJoined(m.self.PublicKey) {
		return errors.New("decline: you already joined; /leave leaves the group")
	}
	return m.leaveGroup(chatID)
}

// InviteMembers adds members to a group we administer.
func (m *Manager) InviteMembers(chatID string, members []string) error {
	keys, err := m.resolveMembers(members)
	if err != nil {
		return err
	}
	err = m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		if !st.IsAdmin(m.self.PublicKey) {
			return nil, errors.New("only an admin may invite")
		}
		var add []string
		for _, k := range keys {
			if !st.IsMember(k) {
				add = append(add, k)
			}
		}
		if len(add) == 0 {
			return nil, errors.New("they are members already")
		}
		return []codec.GroupEvent{{Type: codec.EventMembersAdded, Members: add}}, nil
	})
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	return nil
}

// RemoveMember takes a member out of a group we administer. The removed
// member gets this update, and nothing after it.
func (m *Manager) RemoveMember(chatID, member string) error {
	key, err := m.memberKey(chatID, member)
	if err != nil {
		return fmt.Errorf("kick: %w", err)
	}
	if key == m.self.PublicKey {
		return errors.New("kick: to leave, use /leave")
	}
	err = m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		switch {
		case !st.IsAdmin(m.self.PublicKey):
			return nil, errors.New("only an admin may remove members")
		case st.IsAdmin(key):
			return nil, errors.New("an admin cannot be removed; they may leave")
		}
		return []codec.GroupEvent{{Type: codec.EventMemberRemoved, Member: key}}, nil
	})
	if err != nil {
		return fmt.Errorf("kick: %w", err)
	}
	return nil
}

// RenameGroup renames a group we administer.
func (m *Manager) RenameGroup(chatID, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxGroupName || codec.CleanName(name) != name {
		return fmt.Errorf("rename: a group name is 1 to %d printable characters", maxGroupName)
	}
	err := m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		if !st.IsAdmin(m.self.PublicKey) {
			return nil, errors.New("only an admin may rename the group")
		}
		return []codec.GroupEvent{{Type: codec.EventNameChanged, Name: name}}, nil
	})
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// AddAdmin makes a member an admin of a group we administer.
func (m *Manager) AddAdmin(chatID, member string) error {
	key, err := m.memberKey(chatID, member)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	err = m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		switch {
		case !st.IsAdmin(m.self.PublicKey):
			return nil, errors.New("only an admin may make admins")
		case st.IsAdmin(key):
			return nil, errors.New("already an admin")
		}
		return []codec.GroupEvent{{Type: codec.EventAdminsAdded, Members: []string{key}}}, nil
	})
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

// leaveGroup removes us from a group (everyone is told) and hides it.
func (m *Manager) leaveGroup(chatID string) error {
	err := m.changeGroup(chatID, func(st *group.State) ([]codec.GroupEvent, error) {
		if !st.IsMember(m.self.PublicKey) {
			return nil, nil // removed already: only hide it
		}
		return []codec.GroupEvent{{Type: codec.EventMemberRemoved, Member: m.self.PublicKey}}, nil
	})
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if err := m.cfg.Store.LeaveChat(chatID); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
	return nil
}

// GroupMembers lists a group's members in the order they were added.
func (m *Manager) GroupMembers(chatID string) ([]GroupMember, error) {
	g, ok, err := m.cfg.Store.Group(chatID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	if !ok {
		return nil, errors.New("members: this is not a group")
	}
	out := make([]GroupMember, 0, len(g.Members))
	for _, mem := range g.Members {
		out = append(out, GroupMember{Key: mem.Key, Name: m.displayName(mem.Key), Admin: mem.Admin, Joined: mem.Joined})
	}
	return out, nil
}

// memberKey resolves a member of a group by key, short key or any name we
// show for it.
func (m *Manager) memberKey(chatID, input string) (string, error) {
	input = strings.TrimSpace(input)
	if input == "" {
		return "", errors.New("name a member")
	}
	if pub, err := codec.ParsePublicKey(input); err == nil {
		return codec.PublicKeyHex(pub), nil
	}
	members, err := m.GroupMembers(chatID)
	if err != nil {
		return "", err
	}
	var found []string
	name := strings.TrimPrefix(input, "@")
	for _, mem := range members {
		if strings.EqualFold(mem.Name, name) || strings.EqualFold(strings.TrimPrefix(mem.Name, "~"), name) ||
			strings.EqualFold(codec.ShortKey(mem.Key), name) {
			found = append(found, mem.Key)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no member %q", input)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%d members match %q: use the key", len(found), input)
	}
}
