package ui

import (
	"fmt"
	"slices"
	"time"

	"hush/session"
)

const (
	// batchMax bounds one batch so a flood still reaches the screen in steps.
	batchMax = 512
	// batchLinger is how long the pump keeps collecting after the first event
	// of a batch: bursts arrive spread over a few milliseconds.
	batchLinger = 3 * time.Millisecond
	// inboxMax bounds events waiting for the loop; beyond it the pump stops
	// reading and the session's channel fills up instead.
	inboxMax = 8192
)

// pump reads session events and queues them for the loop in batches. It never
// waits for the loop itself, so a session method called from the loop can
// send an event without deadlocking against us.
func (u *UI) pump(events <-chan session.Event) {
	defer u.workers.Done()
	defer u.guard()
	for {
		var first session.Event
		select {
		case <-u.quit:
			return
		case ev, ok := <-events:
			if !ok {
				u.log.Info("session event stream closed")
				return
			}
			first = ev
		}
		batch, open := u.collect(first, events)
		if !u.enqueue(batch) || !open {
			return
		}
	}
}

// collect gathers what else is queued behind first, for at most batchLinger
// and batchMax events. It reports false when the event channel was closed.
func (u *UI) collect(first session.Event, events <-chan session.Event) ([]session.Event, bool) {
	batch := append(make([]session.Event, 0, 16), first)
	linger := time.NewTimer(batchLinger)
	defer linger.Stop()
	for len(batch) < batchMax {
		select {
		case ev, ok := <-events:
			if !ok {
				return batch, false
			}
			batch = append(batch, ev)
		case <-linger.C:
			return batch, true
		case <-u.quit:
			return batch, true
		}
	}
	return batch, true
}

// enqueue adds a batch to the inbox and asks for it to be applied. It waits
// while the inbox is full; it reports false when the UI is stopping.
func (u *UI) enqueue(batch []session.Event) bool {
	u.mu.Lock()
	for len(u.inbox) >= inboxMax {
		u.mu.Unlock()
		select {
		case <-u.space:
		case <-u.quit:
			return false
		}
		u.mu.Lock()
	}
	u.inbox = append(u.inbox, batch...)
	u.mu.Unlock()
	u.invalidate()
	return true
}

// invalidate asks for the inbox to be applied and the screen redrawn. It
// never blocks: while a request is pending, further ones are absorbed by it,
// so any number of calls cost one redraw.
func (u *UI) invalidate() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// redrawLoop turns invalidations into one queued update-and-draw each.
func (u *UI) redrawLoop() {
	defer u.workers.Done()
	defer u.guard()
	for {
		select {
		case <-u.quit:
			return
		case <-u.wake:
		}
		u.app.QueueUpdateDraw(u.applyInbox)
	}
}

// applyInbox runs on the loop: it takes everything the pump queued.
func (u *UI) applyInbox() {
	u.mu.Lock()
	batch := u.inbox
	u.inbox = nil
	u.mu.Unlock()
	select {
	case u.space <- struct{}{}:
	default:
	}
	u.applyEvents(batch)
}

// applyEvents updates the UI state for a batch of session events.
func (u *UI) applyEvents(batch []session.Event) {
	seen := false                  // an incoming message reached the chat on screen
	var elsewhere []string         // chats off screen with a new live incoming message
	mentioned := map[string]bool{} // chats off screen with a message that names us
	for _, ev := range batch {
		switch ev := ev.(type) {
		case session.MessagesAdded:
			if u.current == "" || ev.ChatID != u.current {
				if !ev.History && slices.ContainsFunc(ev.Messages, func(m session.Message) bool { return !m.Outgoing }) {
					elsewhere = append(elsewhere, ev.ChatID)
				}
				if slices.ContainsFunc(ev.Messages, func(m session.Message) bool { return m.Mention }) {
					mentioned[ev.ChatID] = true
				}
				continue // the chat list counts come with ChatsChanged
			}
			u.pane.insert(ev.Messages)
			for _, m := range ev.Messages {
				if !m.Outgoing {
					seen = true
				}
			}
		case session.MessageStateChanged:
			if ev.ChatID == u.current {
				u.pane.setState(ev.ID, ev.State)
			}
		case session.ChatsChanged:
			u.setChats(ev.Chats)
		case session.PeersChanged:
			u.peers = ev.Count
		case session.OutboxChanged:
			u.outbox = ev
		case session.SyncProgress:
			u.setSync(ev)
		case session.SelfChanged:
			u.self = ev.Self
		case session.NameChanged:
			u.pane.rename(ev.Key, ev.Name)
		case session.Notice:
			u.showNotice(sanitizeText(firstLine(ev.Text), false), ev.Err)
		case session.GroupChanged:
			u.showGroupChange(ev)
		case session.ChatNotice:
			// In the chat when it is on screen; elsewhere on the status
			// line, so it is seen either way.
			if ev.ChatID == u.current {
				kind := kindSystem
				if ev.Err {
					kind = kindAlert
				}
				u.pane.addLocal(kind, firstLine(ev.Text))
			} else {
				u.showNotice(sanitizeText(firstLine(ev.Text), false), ev.Err)
			}
		default:
			u.log.Debug("ignoring unknown session event", "type", fmt.Sprintf("%T", ev))
		}
	}
	if i := u.currentIndex(); i >= 0 && (seen || u.chats[i].Unread > 0 || u.chats[i].Mention || u.chats[i].New) {
		u.markRead(i)
	}
	u.ringFor(elsewhere, mentioned)
	u.openIncoming(elsewhere)
}

// ringFor rings the terminal bell once when someone wrote to us privately,
// or mentioned us (a message of the batch names us, or the chat is
// marked), in a chat that is not on screen, and at most once a
// minute for each chat. The kind is looked up after the whole batch, whose
// ChatsChanged may name a chat just created. Beep only queues a BEL for the
// terminal: it never blocks the loop.
func (u *UI) ringFor(chatIDs []string, mentioned map[string]bool) {
	for _, id := range chatIDs {
		if i := u.chatIndex(id); i >= 0 && (u.chats[i].Kind == session.OneToOne || u.chats[i].Mention || mentioned[id]) && u.bell.allow(id) {
			if err := u.screen.Beep(); err != nil {
				u.log.Debug("bell", "err", err)
			}
			return
		}
	}
}
