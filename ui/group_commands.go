package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"hush/session"
)

// This file holds what the UI does for private groups (PROTOCOL.md §8): the
// group commands, the group lines in the pane, member completion, and the
// group's label in the chat list.

// groupLabel is a group in the chat list: "&name (members)", "(invited)"
// while we have not accepted, "(removed)" once we are out.
func groupLabel(c session.Chat, name string) string {
	switch {
	case c.Removed:
		return "&" + name + " (removed)"
	case c.Invited:
		return "&" + name + " (invited)"
	}
	return "&" + name + " (" + strconv.Itoa(c.Members) + ")"
}

// errNotGroup is the error of a group command used elsewhere.
var errNotGroup = errors.New("this works in a group chat; create one with /group NAME KEY|NAME...")

// currentGroup is the group on screen, or errNotGroup.
func (u *UI) currentGroup() (session.Chat, error) {
	i := u.currentIndex()
	if i < 0 || u.chats[i].Kind != session.Group {
		return session.Chat{}, errNotGroup
	}
	return u.chats[i], nil
}

// splitMembers splits member arguments into keys and contact names; a name
// may hold spaces, so the longest known name at each point wins.
func (u *UI) splitMembers(args string) []string {
	var out []string
	for rest := strings.TrimSpace(args); rest != ""; {
		target, after := u.splitRecipient(rest)
		if target == "" {
			break
		}
		out = append(out, target)
		rest = strings.TrimSpace(after)
	}
	return out
}

func (u *UI) cmdGroup(args string) error {
	name, members, _ := strings.Cut(args, " ")
	list := u.splitMembers(members)
	if name == "" || len(list) == 0 {
		return errUsage
	}
	c, err := u.session.CreateGroup(name, list)
	if err != nil {
		return err
	}
	u.addChat(c)
	u.openChat(c.ID)
	return nil
}

func (u *UI) cmdAccept(args string) error {
	if args != "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	if err := u.session.AcceptInvite(c.ID); err != nil {
		return err
	}
	u.pane.load(c.ID, 0) // without the invitation line
	return nil
}

func (u *UI) cmdDecline(args string) error {
	if args != "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	if err := u.session.DeclineInvite(c.ID); err != nil {
		return err
	}
	u.removeChat(c.ID)
	return nil
}

func (u *UI) cmdInvite(args string) error {
	list := u.splitMembers(args)
	if len(list) == 0 {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	return u.session.InviteMembers(c.ID, list)
}

func (u *UI) cmdKick(args string) error {
	if args == "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	return u.session.RemoveMember(c.ID, args)
}

func (u *UI) cmdRename(args string) error {
	if args == "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	return u.session.RenameGroup(c.ID, args)
}

func (u *UI) cmdAdmin(args string) error {
	if args == "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	return u.session.AddAdmin(c.ID, args)
}

func (u *UI) cmdMembers(args string) error {
	if args != "" {
		return errUsage
	}
	c, err := u.currentGroup()
	if err != nil {
		return err
	}
	members, err := u.session.GroupMembers(c.ID)
	if err != nil {
		return err
	}
	u.pane.addLocal(kindSystem, fmt.Sprintf("%s: %s", chatLabel(c), plural(len(members), "member")))
	for _, m := range members {
		var marks []string
		if m.Admin {
			marks = append(marks, "admin")
		}
		if !m.Joined {
			marks = append(marks, "invited")
		}
		line := "  " + sanitizeText(m.Name, false) + " " + shortKey(m.Key)
		if len(marks) > 0 {
			line += " (" + strings.Join(marks, ", ") + ")"
		}
		u.pane.addLocal(kindSystem, line)
	}
	return nil
}

// memberNames are the names the session shows for the members of the group
// on screen, for completion.
func (u *UI) memberNames() []string {
	c, err := u.currentGroup()
	if err != nil {
		return nil
	}
	members, err := u.session.GroupMembers(c.ID)
	if err != nil {
		u.log.Debug("members for completion", "err", err)
		return nil
	}
	out := make([]string, 0, len(members))
	for _, m := range members {
		if m.Key != u.self.PublicKey {
			out = append(out, sanitizeText(m.Name, false))
		}
	}
	return out
}

// showGroupChange puts a group's lines into the pane when it is on screen,
// and otherwise the last one into the status line.
func (u *UI) showGroupChange(ev session.GroupChanged) {
	if len(ev.Lines) == 0 {
		return
	}
	if ev.ChatID == u.current {
		for _, l := range ev.Lines {
			u.pane.addLocal(kindSystem, sanitizeText(l, false))
		}
		return
	}
	label := "&" + sanitizeText(ev.Name, false)
	if i := u.chatIndex(ev.ChatID); i >= 0 {
		label = chatLabel(u.chats[i])
	}
	u.showNotice(label+": "+sanitizeText(firstLine(ev.Lines[len(ev.Lines)-1]), false), false)
}

// showGroupState tells, under a group just opened, what we can do in it
// when we are not a full member.
func (u *UI) showGroupState(c session.Chat) {
	switch {
	case c.Kind != session.Group:
	case c.Removed:
		u.pane.addLocal(kindSystem, "you were removed from this group: nothing more arrives here; /leave hides it")
	case c.Invited:
		u.pane.addLocal(kindSystem, "you are invited to this group: /accept joins, /decline refuses")
	}
}
