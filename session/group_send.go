package session

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
	"hush/session/group"
	"hush/whisper"
)

// directPost builds the post of a payload for one key, one-to-one. Every
// one-to-one send goes through here, a group's copies included (PROTOCOL.md
// §8.5): the post carries the transit bytes addressed to the key, and the
// outbox passes it through the encryption stage (sealDirect, stage.go) each
// time it posts it, which picks the encryption and the topic (§7.11).
func (m *Manager) directPost(to *ecdsa.PublicKey, payload []byte) (whisper.Post, error) {
	return whisper.Post{
		Signer:    m.cfg.Identity,
		Topic:     codec.TopicFor(codec.DiscoveryTopicName),
		PublicKey: to,
		Payload:   payload,
	}, nil
}

// postsTo builds one post of payload per key.
func (m *Manager) postsTo(keys []string, payload []byte) ([]whisper.Post, error) {
	posts := make([]whisper.Post, 0, len(keys))
	for _, k := range keys {
		pub, err := codec.ParsePublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("member key: %w", err)
		}
		p, err := m.directPost(pub, payload)
		if err != nil {
			return nil, err
		}
		posts = append(posts, p)
	}
	return posts, nil
}

// groupPosts are the copies of a group payload for every current member,
// ourselves included (our copy reaches our other devices).
func (m *Manager) groupPosts(chatID string, payload []byte) ([]whisper.Post, error) {
	g, ok, err := m.cfg.Store.Group(chatID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("not a group")
	}
	keys := make([]string, 0, len(g.Members))
	self := false
	for _, mem := range g.Members {
		keys = append(keys, mem.Key)
		self = self || mem.Key == m.self.PublicKey
	}
	if !self {
		return nil, errors.New("you are not a member of this group")
	}
	return m.postsTo(keys, payload)
}

// wrapGroupMessage puts an encoded c4 into a g5 with the group's whole
// signed history, as status-react sent every group message, so a member
// who missed a membership change learns it from the next line.
func (m *Manager) wrapGroupMessage(chatID string, c4 []byte) ([]byte, error) {
	log, err := m.groupLog(chatID)
	if err != nil {
		return nil, err
	}
	return codec.EncodeMembership(codec.Membership{ChatID: chatID, Updates: wireUpdates(log)}, c4)
}

func wireUpdates(log []group.Update) []codec.GroupUpdate {
	out := make([]codec.GroupUpdate, len(log))
	for i, u := range log {
		out[i] = u.GroupUpdate
	}
	return out
}

// changeGroup signs the events build returns (given the group as its log
// stands) as one update of ours, checks that the fold accepts them, stores
// the update and sends the whole log to every member before and after the
// change: a removed member learns of its removal, a new one of the group.
// It does nothing when build returns no events.
func (m *Manager) changeGroup(chatID string, build func(*group.State) ([]codec.GroupEvent, error)) error {
	m.groupMu.Lock()
	defer m.groupMu.Unlock()
	log, err := m.groupLog(chatID)
	if err != nil {
		return err
	}
	before, _ := group.Fold(chatID, log)
	events, err := build(&before)
	if err != nil || len(events) == 0 {
		return err
	}
	now := m.now()
	m.mu.Lock()
	clock := max(m.clocks[chatID], before.Clock())
	for i := range events {
		clock = codec.NextClock(clock, now)
		events[i].Clock = clock
	}
	m.clocks[chatID] = clock
	m.mu.Unlock()
	if err := m.cfg.Store.SetLastClock(chatID, clock); err != nil {
		return err
	}
	u, err := group.Sign(m.cfg.Identity, chatID, events)
	if err != nil {
		return err
	}
	merged, _ := group.Merge(log, []group.Update{u})
	after, rejected := group.Fold(chatID, merged)
	for _, r := range rejected {
		if r.From == m.self.PublicKey && r.Event.Clock >= events[0].Clock {
			return fmt.Errorf("refused: %s", r.Reason)
		}
	}
	if err := m.saveGroupLog(&after, []group.Update{u}, clock); err != nil {
		return err
	}
	e, err := m.groupAnnouncement(chatID, merged, memberKeys(&before, &after), clock)
	if err != nil {
		return err
	}
	m.outbox.add(e)
	m.emit(ChatsChanged{Chats: m.Chats()})
	if lines := groupLines(&before, &after, m.self.PublicKey, m.self.PublicKey, m.displayName); len(lines) > 0 {
		m.emit(GroupChanged{ChatID: chatID, Name: codec.CleanName(after.Name), Lines: lines})
	}
	return nil
}

