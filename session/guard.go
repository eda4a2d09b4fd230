package session

import (
	"fmt"
	"sync"
	"time"
)

// Limits on what strangers can make hush do.
const (
	// strangerChats is how many new one-to-one chats incoming messages may
	// open per strangerWindow. Past it, messages from keys without a chat are
	// dropped and the user is told: 5,000 keys must not make 5,000 chats.
	strangerChats  = 10
	strangerWindow = time.Minute
)

// senderGuard is what the receive checks remember between messages: the keys
// the user ignores and how many chats strangers opened lately. Its zero value
// is ready; the ignored keys are read from the store on first use.
type senderGuard struct {
	mu      sync.Mutex
	loaded  bool
	ignored map[string]bool

	windowStart time.Time
	opened      int             // chats opened by strangers in this window
	refused     int             // messages refused by the cap in this window
	refusedFrom map[string]bool // keys whose messages were refused
}

// ignoredSet returns the ignored keys, loading them once. A store error is
// logged and retried at the next message, so a passing failure does not
// unignore anyone for good.
func (m *Manager) ignoredSet() map[string]bool {
	g := &m.guard
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.loaded {
		keys, err := m.cfg.Store.IgnoredKeys()
		if err != nil {
			m.log.Error("load ignored senders", "err", err)
			return nil
		}
		g.ignored = make(map[string]bool, len(keys))
		for _, k := range keys {
			g.ignored[k] = true
		}
		g.loaded = true
	}
	return g.ignored
}

// isIgnored reports whether key is on the user's ignore list.
func (m *Manager) isIgnored(key string) bool {
	set := m.ignoredSet()
	m.guard.mu.Lock()
	defer m.guard.mu.Unlock()
	return set[key]
}

// admitStranger counts a chat a stranger's message is about to open, and
// reports whether the cap allows it. The first refusal of a window and a
// summary once the window is over become notices, so the user learns that
// messages were dropped without one line per message.
func (m *Manager) admitStranger(key string, now time.Time) bool {
	g := &m.guard
	g.mu.Lock()
	var summary string
	if now.Sub(g.windowStart) >= strangerWindow || now.Before(g.windowStart) {
		if g.refused > 0 {
			summary = fmt.Sprintf("dropped %d messages from %d unknown keys: more than %d new private chats in a minute",
				g.refused, len(g.refusedFrom), strangerChats)
		}
		g.windowStart, g.opened, g.refused, g.refusedFrom = now, 0, 0, nil
	}
	admit := g.opened < strangerChats
	first := false
	if admit {
		g.opened++
	} else {
		first = g.refused == 0
		g.refused++
		if g.refusedFrom == nil {
			g.refusedFrom = make(map[string]bool)
		}
		g.refusedFrom[key] = true
	}
	g.mu.Unlock()
	if summary != "" {
		m.log.Warn("new private chats capped", "summary", summary)
		m.notice(summary, true)
	}
	if first {
		m.notice(fmt.Sprintf("more than %d new private chats in a minute: dropping messages from further unknown keys", strangerChats), true)
	}
	return admit
}
