package session

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"hush/codec"
	"hush/session/encryption"
	"hush/store"
	"hush/whisper"
)

// maxBatch bounds how many received messages are stored in one transaction
// and announced in one event; a history page of thousands becomes a few
// batches instead of thousands of events.
const maxBatch = 512

// batchWindow is how long the receive loop keeps collecting after the first
// message of a batch. Short enough to be invisible, long enough that a
// burst costs one store transaction and one redraw.
const batchWindow = 5 * time.Millisecond

// receiveLoop collects decrypted messages from the node in batches. It also
// answers the syncer's barriers: everything handed over before a barrier is
// stored before the barrier is answered.
func (m *Manager) receiveLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	in := m.cfg.Node.Received()
	barriers := m.sync.barriers
	batch := make([]whisper.Received, 0, maxBatch)
	var since tally // since the last barrier
	for {
		var b *barrierReq
		select {
		case <-m.quit:
			return
		case r := <-in:
			batch = append(batch[:0], r)
		case req := <-barriers:
			b = &req
		}
		if b == nil {
			deadline := time.NewTimer(batchWindow)
		collect:
			for len(batch) < maxBatch {
				select {
				case r := <-in:
					batch = append(batch, r)
				case <-deadline.C:
					break collect
				case req := <-barriers:
					b = &req
					break collect
				case <-m.quit:
					deadline.Stop()
					return
				}
			}
			deadline.Stop()
			since.add(m.ingest(batch))
		}
		if b == nil {
			continue
		}
		// What the node handed over before the barrier was asked is in
		// the channel now, ahead of anything later: take that many.
		for n := len(in); n > 0; {
			batch = batch[:0]
			for ; n > 0 && len(batch) < maxBatch; n-- {
				batch = append(batch, <-in)
			}
			since.add(m.ingest(batch))
		}
		b.reply <- since
		since = tally{}
	}
}

// accepted is a received message that passed every check and waits to be
// stored.
type accepted struct {
	msg     store.Message
	history bool
	kind    encryption.Kind // how it was encrypted end to end
}

// storeFailure marks an error of the store, not of the message: the message
// was not kept, so a history range that held it is not complete.
type storeFailure struct{ err error }

func (e storeFailure) Error() string { return e.err.Error() }
func (e storeFailure) Unwrap() error { return e.err }

