package ui

import (
	"os"
	"path/filepath"
	"strings"
)

// lastChatFile, in the data dir, names the chat on screen when hush last
// quit, so the next start shows it again.
const lastChatFile = "last-chat"

// loadLastChat returns the chat ID saved by saveLastChat, or "".
func (u *UI) loadLastChat() string {
	if u.dataDir == "" {
		return ""
	}
	raw, err := os.ReadFile(filepath.Join(u.dataDir, lastChatFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

// saveLastChat records the chat on screen. A failure only costs showing
// the first chat on the next start, so it is logged, not shown.
func (u *UI) saveLastChat() {
	if u.dataDir == "" {
		return
	}
	path := filepath.Join(u.dataDir, lastChatFile)
	// The ID of a one-to-one chat is the peer's key: private like the rest
	// of the data dir.
	if err := os.WriteFile(path, []byte(u.current+"\n"), 0o600); err != nil {
		u.log.Warn("save the chat on screen", "err", err)
	}
}

// openIncoming shows the chat of a message that arrived while no chat was
// on screen, now or once the chat list names it.
func (u *UI) openIncoming(chatIDs []string) {
	if u.current != "" || len(chatIDs) == 0 {
		return
	}
	if u.chatIndex(chatIDs[0]) >= 0 {
		u.openChat(chatIDs[0])
		return
	}
	u.openNext = chatIDs[0]
}
