package ui

import (
	"errors"
	"strings"

	"hush/session"
)

// The fake session's groups: members per group id, in the order added;
// the group's chat is in f.chats like any other.

func (f *fakeSession) groupMembers() map[string][]session.GroupMember {
	if f.groups == nil {
		f.groups = map[string][]session.GroupMember{}
	}
	return f.groups
}

func (f *fakeSession) CreateGroup(name string, members []string) (session.Chat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateGroup %s %s", name, strings.Join(members, "|"))
	if len(members) == 0 {
		return session.Chat{}, errors.New("name at least one member")
	}
	id := "0a1b2c3d-0000-4000-8000-00000000000" + string(rune('0'+len(f.groups))) + f.self.PublicKey
	list := []session.GroupMember{{Key: f.self.PublicKey, Name: "me", Admin: true, Joined: true}}
	for _, m := range members {
		list = append(list, session.GroupMember{Key: "0x04" + m, Name: m})
	}
	f.groupMembers()[id] = list
	c := session.Chat{ID: id, Kind: session.Group, Name: name, Members: len(list)}
	f.chats = append(f.chats, c)
	f.emitChats()
	return c, nil
}

func (f *fakeSession) groupCall(call, chatID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("%s %s", call, chatID)
	if _, ok := f.groupMembers()[chatID]; !ok {
		return errors.New("not a group")
	}
	return nil
}

func (f *fakeSession) AcceptInvite(chatID string) error { return f.groupCall("AcceptInvite", chatID) }

func (f *fakeSession) DeclineInvite(chatID string) error {
	if err := f.groupCall("DeclineInvite", chatID); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.chatIndex(chatID); i >= 0 {
		f.chats = append(f.chats[:i:i], f.chats[i+1:]...)
		f.emitChats()
	}
	return nil
}

func (f *fakeSession) InviteMembers(chatID string, members []string) error {
	return f.groupCall("InviteMembers "+strings.Join(members, "|"), chatID)
}

func (f *fakeSession) RemoveMember(chatID, member string) error {
	return f.groupCall("RemoveMember "+member, chatID)
}

func (f *fakeSession) RenameGroup(chatID, name string) error {
	return f.groupCall("RenameGroup "+name, chatID)
}

func (f *fakeSession) AddAdmin(chatID, member string) error {
	return f.groupCall("AddAdmin "+member, chatID)
}

func (f *fakeSession) GroupMembers(chatID string) ([]session.GroupMember, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list, ok := f.groupMembers()[chatID]
	if !ok {
		return nil, errors.New("not a group")
	}
	return append([]session.GroupMember(nil), list...), nil
}