// ingest validates, deduplicates, stores and announces one batch. It
// reports how many history messages it stored and the first store
// failure; a failure is also shown to the user, since messages were lost.
func (m *Manager) ingest(batch []whisper.Received) tally {
	var (
		candidates   []accepted
		chatsChanged bool
		t            tally
		failed       int
	)
	// The stage's state changes of the whole batch are written in one
	// transaction, after the messages they opened are stored (secretkv.go).
	defer func() {
		if err := m.secrets.flush(); err != nil {
			m.log.Error("store encryption state", "err", err)
			m.notice("could not store encryption state: "+err.Error(), true)
		}
	}()
	// What is stored already (a page asked again, gossip and history of
	// the same envelope) is skipped before it is decrypted: one lookup
	// for the whole batch.
	hashes := make([][32]byte, len(batch))
	for i, r := range batch {
		hashes[i] = r.EnvelopeHash
	}
	stored, lookupErr := m.cfg.Store.StoredEnvelopes(hashes)
	inBatch := make(map[[32]byte]bool, len(batch))
	for _, r := range batch {
		// The same envelope from gossip and from a mailserver in one
		// batch: the store cannot tell yet, and a second decrypt would
		// look like a replay.
		if inBatch[r.EnvelopeHash] || stored[r.EnvelopeHash] {
			continue
		}
		inBatch[r.EnvelopeHash] = true
		var (
			a       *accepted
			changed bool
			err     error
		)
		if lookupErr != nil {
			err = storeFailure{fmt.Errorf("dedup lookup: %w", lookupErr)}
		} else {
			a, changed, err = m.check(r)
		}
		chatsChanged = chatsChanged || changed
		if err != nil {
			var sf storeFailure
			if errors.As(err, &sf) {
				if failed++; failed == 1 {
					m.log.Error("received message not stored", "envelope", hexID(r.EnvelopeHash), "err", err)
				}
				if t.err == nil {
					t.err = err
				}
				continue
			}
			if errors.Is(err, errOwnEcho) {
				// Our own line, encrypted for the peer, came back before
				// its envelope was recorded as ours: nothing was lost.
				m.ignored.Add(1)
				m.log.Debug("own message came back", "envelope", hexID(r.EnvelopeHash))
				continue
			}
			m.dropped.Add(1)
			m.drops.Drop(dropReason(err), "envelope", hexID(r.EnvelopeHash), "err", err)
			continue
		}
		if a != nil {
			candidates = append(candidates, *a)
		}
	}
	defer func() {
		if failed > 0 {
			m.notice(fmt.Sprintf("%d received messages could not be stored: %v", failed, t.err), true)
		}
	}()
	if len(candidates) == 0 {
		if chatsChanged {
			m.emit(ChatsChanged{Chats: m.Chats()})
		}
		return t
	}
	msgs := make([]store.Message, len(candidates))
	for i, c := range candidates {
		msgs[i] = c.msg
	}
	added, err := m.cfg.Store.AddMessages(msgs)
	if err != nil {
		// The batch is one transaction: one bad message must not cost the
		// others, so store them one by one.
		m.log.Error("store received batch; retrying one by one", "count", len(msgs), "err", err)
		added = make([]bool, len(msgs))
		var lost int
		for i, sm := range msgs {
			if added[i], err = m.cfg.Store.AddMessage(sm); err != nil {
				// A full disk fails them all: the first says why, a
				// count says how many.
				if lost++; lost == 1 {
					m.log.Error("store received message", "id", hexID(sm.ID), "chat", sm.ChatID, "err", err)
				}
				if t.err == nil {
					t.err = fmt.Errorf("store received message: %w", err)
				}
			}
		}
		if lost > 0 {
			m.log.Error("received messages not stored", "count", lost, "of", len(msgs))
		}
		failed += lost
	}

	byChat := make(map[string]*MessagesAdded)
	highest := make(map[string]int64) // each chat's highest clock in the batch
	var order, mentioned []string
	now := m.now()
	for i, ok := range added {
		if !ok {
			continue
		}
		sm := msgs[i]
		if candidates[i].history {
			t.added++
		}
		if c, seen := highest[sm.ChatID]; !seen || sm.Clock > c {
			highest[sm.ChatID] = sm.Clock
		}
		ev := byChat[sm.ChatID]
		if ev == nil {
			ev = &MessagesAdded{ChatID: sm.ChatID}
			byChat[sm.ChatID] = ev
			order = append(order, sm.ChatID)
		}
		ev.History = ev.History || candidates[i].history
		msg := m.toMessage(sm)
		msg.Encryption = candidates[i].kind.String()
		ev.Messages = append(ev.Messages, msg)
		if msg.Mention && !sm.Read && !slices.Contains(mentioned, sm.ChatID) {
			mentioned = append(mentioned, sm.ChatID)
		}
		if !sm.Outgoing {
			m.noteKind(sm.ChatID, candidates[i].kind)
		}
	}
	if err := m.cfg.Store.SetMentioned(mentioned); err != nil {
		m.log.Error("mark chats mentioned", "chats", mentioned, "err", err)
	}
	// The clock rule keeps the highest clock, so a batch moves each chat's
	// clock once: a catch-up writes it per batch, not per message.
	for _, chatID := range order {
		m.advanceClock(chatID, highest[chatID], now)
	}
	for _, chatID := range order {
		ev := byChat[chatID]
		sort.Slice(ev.Messages, func(i, j int) bool { return ev.Messages[i].Before(ev.Messages[j]) })
		m.emit(*ev)
	}
	if len(order) > 0 || chatsChanged {
		m.emit(ChatsChanged{Chats: m.Chats()})
	}
	return t
}

// advanceClock applies the receive rule of the Lamport clock.
func (m *Manager) advanceClock(chatID string, clock int64, now time.Time) {
	m.mu.Lock()
	last := codec.ReceivedClock(m.clocks[chatID], clock, now)
	changed := last != m.clocks[chatID]
	m.clocks[chatID] = last
	m.mu.Unlock()
	if changed {
		if err := m.cfg.Store.SetLastClock(chatID, last); err != nil {
			m.log.Error("store clock", "chat", chatID, "err", err)
		}
	}
}

var (
	errUnsigned      = errors.New("unsigned envelope")
	errUnknownSub    = errors.New("no chat for this subscription")
	errWrongType     = errors.New("message type does not fit the topic")
	errWrongChat     = errors.New("message names another chat")
	errNotOurRecord  = errors.New("record ignored")
	errIgnoredKey    = errors.New("sender is ignored")
	errLeftChat      = errors.New("one-to-one chat was left")
	errStrangerCap   = errors.New("too many new private chats this minute")
	errPayloadOnCode = errors.New("message on a contact-code topic")
)

