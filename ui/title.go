package ui

import (
	"strconv"

	"github.com/gdamore/tcell/v2"
)

// windowTitle is the terminal title for the chat list: "hush", then how
// many chats have unread messages and how many mention us, so a glance at
// a tab or taskbar says whether anything waits.
func windowTitle(u *UI) string {
	unread, mentions := 0, 0
	for _, c := range u.chats {
		if c.Unread > 0 || c.New {
			unread++
		}
		if c.Mention {
			mentions++
		}
	}
	title := "hush"
	if unread > 0 {
		title += " (" + strconv.Itoa(unread) + " unread"
		if mentions > 0 {
			title += ", " + strconv.Itoa(mentions) + " !"
		}
		title += ")"
	}
	return title
}

// setTitle sets the terminal title when it changed. It runs on the loop at
// every draw; tcell sends the escape only to terminals that have one.
func (u *UI) setTitle(screen tcell.Screen) {
	title := windowTitle(u)
	if title == u.title {
		return
	}
	u.title = title
	screen.SetTitle(title)
}
