package session

import (
	"errors"
	"fmt"
	"sort"

	"hush/store"
)

// Ignore puts a key (or a contact's name) on the ignore list: everything it
// sends is dropped from now on, it is kept across restarts, and our
// one-to-one chat with it is left. It returns the key.
func (m *Manager) Ignore(keyOrName string) (string, error) {
	key, err := m.resolveContact(keyOrName)
	if err != nil {
		return "", fmt.Errorf("ignore: %w", err)
	}
	if key == m.self.PublicKey {
		return "", errors.New("ignore: that is your own key")
	}
	if err := m.cfg.Store.Ignore(key); err != nil {
		return "", fmt.Errorf("ignore: %w", err)
	}
	set := m.ignoredSet()
	m.guard.mu.Lock()
	if set != nil {
		set[key] = true
	}
	m.guard.mu.Unlock()
	if c, ok, err := m.cfg.Store.Chat(key); err != nil {
		m.log.Error("ignore: chat lookup", "key", key, "err", err)
	} else if ok && c.Joined && c.Kind == store.ChatOneToOne {
		if err := m.cfg.Store.LeaveChat(key); err != nil {
			return key, fmt.Errorf("ignore: leave the chat: %w", err)
		}
	}
	m.emit(ChatsChanged{Chats: m.Chats()})
	return key, nil
}

// Unignore takes a key (or a contact's name) off the ignore list. What
// arrived while it was ignored was not kept; only a copy that a relay or
// mailserver hands over again can still show.
func (m *Manager) Unignore(keyOrName string) (string, error) {
	key, err := m.resolveContact(keyOrName)
	if err != nil {
		return "", fmt.Errorf("unignore: %w", err)
	}
	removed, err := m.cfg.Store.Unignore(key)
	if err != nil {
		return "", fmt.Errorf("unignore: %w", err)
	}
	if !removed {
		return "", errors.New("unignore: that key is not ignored")
	}
	set := m.ignoredSet()
	m.guard.mu.Lock()
	delete(set, key)
	m.guard.mu.Unlock()
	return key, nil
}

// Ignored lists the ignored keys, sorted.
func (m *Manager) Ignored() []string {
	set := m.ignoredSet()
	m.guard.mu.Lock()
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	m.guard.mu.Unlock()
	sort.Strings(keys)
	return keys
}