// groupAnnouncement is the outbox entry that sends a group's whole log
// (no message) to keys, and to ourselves (our other devices). clock is our
// change's: once a peer takes the post, the store marks the group sent up
// to it.
func (m *Manager) groupAnnouncement(chatID string, log []group.Update, keys []string, clock int64) (*outEntry, error) {
	payload, err := codec.EncodeMembership(codec.Membership{ChatID: chatID, Updates: wireUpdates(log)}, nil)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(keys, m.self.PublicKey) {
		keys = append(keys, m.self.PublicKey)
	}
	posts, err := m.postsTo(keys, payload)
	if err != nil {
		return nil, err
	}
	return &outEntry{id: crypto.Keccak256Hash(payload), chatID: chatID, posts: posts, state: Pending, quiet: true, groupClock: clock}, nil
}

// unsentAnnouncements rebuilds, at start, the sending of membership changes
// of ours that no peer took before the last session ended: to the members,
// and to whoever was removed since the last change that went out.
func (m *Manager) unsentAnnouncements() []*outEntry {
	ids, err := m.cfg.Store.UnsentGroups()
	if err != nil {
		m.log.Error("outbox: read unsent group changes", "err", err)
		m.notice("could not read unsent group changes: "+err.Error(), true)
		return nil
	}
	var out []*outEntry
	for _, id := range ids {
		g, _, err := m.cfg.Store.Group(id)
		if err != nil {
			m.log.Error("outbox: read group", "chat", id, "err", err)
			continue
		}
		st, log, err := m.groupState(id)
		if err != nil {
			m.log.Error("outbox: read group log", "chat", id, "err", err)
			continue
		}
		keys := append(memberKeys(&st), st.RemovedSince(g.SentClock)...)
		e, err := m.groupAnnouncement(id, log, keys, g.ChangeClock)
		if err != nil {
			m.log.Error("outbox: unsendable group change", "chat", id, "err", err)
			continue
		}
		out = append(out, e)
	}
	if len(out) > 0 {
		m.log.Info("outbox: queued unsent group changes again", "groups", len(out))
	}
	return out
}

// memberKeys is every member of either state, each once.
func memberKeys(states ...*group.State) []string {
	seen := make(map[string]bool)
	var keys []string
	for _, st := range states {
		for _, mem := range st.Members() {
			if !seen[mem.Key] {
				seen[mem.Key] = true
				keys = append(keys, mem.Key)
			}
		}
	}
	return keys
}

// groupLines tells in words what changed between two folds of a group:
// self is our key, by the key that sent the change (for an invitation).
// Lines about us come last: a status line shows only the last one.
func groupLines(before, after *group.State, self, by string, name func(string) string) []string {
	var lines, ours []string
	who := func(k string) string {
		if k == self {
			return "you"
		}
		return name(k)
	}
	if !before.Created && after.Created {
		lines = append(lines, fmt.Sprintf("%s created the group %q", who(after.Creator), codec.CleanName(after.Name)))
	} else if before.Name != after.Name {
		lines = append(lines, fmt.Sprintf("the group is now called %q", codec.CleanName(after.Name)))
	}
	for _, mem := range after.Members() {
		switch {
		case !before.IsMember(mem.Key) && mem.Key == self && !mem.Joined:
			ours = append(ours, fmt.Sprintf("%s invited you to %q: /accept joins, /decline refuses", who(by), codec.CleanName(after.Name)))
		case !before.IsMember(mem.Key) && mem.Key != after.Creator:
			lines = append(lines, who(mem.Key)+" invited")
		}
		if mem.Joined && before.IsMember(mem.Key) && !before.HasJoined(mem.Key) {
			lines = append(lines, who(mem.Key)+" joined")
		}
		if mem.Admin && !before.IsAdmin(mem.Key) && after.Created && before.Created {
			lines = append(lines, who(mem.Key)+" is now an admin")
		}
	}
	for _, mem := range before.Members() {
		if after.IsMember(mem.Key) {
			continue
		}
		if mem.Key == self && by == self {
			ours = append(ours, "you left the group")
		} else if mem.Key == self {
			ours = append(ours, "you were removed from the group: nothing more arrives here")
		} else {
			lines = append(lines, who(mem.Key)+" left or was removed")
		}
	}
	return append(lines, ours...)
}

// canWriteGroup says why we may not write to a group, if we may not.
func (m *Manager) canWriteGroup(chatID string) error {
	g, ok, err := m.cfg.Store.Group(chatID)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if !ok {
		return errors.New("send: this group has no membership yet")
	}
	for _, mem := range g.Members {
		if mem.Key == m.self.PublicKey {
			if !mem.Joined {
				return errors.New("accept the invitation first: /accept")
			}
			return nil
		}
	}
	return errors.New("you are no longer a member of this group")
}
