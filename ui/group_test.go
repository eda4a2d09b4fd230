package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// TestGroupCommands drives the group commands through the screen: /group
// creates and shows "&team (3)", /members lists who is invited, Tab
// completes a member after /kick, /rename and /kick reach the session, a
// group change shows as a line in the pane, and a group command in a
// public chat is one red line.
func TestGroupCommands(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 100, 25)
	h.enter("/group team bob carol")
	if calls := h.waitCalls("CreateGroup", 1); calls[0] != "CreateGroup team bob|carol" {
		t.Fatalf("calls %q", calls)
	}
	h.waitScreen("&team (3)", "│")
	id := h.fake.Chats()[1].ID
	h.waitFor("group on screen", func() bool { return h.current() == id })

	h.enter("/members")
	h.waitScreen("&team (3): 3 members")
	h.waitScreen("bob", "(invited)")

	h.typeText("/kick c")
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("completion", func() bool { return h.inputText() == "/kick carol" })
	h.press(tcell.KeyEnter, tcell.ModNone)
	if calls := h.waitCalls("RemoveMember", 1); calls[0] != "RemoveMember carol "+id {
		t.Fatalf("calls %q", calls)
	}
	h.enter("/rename the new name")
	if calls := h.waitCalls("RenameGroup", 1); calls[0] != "RenameGroup the new name "+id {
		t.Fatalf("calls %q", calls)
	}
	fake.events <- session.GroupChanged{ChatID: id, Lines: []string{"carol left or was removed"}}
	h.waitScreen("carol left or was removed")

	h.alt('1')
	h.waitFor("public chat on screen", func() bool { return h.current() == "status" })
	h.enter("/accept")
	h.waitScreen("this works in a group chat")
	fake.events <- session.GroupChanged{ChatID: id, Lines: []string{"bob joined"}}
	h.waitScreen("&team (3): bob joined")
	// An invitation to a group the list does not show yet is named by the event.
	fake.events <- session.GroupChanged{ChatID: "new", Name: "club", Lines: []string{"x invited you"}}
	h.waitScreen("&club: x invited you")
}

// TestGroupInvitationAndRemoval: an invited group says so in the list and
// when opened, and /accept reaches the session; a group we were removed
// from says that.
func TestGroupInvitationAndRemoval(t *testing.T) {
	invited := session.Chat{ID: "u1" + fakeSelfKey, Kind: session.Group, Name: "club", Members: 4, Invited: true, New: true}
	removed := session.Chat{ID: "u2" + fakeSelfKey, Kind: session.Group, Name: "old", Members: 2, Removed: true}
	fake := newFakeSession(invited, removed)
	fake.groups = map[string][]session.GroupMember{invited.ID: nil, removed.ID: nil}
	h := startUI(t, fake, 100, 25)
	h.waitScreen("&club (invited)")
	h.waitScreen("&old (removed)")
	h.alt('1')
	h.waitScreen("you are invited to this group: /accept joins, /decline refuses")
	h.enter("/accept")
	if calls := h.waitCalls("AcceptInvite", 1); calls[0] != "AcceptInvite "+invited.ID {
		t.Fatalf("calls %q", calls)
	}
	h.alt('2')
	h.waitScreen("you were removed from this group")
	h.enter("/help group")
	h.waitScreen("/group NAME KEY|NAME... — create a private group")
	var names []string
	h.onLoop(func() {
		for _, c := range h.ui.commands {
			names = append(names, c.name)
		}
	})
	for _, cmd := range []string{"group", "accept", "decline", "invite", "kick", "rename", "admin", "members", "leave"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+cmd+" ") {
			t.Errorf("/%s is not in the command table", cmd)
		}
	}
}