// payloadSlack is what a payload may carry beyond its message's own fields
// and still be stored whole: the record's frame and keys, a sticker's pack
// and fallback text, a command's parameters and legacy keys.
const payloadSlack = 2048

// check runs every rule a received message must pass. It returns the
// message to store (nil for records that are handled here or ignored),
// whether the chat list changed, and why a message was dropped.
func (m *Manager) check(r whisper.Received) (a *accepted, changed bool, err error) {
	if r.Signer == nil {
		return nil, false, errUnsigned
	}
	m.mu.Lock()
	publicChat, isPublic := m.subs[r.Subscription]
	direct, isPrivate := m.direct[r.Subscription]
	m.mu.Unlock()
	if !isPublic && !isPrivate {
		return nil, false, errUnknownSub
	}
	signer := codec.PublicKeyHex(r.Signer)
	if m.isIgnored(signer) {
		return nil, false, errIgnoredKey
	}

	// The encryption stage: one call whatever the kind (PROTOCOL.md §7).
	in, err := m.open(r)
	if err != nil {
		return nil, false, err
	}
	if isPrivate && in.Kind != encryption.Plain {
		// A peer whose bundle we now hold (from this message or its
		// advertisement) sends on the topic we share once it has heard
		// from us: listen there from now on.
		m.watchNegotiated(r.Signer)
	}
	if len(in.Payload) == 0 {
		return nil, false, nil // a bundle advertisement: the stage kept the bundle
	}
	if isPrivate && direct.role == roleContactCode {
		return nil, false, errPayloadOnCode
	}
	// From here on the envelope's payload is what the stage opened, and
	// what was accepted records how it came.
	r.Payload = in.Payload
	defer func() {
		if a != nil {
			a.kind = in.Kind
		}
	}()
	rec, err := codec.Decode(r.Payload)
	if err != nil {
		return nil, false, fmt.Errorf("decode: %w", err)
	}
	switch rec := rec.(type) {
	case *codec.Message:
		now := m.now()
		if err := codec.Validate(rec, now); err != nil {
			return nil, false, fmt.Errorf("invalid message: %w", err)
		}
		var chatID string
		changed := false
		if isPrivate && rec.MessageType == codec.MessageTypeGroup {
			a, err := m.bareGroupMessage(r, signer, rec, now)
			return a, false, err
		}
		if isPublic {
			if rec.MessageType != codec.MessageTypePublic {
				return nil, false, fmt.Errorf("%w: %s on #%s", errWrongType, rec.MessageType, publicChat)
			}
			// The author signed the chat's name into the payload; on any
			// other chat's topic the message is a replay. Its id would
			// also shadow the genuine copy, since ids are unique.
			if rec.ChatID != publicChat {
				return nil, false, fmt.Errorf("%w: written for %.70q, arrived on #%s", errWrongChat, rec.ChatID, publicChat)
			}
			chatID = publicChat
		} else {
			if rec.MessageType != codec.MessageTypePrivate {
				return nil, false, fmt.Errorf("%w: %s on the one-to-one topic", errWrongType, rec.MessageType)
			}
			if chatID, err = m.privateChatID(signer, rec); err != nil {
				return nil, false, err
			}
			if changed, err = m.ensurePrivateChat(chatID, signer == m.self.PublicKey, now); err != nil {
				return nil, false, err
			}
		}
		return m.toAccepted(r, rec, chatID, now), changed, nil
	case *codec.Membership:
		if isPublic {
			return nil, false, fmt.Errorf("%w: group record on a public chat", errNotOurRecord)
		}
		return m.receiveMembership(r, signer, rec, m.now())
	case *codec.ContactInfo:
		if isPublic {
			return nil, false, fmt.Errorf("%w: contact record %s on a public chat", errNotOurRecord, rec.Kind)
		}
		known, err := m.knowsKey(signer)
		if err != nil {
			return nil, false, storeFailure{err}
		}
		if !known {
			return nil, false, fmt.Errorf("%w: contact record %s from a key we have no chat with", errNotOurRecord, rec.Kind)
		}
		return nil, m.learnName(signer, rec.Name, r.Sent), nil
	default:
		m.ignored.Add(1)
		m.log.Debug("record ignored", "tag", rec.Tag(), "from", signer)
		return nil, false, nil
	}
}

