package session

import (
	"errors"
	"fmt"
	"time"

	"hush/codec"
	"hush/session/group"
	"hush/store"
	"hush/whisper"
)

var (
	errNotInGroup    = errors.New("sender is not a member of the group")
	errUnknownGroup  = errors.New("group message for a group we do not know")
	errGroupNotForUs = errors.New("group we are not a member of")
	errNoGroup       = errors.New("group log without a valid chat-created")
)

// receiveMembership handles a g5 (PROTOCOL.md §8.5): every update's author
// is recovered and checked, the valid ones are merged into the stored log,
// the group is folded again and stored, and the message it carries is
// accepted only when it is a group message from a member.
func (m *Manager) receiveMembership(r whisper.Received, signer string, g *codec.Membership, now time.Time) (*accepted, bool, error) {
	m.groupMu.Lock()
	defer m.groupMu.Unlock()
	chatID := g.ChatID
	good, bad := group.Verify(chatID, g.Updates)
	for _, err := range bad {
		m.drops.Drop("group update: "+dropReason(err), "chat", chatID, "from", signer, "err", err)
	}
	old, err := m.groupLog(chatID)
	if err != nil {
		return nil, false, storeFailure{err}
	}
	merged, added := group.Merge(old, good)
	before, _ := group.Fold(chatID, old)
	after, rejected := group.Fold(chatID, merged)
	if added > 0 {
		for _, rj := range rejected {
			m.drops.Drop("group event: "+rj.Reason, "chat", chatID, "event", rj.String())
		}
	}
	if !after.Created {
		return nil, false, errNoGroup
	}
	c, exists, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return nil, false, storeFailure{err}
	}
	if exists && c.Kind != store.ChatGroup {
		return nil, false, fmt.Errorf("%w: id of a chat of another kind", errWrongChat)
	}
	self := m.self.PublicKey
	changed := false
	if added > 0 {
		invited := after.IsMember(self) && !before.IsMember(self)
		if !exists && !after.IsMember(self) {
			return nil, false, errGroupNotForUs
		}
		if invited && (!exists || !c.Joined) {
			m.mu.Lock()
			named := m.contacts[signer].Nickname != ""
			m.mu.Unlock()
			if !exists && signer != self && !named && !m.admitStranger(signer, now) {
				return nil, false, errStrangerCap
			}
			if _, err := m.cfg.Store.JoinChat(chatID, store.ChatGroup); err != nil {
				return nil, false, storeFailure{err}
			}
			if err := m.cfg.Store.SetNew(chatID, true); err != nil {
				return nil, false, storeFailure{err}
			}
			c.Joined, exists = true, true
		}
		if err := m.saveGroupLog(&after, fresh(old, merged), 0); err != nil {
			return nil, false, storeFailure{err}
		}
		m.advanceClock(chatID, after.Clock(), now)
		changed = true
		if lines := groupLines(&before, &after, self, signer, m.displayName); len(lines) > 0 && c.Joined {
			m.emit(GroupChanged{ChatID: chatID, Name: codec.CleanName(after.Name), Lines: lines})
		}
	}
	if g.Message == nil {
		return nil, changed, nil
	}
	if !exists || !c.Joined {
		return nil, changed, errLeftChat
	}
	a, err := m.groupMessage(r, signer, chatID, &after, merged, g.Message, now)
	return a, changed, err
}

// groupMessage checks a group message (embedded in a g5, or bare) against
// the group as folded: a group-user-message, naming this group or none,
// from a member.
func (m *Manager) groupMessage(r whisper.Received, signer, chatID string, st *group.State, log []group.Update, msg *codec.Message, now time.Time) (*accepted, error) {
	if msg.MessageType != codec.MessageTypeGroup {
		return nil, fmt.Errorf("%w: %s in a group record", errWrongType, msg.MessageType)
	}
	if err := codec.Validate(msg, now); err != nil {
		return nil, fmt.Errorf("invalid message: %w", err)
	}
	if msg.ChatID != "" && msg.ChatID != chatID {
		return nil, fmt.Errorf("%w: written for %.70q, arrived in group %.70q", errWrongChat, msg.ChatID, chatID)
	}
	if !st.IsMember(signer) && !wroteWhileMember(r, signer, chatID, st, log, msg) {
		return nil, errNotInGroup
	}
	return m.toAccepted(r, msg, chatID, now), nil
}

// bareGroupMessage takes a c4 group-user-message that came without its
// g5 (status-protocol-go sends them so): the group must be one we know and
// have joined, and the sender a member.
func (m *Manager) bareGroupMessage(r whisper.Received, signer string, msg *codec.Message, now time.Time) (*accepted, error) {
	m.groupMu.Lock()
	defer m.groupMu.Unlock()
	c, ok, err := m.cfg.Store.Chat(msg.ChatID)
	if err != nil {
		return nil, storeFailure{err}
	}
	if !ok || c.Kind != store.ChatGroup {
		return nil, errUnknownGroup
	}
	if !c.Joined {
		return nil, errLeftChat
	}
	st, log, err := m.groupState(msg.ChatID)
	if err != nil {
		return nil, storeFailure{err}
	}
	if !st.HasJoined(m.self.PublicKey) {
		return nil, fmt.Errorf("%w: we have not joined", errUnknownGroup)
	}
	return m.groupMessage(r, signer, msg.ChatID, &st, log, msg, now)
}

// wroteWhileMember accepts a line of a member removed since, when it was
// written before the removal: history from the mailserver brings such lines
// to whoever was away. The line's own clock is the sender's word, so the
// envelope must also have been sent before the removal (give or take the
// clock skew codec.FutureWindow allows): relays drop expired envelopes, so
// a removed member cannot post a fresh one that passes for an old one.
func wroteWhileMember(r whisper.Received, signer, chatID string, st *group.State, log []group.Update, msg *codec.Message) bool {
	removed := st.RemovedAt(signer)
	if removed == 0 || msg.Clock >= removed || r.Sent.IsZero() {
		return false
	}
	if codec.ClockAt(r.Sent.Add(-codec.FutureWindow)) > removed {
		return false
	}
	then := group.FoldBefore(chatID, log, msg.Clock)
	return then.IsMember(signer)
}
