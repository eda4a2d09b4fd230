package session

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"hush/codec"
	"hush/store"
	"hush/whisper"
)

// Send stores text as our next message in a chat (Pending) and hands it to
// the outbox. It returns once the message is stored, so a crash after Send
// loses nothing; the delivery state follows as MessageStateChanged.
func (m *Manager) Send(chatID, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("nothing to send")
	}
	if len(text) > codec.MaxTextBytes {
		return fmt.Errorf("message is %d bytes; the limit is %d", len(text), codec.MaxTextBytes)
	}
	c, ok, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if !ok || !c.Joined {
		return errors.New("join a chat first: /join #name")
	}

	now := m.now()
	msg := codec.Message{
		Text:        text,
		ContentType: codec.ContentTypeText,
		Timestamp:   now.UnixMilli(),
		ChatID:      chatID,
	}
	msg.MessageType = codec.MessageTypePrivate
	switch c.Kind {
	case store.ChatPublic:
		msg.MessageType = codec.MessageTypePublic
	case store.ChatGroup:
		msg.MessageType = codec.MessageTypeGroup
		if err := m.canWriteGroup(chatID); err != nil {
			return err
		}
	}
	if !m.outbox.room() {
		return errors.New("too many messages are waiting for the network; try again when they are out")
	}

	// The clock is taken and stored under the lock so that two quick sends
	// in one chat can never share or invert clocks.
	m.mu.Lock()
	msg.Clock = codec.NextClock(m.clocks[chatID], now)
	m.clocks[chatID] = msg.Clock
	m.mu.Unlock()

	payload, err := codec.EncodeMessage(msg)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if c.Kind == store.ChatGroup {
		if payload, err = m.wrapGroupMessage(chatID, payload); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	posts, err := m.postsFor(chatID, msg.MessageType, payload)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	stored := store.Message{
		ID:          codec.MessageID(m.pub65, payload),
		ChatID:      chatID,
		Sender:      m.pub65,
		Clock:       msg.Clock,
		Timestamp:   msg.Timestamp,
		ContentType: msg.ContentType,
		MessageType: msg.MessageType,
		Text:        text,
		Payload:     payload,
		Outgoing:    true,
		State:       store.MessageState(Pending),
		Read:        true,
	}
	if _, err := m.cfg.Store.AddMessage(stored); err != nil {
		return fmt.Errorf("send: store: %w", err)
	}
	if err := m.cfg.Store.SetLastClock(chatID, msg.Clock); err != nil {
		m.log.Error("store clock", "chat", chatID, "err", err)
	}
	m.emit(MessagesAdded{ChatID: chatID, Messages: []Message{m.toMessage(stored)}})
	m.outbox.add(&outEntry{id: stored.ID, chatID: chatID, posts: posts, state: Pending})
	return nil
}

// Resend hands a failed or still unsent message of ours to the outbox
// again, unchanged: same payload and id, so receivers that got an earlier
// copy drop this one. A pending message is posted at once if a peer is
// connected (its wait for the next try is cut short).
func (m *Manager) Resend(chatID, msgID string) error {
	id, err := parseID(msgID)
	if err != nil {
		return err
	}
	sm, ok, err := m.cfg.Store.Message(id)
	if err != nil {
		return fmt.Errorf("resend: %w", err)
	}
	if !ok || !sm.Outgoing || sm.ChatID != chatID {
		return errors.New("resend: no such message of yours in this chat")
	}
	st := MessageState(sm.State)
	if st != Failed && !st.Unsent() {
		return fmt.Errorf("resend: the message is already %s", st)
	}
	posts, err := m.postsFor(chatID, sm.MessageType, sm.Payload)
	if err != nil {
		return fmt.Errorf("resend: %w", err)
	}
	m.outbox.add(&outEntry{id: id, chatID: chatID, posts: posts, state: st})
	return nil
}

// postsFor builds the posts of a message to a chat: public chats are
// encrypted with the chat's key on its topic, one-to-one messages go to the
// peer's key (directPost), and a group message goes one-to-one to every
// member (PROTOCOL.md §8.5).
func (m *Manager) postsFor(chatID, messageType string, payload []byte) ([]whisper.Post, error) {
	switch messageType {
	case codec.MessageTypePublic:
		return []whisper.Post{{
			Signer:  m.cfg.Identity,
			Payload: payload,
			Topic:   codec.TopicFor(chatID),
			SymKey:  m.chatKey(chatID),
		}}, nil
	case codec.MessageTypeGroup:
		return m.groupPosts(chatID, payload)
	}
	pub, err := codec.ParsePublicKey(chatID)
	if err != nil {
		return nil, fmt.Errorf("chat key: %w", err)
	}
	post, err := m.directPost(pub, payload)
	if err != nil {
		return nil, err
	}
	return []whisper.Post{post}, nil
}

func (m *Manager) setState(chatID string, id [32]byte, st MessageState) {
	if err := m.cfg.Store.SetState(id, store.MessageState(st)); err != nil {
		m.log.Error("store state", "id", hexID(id), "err", err)
	}
	m.emit(MessageStateChanged{ChatID: chatID, ID: hexID(id), State: st})
}

func hexID(id [32]byte) string { return "0x" + hex.EncodeToString(id[:]) }

func parseID(s string) ([32]byte, error) {
	var id [32]byte
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("bad message id %q", s)
	}
	copy(id[:], b)
	return id, nil
}
