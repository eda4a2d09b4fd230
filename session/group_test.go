package session

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/session/group"
	"hush/whisper"
	"hush/whisper/mailserver"
)

// postCounter is a node that counts the one-to-one posts it makes per
// recipient key.
type postCounter struct {
	Node
	mu   sync.Mutex
	to   map[string]int
	all  int
	seen chan time.Time // gets the time of every post (if there is room)
}

func countPosts(n Node) *postCounter {
	return &postCounter{Node: n, to: make(map[string]int), seen: make(chan time.Time, 1<<16)}
}

func (p *postCounter) Post(post whisper.Post) ([32]byte, error) {
	h, err := p.Node.Post(post)
	if err == nil {
		p.mu.Lock()
		if post.PublicKey != nil {
			p.to[codec.PublicKeyHex(post.PublicKey)]++
		}
		p.all++
		p.mu.Unlock()
		select {
		case p.seen <- time.Now():
		default:
		}
	}
	return h, err
}

func (p *postCounter) postsTo(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.to[key]
}

// groupChat finds a chat of a client by id.
func (c *client) groupChat(id string) (Chat, bool) {
	for _, ch := range c.mgr.Chats() {
		if ch.ID == id {
			return ch, true
		}
	}
	return Chat{}, false
}

func (c *client) groupLines(chatID string) []string {
	var out []string
	for _, ev := range c.events.all() {
		if g, ok := ev.(GroupChanged); ok && g.ChatID == chatID {
			out = append(out, g.Lines...)
		}
	}
	return out
}