// toAccepted files a received message that passed its checks under chatID.
func (m *Manager) toAccepted(r whisper.Received, rec *codec.Message, chatID string, now time.Time) *accepted {
	clock, clamped := codec.OrderClock(rec.Clock, now)
	if clamped {
		m.log.Debug("clock clamped", "envelope", hexID(r.EnvelopeHash), "clock", rec.Clock, "to", clock)
	}
	ts, tsClamped := codec.ShownTimestamp(rec.Timestamp, r.Sent, now)
	if tsClamped {
		m.log.Debug("timestamp clamped", "envelope", hexID(r.EnvelopeHash), "timestamp", rec.Timestamp, "to", ts)
	}
	sender := codec.PublicKeyBytes(r.Signer)
	signer := codec.PublicKeyHex(r.Signer)
	text := displayText(rec)
	sm := store.Message{
		ID:           codec.MessageID(sender, r.Payload),
		EnvelopeHash: r.EnvelopeHash,
		ChatID:       chatID,
		Sender:       sender,
		Clock:        clock,
		Timestamp:    ts,
		ContentType:  rec.ContentType,
		MessageType:  rec.MessageType,
		Text:         text,
		Payload:      keptPayload(r.Payload, rec, text),
		Outgoing:     signer == m.self.PublicKey,
		Read:         signer == m.self.PublicKey,
	}
	if sm.Outgoing {
		sm.State = store.MessageState(Sent)
	}
	return &accepted{msg: sm, history: r.Direct}
}

// keptPayload is the payload to store with a received message. Nothing reads
// a received payload back (resending is for our own messages), so one that
// is far larger than what it decoded to is not kept: otherwise an 8-character
// text could carry a megabyte into the database. The bound allows every
// character escaped (6 bytes) in both copies of the text SR writes.
func keptPayload(payload []byte, rec *codec.Message, text string) []byte {
	decoded := len(text) + len(rec.StickerURI) + len(rec.CommandPath)
	if len(payload) > 12*decoded+len(rec.ChatID)+payloadSlack {
		return nil
	}
	return payload
}

// privateChatID files a one-to-one message under its signer, once its
// payload shows it was written to us: the sender puts the recipient's key in
// the chat id, so a message someone wrote to another key and re-encrypted
// to us is a replay. On a copy of our own message the chat id names the
// peer we wrote to, and the message is filed there.
func (m *Manager) privateChatID(signer string, msg *codec.Message) (string, error) {
	pub, err := codec.ParsePublicKey(msg.ChatID)
	if signer != m.self.PublicKey {
		if err != nil || codec.PublicKeyHex(pub) != m.self.PublicKey {
			return "", fmt.Errorf("%w: addressed to %.70q, not to us", errWrongChat, msg.ChatID)
		}
		return signer, nil
	}
	if err != nil {
		return "", fmt.Errorf("own message with a bad chat id: %w", err)
	}
	peer := codec.PublicKeyHex(pub)
	if peer == m.self.PublicKey {
		return "", fmt.Errorf("%w: own message addressed to ourselves", errWrongChat)
	}
	return peer, nil
}

// ensurePrivateChat makes sure the chat of a key that wrote to us is open.
// It creates a missing chat and marks it new, at most strangerChats a minute
// for keys we have not named (own is a copy of our own message). A chat the
// user left stays left until they open it again: the message is dropped.
func (m *Manager) ensurePrivateChat(key string, own bool, now time.Time) (bool, error) {
	c, ok, err := m.cfg.Store.Chat(key)
	if err != nil {
		return false, storeFailure{fmt.Errorf("chat lookup: %w", err)}
	}
	if ok && c.Joined {
		return false, nil
	}
	if ok {
		return false, errLeftChat
	}
	m.mu.Lock()
	named := m.contacts[key].Nickname != ""
	m.mu.Unlock()
	if !own && !named && !m.admitStranger(key, now) {
		return false, errStrangerCap
	}
	if _, err := m.cfg.Store.JoinChat(key, store.ChatOneToOne); err != nil {
		return false, storeFailure{fmt.Errorf("create chat: %w", err)}
	}
	if err := m.cfg.Store.SetNew(key, true); err != nil {
		return false, storeFailure{fmt.Errorf("create chat: %w", err)}
	}
	m.watchPeer(key, true)
	return true, nil
}

// displayText is what a message shows as text; stickers and commands we
// cannot render get a short description.
func displayText(msg *codec.Message) string {
	switch msg.ContentType {
	case codec.ContentTypeSticker:
		return "[sticker] " + msg.StickerURI
	case codec.ContentTypeCommand:
		return "[command /" + msg.CommandPath + "]"
	}
	return msg.Text
}

// dropReason names the kind of a check's error for the drop log: the
// innermost error, whose text is one of a few fixed ones, so that drops
// are counted per kind and not written one line each.
func dropReason(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return "message: " + err.Error()
		}
		err = inner
	}
}
