package ui

import (
	"errors"
	"strings"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// errNoChat is what commands and plain text say when no chat is open.
var errNoChat = errors.New("join a chat first: /join #name")

// onKey is the application's key capture. It runs on the loop, before the
// input sees the key; it returns nil for keys it used.
//
//	Enter               send the input (text or /command)
//	Alt+Enter, Ctrl+J   new line in the input
//	Ctrl+N, Alt+Down    next chat;  Ctrl+P, Alt+Up: previous chat
//	Alt+1..Alt+9        chat by number;  Alt+A: next chat with unread
//	PgUp, PgDn          scroll half a page (a sheet: a page)
//	Esc                 close the sheet (/whoami, /log, /search)
//	Alt+End, End (on empty input)  back to the newest message
//	Up, Down (single-line input)   recall sent lines
//	Tab                 complete commands, chat and contact names
//	Ctrl+C              clear the input; on empty input say how to quit
func (u *UI) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() != tcell.KeyTab {
		u.input.completing = nil
	}
	mod := ev.Modifiers()
	alt := mod&tcell.ModAlt != 0
	switch ev.Key() {
	case tcell.KeyEnter:
		if alt || mod&tcell.ModShift != 0 {
			return newlineKey()
		}
		u.submit()
		return nil
	case tcell.KeyCtrlJ:
		return newlineKey()
	case tcell.KeyCtrlC:
		if !u.input.clear() {
			u.showNotice("type /quit to leave", false)
		}
		return nil
	case tcell.KeyCtrlN:
		u.showNextChat(1)
		return nil
	case tcell.KeyCtrlP:
		u.showNextChat(-1)
		return nil
	case tcell.KeyDown:
		if alt {
			u.showNextChat(1)
			return nil
		}
		if u.input.singleLine() {
			u.input.recallNewer()
			return nil
		}
	case tcell.KeyUp:
		if alt {
			u.showNextChat(-1)
			return nil
		}
		if u.input.singleLine() {
			u.input.recallOlder()
			return nil
		}
	case tcell.KeyEscape:
		if u.closeSheet() {
			return nil
		}
	case tcell.KeyPgUp:
		if u.sheet != nil {
			u.sheet.scroll(-u.sheet.page())
			return nil
		}
		u.pane.scrollUp(max(u.pane.height/2, 1))
		return nil
	case tcell.KeyPgDn:
		if u.sheet != nil {
			u.sheet.scroll(u.sheet.page())
			return nil
		}
		u.pane.scrollDown(max(u.pane.height/2, 1))
		return nil
	case tcell.KeyEnd:
		if alt || u.input.GetTextLength() == 0 {
			if u.sheet != nil {
				u.sheet.top = -1
				return nil
			}
			u.pane.toBottom()
			return nil
		}
	case tcell.KeyTab:
		u.input.complete(u.completions)
		return nil
	case tcell.KeyRune:
		r := ev.Rune()
		switch {
		case alt && mod&tcell.ModCtrl != 0 && (r == 'm' || r == 'j'):
			// Alt+Enter from terminals that send ESC CR.
			return newlineKey()
		case alt && r >= '1' && r <= '9':
			u.showChatNumber(int(r - '0'))
			return nil
		case alt && (r == 'a' || r == 'A'):
			u.showNextUnread()
			return nil
		}
	}
	return ev
}

// newlineKey is the key that makes the input insert a line break.
func newlineKey() *tcell.EventKey { return tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone) }

// submit handles Enter: a /command, or text for the chat on screen. "//" at
// the start sends a line that begins with "/".
func (u *UI) submit() {
	text := u.input.take()
	if strings.TrimSpace(text) == "" {
		return
	}
	if strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "//") {
		u.runCommand(text)
		return
	}
	text = strings.TrimPrefix(text, "/")
	// What is sent is shown: the chat comes back from under a sheet.
	u.closeSheet()
	if err := u.send(text); err != nil {
		u.showError(err)
	}
}

// send sends text to the chat on screen and shows the newest messages.
func (u *UI) send(text string) error {
	if u.current == "" {
		return errNoChat
	}
	text = strings.TrimRight(text, "\n")
	if err := u.session.Send(u.current, text); err != nil {
		return err
	}
	u.pane.toBottom()
	return nil
}

// completions lists what Tab can put in place of word, given the text
// before it.
func (u *UI) completions(before, word string) []string {
	if word == "" {
		return nil
	}
	command := strings.Fields(before)
	switch {
	case before == "" && strings.HasPrefix(word, "/"):
		var names []string
		for _, c := range u.commands {
			names = append(names, "/"+c.name+" ")
		}
		return matching(names, word)
	case len(command) == 1 && command[0] == "/help":
		var names []string
		for _, c := range u.commands {
			names = append(names, c.name)
		}
		return matching(names, word)
	case strings.HasPrefix(word, "#") || len(command) == 1 && command[0] == "/join":
		return matching(u.chatLabels(session.Public), "#"+strings.TrimPrefix(word, "#"))
	case len(command) == 1 && command[0] == "/msg":
		return matching(u.contactNames(), word)
	case len(command) >= 1 && (command[0] == "/kick" || command[0] == "/admin"):
		return matching(u.memberNames(), strings.TrimPrefix(word, "@"))
	case len(command) >= 1 && command[0] == "/invite", len(command) >= 2 && command[0] == "/group":
		return matching(u.contactNames(), word)
	}
	names := matching(append(u.contactNames(), u.memberNames()...), strings.TrimPrefix(word, "@"))
	if before == "" {
		for i := range names {
			names[i] += ": "
		}
	}
	return names
}

// chatLabels lists the #/@ labels of the chats of one kind.
func (u *UI) chatLabels(kind session.ChatKind) []string {
	var out []string
	for _, c := range u.chats {
		if c.Kind == kind {
			out = append(out, chatLabel(c))
		}
	}
	return out
}

// contactNames lists the people we know: one-to-one chats and the senders in
// the pane.
func (u *UI) contactNames() []string {
	var out []string
	for _, label := range u.chatLabels(session.OneToOne) {
		out = append(out, strings.TrimPrefix(label, "@"))
	}
	return append(out, u.pane.senders()...)
}
