package session

import (
	"encoding/hex"
	"fmt"
	"time"

	"hush/store"
)

// maxPage bounds one read of a chat, whatever the UI asks for.
const maxPage = 1000

// Latest returns the newest n messages of a chat, oldest first.
func (m *Manager) Latest(chatID string, n int) ([]Message, error) {
	ms, err := m.cfg.Store.Latest(chatID, clampPage(n))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", chatID, err)
	}
	return m.toMessages(ms), nil
}

// Before returns the n messages just older than before, oldest first.
func (m *Manager) Before(chatID string, before Message, n int) ([]Message, error) {
	id, err := parseID(before.ID)
	if err != nil {
		return nil, err
	}
	ms, err := m.cfg.Store.Before(chatID, before.Clock, id, clampPage(n))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", chatID, err)
	}
	return m.toMessages(ms), nil
}

// Search finds messages containing text, newest first; chatID "" searches
// every chat.
func (m *Manager) Search(chatID, text string, limit int) ([]Message, error) {
	ms, err := m.cfg.Store.Search(chatID, text, clampPage(limit))
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return m.toMessages(ms), nil
}

func clampPage(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, maxPage)
}

func (m *Manager) toMessages(ms []store.Message) []Message {
	out := make([]Message, len(ms))
	for i, sm := range ms {
		out[i] = m.toMessage(sm)
	}
	return out
}

func (m *Manager) toMessage(sm store.Message) Message {
	// Stored senders are 65-byte uncompressed keys, so their hex is already
	// the canonical 0x04… form that PublicKeyHex writes.
	sender := "0x" + hex.EncodeToString(sm.Sender)
	return Message{
		ID:          hexID(sm.ID),
		ChatID:      sm.ChatID,
		Sender:      sender,
		SenderName:  m.displayName(sender),
		Outgoing:    sm.Outgoing,
		Clock:       sm.Clock,
		Time:        time.UnixMilli(sm.Timestamp),
		ContentType: sm.ContentType,
		Text:        sm.Text,
		State:       MessageState(sm.State),
		Mention:     !sm.Outgoing && m.mentions(sm.Text),
	}
}
