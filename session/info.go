package session

import (
	"errors"
	"fmt"
	"time"

	"hush/codec"
	"hush/store"
)

// ChatInfo is what /info shows about a chat: for a one-to-one chat, how a
// message sent now is encrypted end to end, which installations of the
// peer we know, and the topic it would go on (PROTOCOL.md §7).
type ChatInfo struct {
	ChatID     string
	Kind       ChatKind
	Encryption string // "plain", "DH" or "PFS"; public chats: ""
	// EncryptionDetail names the kind precisely ("double ratchet", "X3DH",
	// "DH", "plain").
	EncryptionDetail string
	// LastReceived is how the last message received in this session was
	// encrypted; "" before one arrived.
	LastReceived  string
	Installations []InstallationInfo
	Topic         string // name and 0x topic a message sent now goes on
}

// InstallationInfo is one installation (device) of a peer.
type InstallationInfo struct {
	ID              string
	ProtocolVersion uint32
	SeenAt          time.Time
}

// Info describes a joined chat.
func (m *Manager) Info(chatID string) (ChatInfo, error) {
	c, ok, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return ChatInfo{}, fmt.Errorf("info: %w", err)
	}
	if !ok || !c.Joined {
		return ChatInfo{}, errors.New("info: open a chat first")
	}
	info := ChatInfo{ChatID: chatID}
	if c.Kind == store.ChatPublic {
		info.Kind = Public
		info.Topic = "#" + chatID + " " + codec.TopicFor(chatID).String()
		return info, nil
	}
	info.Kind = OneToOne
	pub, err := codec.ParsePublicKey(chatID)
	if err != nil {
		return ChatInfo{}, fmt.Errorf("info: %w", err)
	}
	kind := m.enc.KindFor(pub)
	info.Encryption, info.EncryptionDetail = lockLabel(kind), kind.String()
	m.stage.mu.Lock()
	if k, ok := m.stage.lastKind[chatID]; ok {
		info.LastReceived = k.String()
	}
	m.stage.mu.Unlock()
	for _, in := range m.enc.Installations(pub) {
		info.Installations = append(info.Installations, InstallationInfo{ID: in.ID, ProtocolVersion: in.ProtocolVersion, SeenAt: in.SeenAt})
	}
	info.Topic = m.sendTopicName(pub)
	return info, nil
}
