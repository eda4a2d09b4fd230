package session

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"hush/codec"
	"hush/store"
	"hush/whisper"
)

// outgoing is one stored message waiting for the node.
type outgoing struct {
	id      [32]byte
	chatID  string
	payload []byte
	post    whisper.Post
}

// Send stores text as our next message in a chat and queues it for the
// network. It returns once the message is stored, so a crash after Send
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
	post := whisper.Post{Signer: m.cfg.Identity}
	if c.Kind == store.ChatPublic {
		msg.MessageType = codec.MessageTypePublic
		post.Topic = codec.TopicFor(chatID)
		post.SymKey = m.chatKey(chatID)
	} else {
		pub, err := codec.ParsePublicKey(chatID)
		if err != nil {
			return fmt.Errorf("send: chat key: %w", err)
		}
		msg.MessageType = codec.MessageTypePrivate
		post.Topic = codec.TopicFor(codec.DiscoveryTopicName)
		post.PublicKey = pub
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
	post.Payload = payload
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
		State:       store.MessageState(Sending),
		Read:        true,
	}
	if _, err := m.cfg.Store.AddMessage(stored); err != nil {
		return fmt.Errorf("send: store: %w", err)
	}
	if err := m.cfg.Store.SetLastClock(chatID, msg.Clock); err != nil {
		m.log.Error("store clock", "chat", chatID, "err", err)
	}
	m.emit(MessagesAdded{ChatID: chatID, Messages: []Message{m.toMessage(stored)}})
	return m.queue(outgoing{id: stored.ID, chatID: chatID, payload: payload, post: post})
}

// Resend queues a failed message of ours again, unchanged: same payload,
// same id, so receivers that got the first copy drop the second.
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
	if sm.State != store.MessageState(Failed) {
		return errors.New("resend: the message was not marked failed")
	}
	post := whisper.Post{Signer: m.cfg.Identity, Payload: sm.Payload}
	if sm.MessageType == codec.MessageTypePublic {
		post.Topic = codec.TopicFor(chatID)
		post.SymKey = m.chatKey(chatID)
	} else {
		var pub *ecdsa.PublicKey
		if pub, err = codec.ParsePublicKey(chatID); err != nil {
			return fmt.Errorf("resend: %w", err)
		}
		post.Topic = codec.TopicFor(codec.DiscoveryTopicName)
		post.PublicKey = pub
	}
	m.setState(chatID, id, Sending)
	return m.queue(outgoing{id: id, chatID: chatID, payload: sm.Payload, post: post})
}

func (m *Manager) queue(o outgoing) error {
	select {
	case m.outbox <- o:
		return nil
	case <-m.quit:
		return errors.New("session stopped")
	default:
		m.setState(o.chatID, o.id, Failed)
		return errors.New("too many messages waiting for the network; try /resend later")
	}
}

// postLoop seals and posts queued messages one at a time, in order.
func (m *Manager) postLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	for {
		select {
		case <-m.quit:
			return
		case o := <-m.outbox:
			hash, err := m.cfg.Node.Post(o.post)
			if err != nil {
				m.log.Warn("post failed", "chat", o.chatID, "id", hexID(o.id), "err", err)
				m.setState(o.chatID, o.id, Failed)
				m.notice("sending failed: "+err.Error(), true)
				continue
			}
			if err := m.cfg.Store.SetEnvelopeHash(o.id, hash); err != nil {
				m.log.Error("store envelope hash", "id", hexID(o.id), "err", err)
			}
			m.log.Debug("posted", "chat", o.chatID, "id", hexID(o.id), "envelope", hexID(hash))
			m.setState(o.chatID, o.id, Sent)
		}
	}
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