func (c *client) hasGroupLine(chatID, part string) bool {
	for _, l := range c.groupLines(chatID) {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func (c *client) joined(chatID, key string) bool {
	ms, err := c.mgr.GroupMembers(chatID)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.Key == key {
			return m.Joined
		}
	}
	return false
}

// TestGroupThreeMembers is acceptance 2 on loopback: A creates a group with
// B and C, both accept, each writes a line the other two see in the same
// order; A renames the group and all see the name; A removes C: A and B go
// on, C gets nothing more (no post to C's key after its removal) and is
// told, and a line C forges for the group is dropped.
func TestGroupThreeMembers(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	var counters [3]*postCounter
	opts := func(i int) clientOptions {
		return clientOptions{
			peers:       []*enode.Node{ms.node.Enode()},
			mailservers: []Mailserver{ms.mailserver()},
			wrapNode:    func(n Node) Node { counters[i] = countPosts(n); return counters[i] },
		}
	}
	a, b, c := newClient(t, opts(0)), newClient(t, opts(1)), newClient(t, opts(2))
	waitPeers(t, 1, a, b, c)

	chat, err := a.mgr.CreateGroup("team", []string{b.key(), strings.TrimPrefix(c.key(), "0x")})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.ID
	if chat.Kind != Group || chat.Name != "team" || chat.Members != 3 || chat.Invited || !strings.HasSuffix(id, a.key()) {
		t.Fatalf("A's new chat: %+v", chat)
	}
	for _, x := range []*client{b, c} {
		waitFor(t, "invitation", func() bool { ch, ok := x.groupChat(id); return ok && ch.Invited && ch.Members == 3 })
		waitFor(t, "invitation line", func() bool { return x.hasGroupLine(id, "invited you") })
		if err := x.mgr.Send(id, "too early"); err == nil || !strings.Contains(err.Error(), "/accept") {
			t.Fatalf("send before accepting: %v", err)
		}
		if err := x.mgr.AcceptInvite(id); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []*client{a, b, c} {
		waitFor(t, "all joined", func() bool { return x.joined(id, b.key()) && x.joined(id, c.key()) })
	}

	lines := []string{}
	for i, x := range []*client{a, b, c} {
		line := fmt.Sprintf("line from %c", 'A'+i)
		if err := x.mgr.Send(id, line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
		for _, y := range []*client{a, b, c} {
			waitFor(t, line, func() bool { return slices.Equal(y.texts(id), lines) })
		}
	}

	if err := b.mgr.RenameGroup(id, "nope"); err == nil {
		t.Fatal("a member who is not an admin renamed the group")
	}
	if err := a.mgr.RenameGroup(id, "renamed"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*client{a, b, c} {
		waitFor(t, "new name", func() bool { ch, _ := x.groupChat(id); return ch.Name == "renamed" })
	}

	if err := a.mgr.RemoveMember(id, c.key()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C told", func() bool { ch, _ := c.groupChat(id); return ch.Removed && c.hasGroupLine(id, "you were removed") })
	waitFor(t, "B sees C gone", func() bool { ch, _ := b.groupChat(id); return ch.Members == 2 })
	if ch, _ := a.groupChat(id); ch.Members != 2 {
		t.Fatalf("A's chat after the kick: %+v", ch)
	}
	waitFor(t, "A's list event", func() bool {
		evs := a.events.all()
		for i := len(evs) - 1; i >= 0; i-- {
			if cc, ok := evs[i].(ChatsChanged); ok {
				return slices.ContainsFunc(cc.Chats, func(c Chat) bool { return c.ID == id && c.Members == 2 })
			}
		}
		return false
	})
	toC := counters[0].postsTo(c.key()) + counters[1].postsTo(c.key())
	cLines := len(c.texts(id))
	for i := range 2 {
		for _, x := range []*client{a, b} {
			line := fmt.Sprintf("after kick %d from %s", i, x.mgr.Self().ShortName)
			if err := x.mgr.Send(id, line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
			for _, y := range []*client{a, b} {
				waitFor(t, line, func() bool { return slices.Equal(y.texts(id), lines) })
			}
		}
	}
	if got := counters[0].postsTo(c.key()) + counters[1].postsTo(c.key()); got != toC {
		t.Fatalf("%d posts to C after its removal", got-toC)
	}
	if err := c.mgr.Send(id, "still here?"); err == nil {
		t.Fatal("a removed member could send")
	}

	// C forges a group line and sends it to A and B directly: dropped.
	log, err := c.mgr.groupLog(id)
	if err != nil {
		t.Fatal(err)
	}
	c4, _ := codec.EncodeMessage(codec.Message{Text: "forged", MessageType: codec.MessageTypeGroup, Clock: codec.NextClock(0, c.mgr.now()), ChatID: id})
	forged, err := codec.EncodeMembership(codec.Membership{ChatID: id, Updates: wireUpdates(log)}, c4)
	if err != nil {
		t.Fatal(err)
	}
	posts, err := c.mgr.postsTo([]string{a.key(), b.key()}, forged)
	if err != nil {
		t.Fatal(err)
	}
	dropped := a.mgr.dropped.Load()
	for _, p := range posts {
		if _, err := c.node.Post(p); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "A drops C's forged line", func() bool { return a.mgr.dropped.Load() > dropped })
	if err := a.mgr.Send(id, "last"); err != nil {
		t.Fatal(err)
	}
	lines = append(lines, "last")
	for _, y := range []*client{a, b} {
		waitFor(t, "last", func() bool { return slices.Equal(y.texts(id), lines) })
	}
	if got := len(c.texts(id)); got != cLines {
		t.Fatalf("C has %d lines, had %d at its removal", got, cLines)
	}
}

// TestGroupHistoryAndRestart is acceptances 3 and 4: an invitation and a
// line that arrive while B is offline come from the mailserver; later B is
// offline while A sends 20 lines, and all 20 arrive in place when B is back;
// restarts of A and B keep the group, its members and its history.
func TestGroupHistoryAndRestart(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	opts := clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}}
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	bKey := b.key()
	b.stop()

	chat, err := a.mgr.CreateGroup("history", []string{bKey})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.ID
	if err := a.mgr.Send(id, "before you came"); err != nil {
		t.Fatal(err)
	}
	ms.archived(t, 4) // two copies each of the creation and the line

	b.restart(opts)
	waitFor(t, "invitation from history", func() bool { ch, ok := b.groupChat(id); return ok && ch.Invited })
	waitFor(t, "line from history", func() bool { return slices.Equal(b.texts(id), []string{"before you came"}) })
	if err := b.mgr.AcceptInvite(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A sees B join", func() bool { return a.joined(id, bKey) })

	b.stop()
	want := a.texts(id)
	for i := range 20 {
		line := fmt.Sprintf("while away %02d", i)
		if err := a.mgr.Send(id, line); err != nil {
			t.Fatal(err)
		}
		want = append(want, line)
	}
	waitFor(t, "A's 20 lines stored by the mailserver", func() bool {
		ms, err := a.mgr.Latest(id, 100)
		if err != nil {
			return false
		}
		n := 0
		for _, m := range ms {
			if m.State == Stored {
				n++
			}
		}
		return n >= 21
	})
	b.restart(opts)
	waitFor(t, "20 lines from history", func() bool { return len(b.texts(id)) >= len(want) })
	if got := b.texts(id); !slices.Equal(got, want) {
		t.Fatalf("B shows %q\nwant %q", got, want)
	}

	members := func(c *client) string {
		ms, err := c.mgr.GroupMembers(id)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ms)
	}
	beforeA, beforeB := members(a), members(b)
	a.restart(opts)
	b.restart(opts)
	waitPeers(t, 1, a, b)
	for _, x := range []*client{a, b} {
		ch, ok := x.groupChat(id)
		if !ok || ch.Kind != Group || ch.Name != "history" || ch.Members != 2 || ch.Invited || ch.Removed {
			t.Fatalf("after restart: %+v %v", ch, ok)
		}
		if got := x.texts(id); !slices.Equal(got, want) {
			t.Fatalf("history after restart %q", got)
		}
	}
	if members(a) != beforeA || members(b) != beforeB {
		t.Fatalf("members changed over a restart:\n %s\n %s", members(a), beforeA)
	}
	if err := b.mgr.Send(id, "after restart"); err != nil {
		t.Fatal(err)
	}
	want = append(want, "after restart")
	waitFor(t, "A gets B's line", func() bool { return slices.Equal(a.texts(id), want) })
}

// TestGroupForgedUpdatesIgnored: a member who is not an admin signs an
// update adding an outsider and renaming the group, and an outsider signs
// a member-joined for itself; both reach the admin, whose group does not
// change, and each refusal is logged with its reason.
func TestGroupForgedUpdatesIgnored(t *testing.T) {
	relay := newClient(t, clientOptions{})
	logs := &logRecorder{}
	t.Cleanup(func() {
		if t.Failed() {
			logs.dump(t)
		}
	})
	peers := []*enode.Node{relay.node.Enode()}
	a := newClient(t, clientOptions{peers: peers, logger: slog.New(logs)})
	b, x := newClient(t, clientOptions{peers: peers}), newClient(t, clientOptions{peers: peers})
	waitPeers(t, 1, a, b, x)
	chat, err := a.mgr.CreateGroup("club", []string{b.key()})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.ID
	waitFor(t, "B invited", func() bool { _, ok := b.groupChat(id); return ok })

	send := func(from *client, events ...codec.GroupEvent) {
		t.Helper()
		log, err := from.mgr.groupLog(id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range events {
			events[i].Clock = codec.NextClock(0, from.mgr.now()) + int64(i)
		}
		u, err := group.Sign(from.id, id, events)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, u)
		payload, err := codec.EncodeMembership(codec.Membership{ChatID: id, Updates: wireUpdates(log)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		posts, err := from.mgr.postsTo([]string{a.key()}, payload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := from.node.Post(posts[0]); err != nil {
			t.Fatal(err)
		}
	}
	send(b, codec.GroupEvent{Type: codec.EventMembersAdded, Members: []string{x.key()}},
		codec.GroupEvent{Type: codec.EventNameChanged, Name: "owned"})
	waitFor(t, "the refusals logged", func() bool {
		return logs.has("dropped group event: only an admin may add members", "", "") &&
			logs.has("dropped group event: only an admin may rename the group", "", "")
	})
	// x was never invited, and the forged invitation did not count; x's
	// update is for a chat x does not hold, so it carries a copy of the
	// log that a gave b, read from b.
	bLog, err := b.mgr.groupLog(id)
	if err != nil {
		t.Fatal(err)
	}
	joined, err := group.Sign(x.id, id, []codec.GroupEvent{{Type: codec.EventMemberJoined, Member: x.key(), Clock: codec.NextClock(0, x.mgr.now())}})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := codec.EncodeMembership(codec.Membership{ChatID: id, Updates: wireUpdates(append(bLog, joined))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	posts, err := x.mgr.postsTo([]string{a.key()}, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.node.Post(posts[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outsider's join refused", func() bool { return logs.has("dropped group event: the author was not invited", "", "") })
	ch, _ := a.groupChat(id)
	members, err := a.mgr.GroupMembers(id)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "club" || len(members) != 2 {
		t.Fatalf("A's group changed: %+v %+v", ch, members)
	}
}

// TestGroupLineOfRemovedMemberFromHistory: C writes while B is away; B
// comes back without a mailserver and sees A remove C; then B asks the
// mailserver and gets C's line, written while C was a member, though C is
// no longer one.
func TestGroupLineOfRemovedMemberFromHistory(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	opts := clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}}
	a, b, c := newClient(t, opts), newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b, c)
	chat, err := a.mgr.CreateGroup("team", []string{b.key(), c.key()})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.ID
	for _, x := range []*client{b, c} {
		waitFor(t, "invitation", func() bool { ch, ok := x.groupChat(id); return ok && ch.Invited })
		if err := x.mgr.AcceptInvite(id); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both joined", func() bool { return a.joined(id, b.key()) && a.joined(id, c.key()) && c.joined(id, b.key()) })
	// C writes to B on the topic they negotiated once B has written to C
	// through the stage: B, restarted after C's removal, must still ask
	// for that topic (watchMembers).
	for round := 0; !c.mgr.enc.Agreed(&b.id.PublicKey); round++ {
		if round == 4 {
			t.Fatal("C has no negotiated topic with B after 4 rounds; the test would not test it")
		}
		for _, x := range []struct{ from, to *client }{{b, c}, {c, b}} {
			line := fmt.Sprintf("round %d from %s", round, x.from.key()[:10])
			if err := x.from.mgr.Send(id, line); err != nil {
				t.Fatal(err)
			}
			waitFor(t, line, func() bool { return slices.Contains(x.to.texts(id), line) })
		}
	}
	waitFor(t, "A has every line", func() bool { return len(a.texts(id)) == len(b.texts(id)) })
	before := b.texts(id)
	b.stop()
	if err := c.mgr.Send(id, "before my removal"); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(before), "before my removal")
	waitFor(t, "A has C's line", func() bool { return slices.Equal(a.texts(id), want) })
	waitFor(t, "C's line stored by the mailserver", func() bool {
		ms, err := c.mgr.Latest(id, 1)
		return err == nil && len(ms) == 1 && ms[0].Text == "before my removal" && ms[0].State == Stored
	})
	// Relays still hold C's envelope until it expires and would hand it to B
	// on connecting: wait that out, so only the mailserver can bring it.
	sent, err := c.mgr.Latest(id, 1)
	if err != nil {
		t.Fatal(err)
	}
	expired := sent[0].Time.Add(2 * whisper.DefaultTTL * time.Second)
	waitFor(t, "C's envelope to expire", func() bool { return time.Now().After(expired) })
	b.restart(clientOptions{peers: opts.peers})
	waitPeers(t, 1, b)
	if err := a.mgr.RemoveMember(id, c.key()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C removed", func() bool { ch, _ := c.groupChat(id); return ch.Removed })
	waitFor(t, "B sees C removed", func() bool { ch, _ := b.groupChat(id); return ch.Members == 2 })
	if got := b.texts(id); !slices.Equal(got, before) {
		t.Fatalf("B has %q before asking the mailserver", got)
	}
	b.restart(opts)
	waitFor(t, "B has C's line from history", func() bool { return slices.Equal(b.texts(id), want) })
}

// TestGroupChangeSurvivesRestart: A creates a group while no peer is
// connected and quits; started again with a peer, A sends the creation and
// B gets the invitation. Once a peer took it, nothing is left unsent.
func TestGroupChangeSurvivesRestart(t *testing.T) {
	relay := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{relay.node.Enode()}})
	a := newClient(t, clientOptions{})
	chat, err := a.mgr.CreateGroup("offline", []string{b.key()})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := a.store.UnsentGroups(); err != nil || !slices.Equal(ids, []string{chat.ID}) {
		t.Fatalf("unsent before any peer: %v %v", ids, err)
	}
	a.restart(clientOptions{peers: []*enode.Node{relay.node.Enode()}})
	waitFor(t, "B invited", func() bool { ch, ok := b.groupChat(chat.ID); return ok && ch.Invited })
	waitFor(t, "nothing unsent", func() bool { ids, err := a.store.UnsentGroups(); return err == nil && len(ids) == 0 })
}

// TestGroupNegotiatedTopicAfterRestart: once A and B have written to each
// other, A sends B's copies on their negotiated topic. B, restarted with no
// one-to-one chat with A, must listen there from the start, or A's next
// group line is lost until B happens to write first.
func TestGroupNegotiatedTopicAfterRestart(t *testing.T) {
	relay := newClient(t, clientOptions{})
	opts := clientOptions{peers: []*enode.Node{relay.node.Enode()}}
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	chat, err := a.mgr.CreateGroup("after restart", []string{b.key()})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.ID
	waitFor(t, "invitation", func() bool { ch, ok := b.groupChat(id); return ok && ch.Invited })
	if err := b.mgr.AcceptInvite(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A sees B join", func() bool { return a.joined(id, b.key()) })
	// A writes there once B has written to A through the stage.
	for round := 0; !a.mgr.enc.Agreed(&b.id.PublicKey); round++ {
		if round == 4 {
			t.Fatalf("A has no negotiated topic with B after 4 rounds (A→B %v, B→A %v, A min %d); the test would not test it", a.mgr.enc.KindFor(&b.id.PublicKey), b.mgr.enc.KindFor(&a.id.PublicKey), a.mgr.enc.MinProtocolVersion(&b.id.PublicKey))
		}
		for _, x := range []struct{ from, to *client }{{a, b}, {b, a}} {
			line := fmt.Sprintf("round %d from %s", round, x.from.key()[:10])
			if err := x.from.mgr.Send(id, line); err != nil {
				t.Fatal(err)
			}
			waitFor(t, line, func() bool { return slices.Contains(x.to.texts(id), line) })
		}
	}

	b.restart(opts)
	waitPeers(t, 1, b)
	if err := a.mgr.Send(id, "first after your restart"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B gets A's line on the negotiated topic", func() bool {
		return slices.Contains(b.texts(id), "first after your restart")
	})
}
