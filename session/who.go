package session

import (
	"encoding/hex"
	"fmt"
	"time"
)

// whoWindow is how many of a chat's newest messages /who looks at.
const whoWindow = 500

// Person is someone who wrote in a chat recently.
type Person struct {
	Key      string // 0x04…
	Name     string // best display name ("me" for us)
	LastSeen time.Time
	Messages int // among the messages looked at
}

// Who lists who wrote the newest messages of a chat, the latest writer
// first. Ignored keys are left out, as the pane hides them.
func (m *Manager) Who(chatID string) ([]Person, error) {
	senders, err := m.cfg.Store.RecentSenders(chatID, whoWindow)
	if err != nil {
		return nil, fmt.Errorf("who: %w", err)
	}
	out := make([]Person, 0, len(senders))
	for _, sd := range senders {
		key := "0x" + hex.EncodeToString(sd.Key)
		if m.isIgnored(key) {
			continue
		}
		out = append(out, Person{Key: key, Name: m.displayName(key), LastSeen: time.UnixMilli(sd.LastMs), Messages: sd.Messages})
	}
	return out, nil
}
