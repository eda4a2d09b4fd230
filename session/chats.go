package session

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"hush/codec"
	"hush/store"
)

// maxChatName bounds public chat names; Status used short lowercase names.
const maxChatName = 64

// historyOnJoin is how far back a newly joined chat asks the mailserver.
const historyOnJoin = 24 * time.Hour

// ParseChatName turns user input ("#Status", "status") into a public chat
// id, or says why it cannot be one.
func ParseChatName(input string) (string, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(input), "#"))
	if name == "" {
		return "", errors.New("usage: /join #name")
	}
	if len(name) > maxChatName {
		return "", fmt.Errorf("chat name is longer than %d characters", maxChatName)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return "", fmt.Errorf("chat name %q: use only a-z, 0-9 and -", name)
		}
	}
	return name, nil
}

// JoinPublic joins (or re-opens) a public chat by name and asks the
// mailserver for its recent history when it is new to us.
func (m *Manager) JoinPublic(input string) (Chat, error) {
	name, err := ParseChatName(input)
	if err != nil {
		return Chat{}, err
	}
	prev, existed, err := m.cfg.Store.Chat(name)
	if err != nil {
		return Chat{}, fmt.Errorf("join #%s: %w", name, err)
	}
	if existed && prev.Kind != store.ChatPublic {
		return Chat{}, fmt.Errorf("join #%s: name is taken by another chat", name)
	}
	if _, err := m.cfg.Store.JoinChat(name, store.ChatPublic); err != nil {
		return Chat{}, fmt.Errorf("join #%s: %w", name, err)
	}
	if err := m.subscribePublic(name); err != nil {
		return Chat{}, err
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
	if !existed || !prev.Joined {
		m.sync.requestRecent([]string{name}, historyOnJoin)
	}
	return m.chat(name)
}

// OpenPrivate opens (or focuses) the one-to-one chat with a key or a known
// contact name.
func (m *Manager) OpenPrivate(keyOrName string) (Chat, error) {
	key, err := m.resolveContact(keyOrName)
	if err != nil {
		return Chat{}, err
	}
	if key == m.self.PublicKey {
		return Chat{}, errors.New("that is your own key")
	}
	prev, existed, err := m.cfg.Store.Chat(key)
	if err != nil {
		return Chat{}, fmt.Errorf("open chat: %w", err)
	}
	if _, err := m.cfg.Store.JoinChat(key, store.ChatOneToOne); err != nil {
		return Chat{}, fmt.Errorf("open chat: %w", err)
	}
	if err := m.cfg.Store.SetNew(key, false); err != nil {
		return Chat{}, fmt.Errorf("open chat: %w", err)
	}
	m.watchPeer(key, !existed || !prev.Joined)
	m.emit(ChatsChanged{Chats: m.Chats()})
	return m.chat(key)
}

// looksLikeKey tells key typos from names, so a mistyped key gets a key
// error rather than "no contact named".
func looksLikeKey(s string) bool {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return true
	}
	if len(s) < 16 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// Leave leaves a chat: it stays in the store but is no longer shown or
// listened to.
func (m *Manager) Leave(chatID string) error {
	c, ok, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if !ok || !c.Joined {
		return fmt.Errorf("not in chat %s", chatID)
	}
	if c.Kind == store.ChatPublic {
		m.unsubscribePublic(chatID)
	}
	if c.Kind == store.ChatGroup {
		return m.leaveGroup(chatID)
	}
	if err := m.cfg.Store.LeaveChat(chatID); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
	return nil
}

// Chats lists the joined chats with unread counts and display names.
func (m *Manager) Chats() []Chat {
	chats, err := m.cfg.Store.Chats()
	if err != nil {
		m.log.Error("list chats", "err", err)
		return nil
	}
	unread, err := m.cfg.Store.UnreadCounts()
	if err != nil {
		m.log.Error("count unread", "err", err)
	}
	out := make([]Chat, 0, len(chats))
	for _, c := range chats {
		out = append(out, m.toChat(c, unread[c.ID]))
	}
	return out
}

func (m *Manager) chat(id string) (Chat, error) {
	c, ok, err := m.cfg.Store.Chat(id)
	if err != nil {
		return Chat{}, err
	}
	if !ok {
		return Chat{}, fmt.Errorf("no chat %s", id)
	}
	unread, err := m.cfg.Store.UnreadCounts()
	if err != nil {
		return Chat{}, err
	}
	return m.toChat(c, unread[id]), nil
}

func (m *Manager) toChat(c store.Chat, unread int) Chat {
	out := Chat{ID: c.ID, Unread: unread, New: c.New, Mention: c.Mentioned && unread > 0}
	switch c.Kind {
	case store.ChatPublic:
		out.Kind, out.Name = Public, c.ID
	case store.ChatGroup:
		out.Kind, out.Name = Group, "group"
		g, ok, err := m.cfg.Store.Group(c.ID)
		if err != nil {
			m.log.Error("read group", "chat", c.ID, "err", err)
		}
		if ok {
			out.Name = codec.CleanName(g.Name)
			out.Members = len(g.Members)
			out.Removed = true
			for _, mem := range g.Members {
				if mem.Key == m.self.PublicKey {
					out.Removed, out.Invited = false, !mem.Joined
				}
			}
		}
	default:
		out.Kind, out.Name = OneToOne, m.displayName(c.ID)
		if pub, err := codec.ParsePublicKey(c.ID); err == nil {
			out.Encryption = lockLabel(m.enc.KindFor(pub))
		}
	}
	return out
}

// MarkRead marks every message of a chat as read.
func (m *Manager) MarkRead(chatID string) {
	if err := m.cfg.Store.MarkRead(chatID); err != nil {
		m.log.Error("mark read", "chat", chatID, "err", err)
		return
	}
	if err := m.cfg.Store.SetNew(chatID, false); err != nil {
		m.log.Error("mark read", "chat", chatID, "err", err)
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
}

// SetNickname names the peer of a one-to-one chat locally; an empty nick
// removes the name, and the key goes by its own or three-word name again.
func (m *Manager) SetNickname(chatID, nick string) error {
	c, ok, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return fmt.Errorf("nick: %w", err)
	}
	if !ok || c.Kind != store.ChatOneToOne {
		return errors.New("/nick works in a one-to-one chat")
	}
	nick = codec.CleanName(nick)
	if strings.HasPrefix(nick, "~") || codec.LooksLikeKey(nick) {
		return errors.New("a nickname may not start with ~ or look like a 0x04… key")
	}
	if err := m.cfg.Store.SetNickname(chatID, nick); err != nil {
		return fmt.Errorf("nick: %w", err)
	}
	m.mu.Lock()
	ct := m.contacts[chatID]
	ct.Key, ct.Nickname = chatID, nick
	m.contacts[chatID] = ct
	m.mu.Unlock()
	m.emit(NameChanged{Key: chatID, Name: m.displayName(chatID)})
	m.emit(ChatsChanged{Chats: m.Chats()})
	return nil
}

// subscribePublic installs the whisper filter of a public chat.
func (m *Manager) subscribePublic(name string) error {
	m.mu.Lock()
	_, ok := m.chatSubs[name]
	m.mu.Unlock()
	if ok {
		return nil
	}
	id, err := m.cfg.Node.SubscribeSym(codec.TopicFor(name), m.chatKey(name))
	if err != nil {
		return fmt.Errorf("subscribe #%s: %w", name, err)
	}
	m.mu.Lock()
	m.subs[id] = name
	m.chatSubs[name] = id
	m.mu.Unlock()
	return nil
}

func (m *Manager) unsubscribePublic(name string) {
	m.mu.Lock()
	id, ok := m.chatSubs[name]
	delete(m.chatSubs, name)
	delete(m.subs, id)
	m.mu.Unlock()
	if ok {
		if err := m.cfg.Node.Unsubscribe(id); err != nil {
			m.log.Warn("unsubscribe", "chat", name, "err", err)
		}
	}
}

// chatKey is the symmetric key of a public chat. PBKDF2 with 65356 rounds
// costs tens of milliseconds, so each key is derived once.
func (m *Manager) chatKey(name string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.symKeys[name]; ok {
		return k
	}
	k := codec.SymKeyFromPassword(name)
	m.symKeys[name] = k
	return k
}
