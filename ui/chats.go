package ui

import (
	"time"

	"hush/session"
)

// chatLabel is how a chat is named on screen: #name or @name.
func chatLabel(c session.Chat) string {
	name := sanitizeText(c.Name, false)
	if name == "" {
		name = shortKey(c.ID)
	}
	switch c.Kind {
	case session.OneToOne:
		return "@" + name
	case session.Group:
		return groupLabel(c, name)
	}
	return "#" + name
}

// chatIndex finds a chat by ID, or -1.
func (u *UI) chatIndex(id string) int {
	if u.currentIdx >= 0 && u.currentIdx < len(u.chats) && u.chats[u.currentIdx].ID == id {
		return u.currentIdx
	}
	for i, c := range u.chats {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// currentIndex is the index of the chat on screen, or -1.
func (u *UI) currentIndex() int {
	if u.current == "" {
		return -1
	}
	i := u.chatIndex(u.current)
	u.currentIdx = i
	return i
}

// setChats replaces the chat list with the session's. When the chat on screen
// is gone (left), its neighbour is shown instead.
func (u *UI) setChats(chats []session.Chat) {
	prev := u.currentIdx
	u.chats = append([]session.Chat(nil), chats...)
	if u.current == "" {
		if id := u.openNext; id != "" && u.chatIndex(id) >= 0 {
			u.openNext = ""
			u.openChat(id)
		}
		return
	}
	if i := u.currentIndex(); i >= 0 {
		return
	}
	u.showNeighbour(prev)
}

// addChat puts a chat the session just returned into the list, so it can be
// shown before the matching ChatsChanged event arrives.
func (u *UI) addChat(c session.Chat) {
	if i := u.chatIndex(c.ID); i >= 0 {
		u.chats[i] = c
		return
	}
	u.chats = append(u.chats, c)
}

// removeChat drops a chat from the list and, if it was on screen, shows its
// neighbour.
func (u *UI) removeChat(id string) {
	i := u.chatIndex(id)
	if i < 0 {
		return
	}
	u.chats = append(u.chats[:i:i], u.chats[i+1:]...)
	if id == u.current {
		u.current = ""
		u.showNeighbour(i)
	}
}

// showNeighbour shows the chat now at index i (or the last one), or nothing
// when the list is empty.
func (u *UI) showNeighbour(i int) {
	if len(u.chats) == 0 {
		u.current, u.currentIdx = "", -1
		u.pane.clear()
		return
	}
	i = max(0, min(i, len(u.chats)-1))
	u.openChat(u.chats[i].ID)
}

// openChat shows a chat: it loads its newest messages, puts the "new
// messages" ruler where reading stopped, and marks the chat read.
func (u *UI) openChat(id string) {
	i := u.chatIndex(id)
	if i < 0 {
		return
	}
	c := u.chats[i]
	u.closeSheet()
	u.current, u.currentIdx = c.ID, i
	u.pane.load(c.ID, c.Unread)
	u.showGroupState(c)
	u.markRead(i)
}

// markRead tells the session the user has seen chat i, and clears its marks
// locally so the list is right before the session confirms.
func (u *UI) markRead(i int) {
	c := &u.chats[i]
	c.Unread, c.Mention, c.New = 0, false, false
	u.session.MarkRead(c.ID)
}

// showNextChat moves by delta chats, wrapping around.
func (u *UI) showNextChat(delta int) {
	n := len(u.chats)
	if n == 0 {
		return
	}
	i := u.currentIndex()
	if i < 0 {
		i = 0
		if delta > 0 {
			delta--
		}
	}
	u.openChat(u.chats[((i+delta)%n+n)%n].ID)
}

// showChatNumber shows the n-th chat of the list (1-based).
func (u *UI) showChatNumber(n int) {
	if n < 1 || n > len(u.chats) {
		u.showNotice("no chat number "+itoa(n), true)
		return
	}
	u.openChat(u.chats[n-1].ID)
}

// showNextUnread shows the next chat (after the current one, wrapping) that
// mentions us, or else the next one with anything new.
func (u *UI) showNextUnread() {
	n := len(u.chats)
	start := u.currentIndex()
	for _, wanted := range []func(session.Chat) bool{
		func(c session.Chat) bool { return c.Mention },
		func(c session.Chat) bool { return c.Unread > 0 || c.New },
	} {
		for step := 1; step <= n; step++ {
			i := ((start+step)%n + n) % n
			if i != start && wanted(u.chats[i]) {
				u.openChat(u.chats[i].ID)
				return
			}
		}
	}
	u.showNotice("no unread chats", false)
}

// noticeTTL is how long a status-line notice stays up.
const noticeTTL = 5 * time.Second

// notice is a one-line message in the status line.
type notice struct {
	text  string
	err   bool
	until time.Time
}

// showNotice puts a line into the status line for noticeTTL; errors are red.
func (u *UI) showNotice(text string, isErr bool) {
	u.notice = notice{text: text, err: isErr, until: time.Now().Add(noticeTTL)}
	u.notices.add(u.notice)
	if u.noticeTimer != nil {
		u.noticeTimer.Stop()
	}
	// A redraw after expiry takes the notice away; the timer goroutine only
	// calls invalidate, which never blocks.
	u.noticeTimer = time.AfterFunc(noticeTTL+50*time.Millisecond, u.invalidate)
}

// showError shows err as one red line.
func (u *UI) showError(err error) {
	u.log.Debug("ui error", "err", err)
	u.showNotice(sanitizeText(firstLine(err.Error()), false), true)
}

// chatNames names a few chats by ID for the status line.
func (u *UI) chatNames(ids []string) string {
	const shown = 2
	var out string
	for i, id := range ids {
		if i == shown {
			return out + " +" + itoa(len(ids)-shown)
		}
		if i > 0 {
			out += ", "
		}
		if j := u.chatIndex(id); j >= 0 {
			out += chatLabel(u.chats[j])
		} else {
			out += sanitizeText(shortKey(id), false)
		}
	}
	if out == "" {
		return "all chats"
	}
	return out
}
