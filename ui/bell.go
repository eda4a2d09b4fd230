package ui

import "time"

// bellEvery is how often one chat may ring the terminal bell: a flood of
// private messages rings once, not once per batch.
const bellEvery = time.Minute

// bellLimit remembers when each chat last rang. It is owned by the event
// loop; its zero value is ready.
type bellLimit struct {
	now  func() time.Time // nil means time.Now; tests move it
	last map[string]time.Time
}

// allow reports whether chatID may ring now, and if so counts the ring.
func (b *bellLimit) allow(chatID string) bool {
	now := time.Now()
	if b.now != nil {
		now = b.now()
	}
	if t, ok := b.last[chatID]; ok && now.Sub(t) < bellEvery && !now.Before(t) {
		return false
	}
	if b.last == nil {
		b.last = make(map[string]time.Time)
	}
	if len(b.last) >= 256 {
		// Forget chats whose minute is over, so the map stays small
		// however many chats ring.
		for id, t := range b.last {
			if now.Sub(t) >= bellEvery || now.Before(t) {
				delete(b.last, id)
			}
		}
	}
	b.last[chatID] = now
	return true
}
