package session

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	gethmail "github.com/ethereum/go-ethereum/whisper/mailserver"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// mailserverNode is an in-process `hush serve`: a node whose mailserver
// archives into SQLite.
type mailserverNode struct {
	node    *whisper.Node
	archive *store.Store
}

func newMailserverNode(t *testing.T, cfg mailserver.Config) *mailserverNode {
	t.Helper()
	return runMailserver(t, newServerNode(t), cfg)
}

// runMailserverWrapped is runMailserver with the node answering requests
// through wrap(server) (a test's hook around the real server).
func runMailserverWrapped(t *testing.T, node *whisper.Node, cfg mailserver.Config, wrap func(whisperv6.MailServer) whisperv6.MailServer) *mailserverNode {
	t.Helper()
	return startMailserver(t, node, cfg, wrap)
}

// runMailserver starts node as a mailserver archiving into a new SQLite
// file, with the default mailserver password.
func runMailserver(t *testing.T, node *whisper.Node, cfg mailserver.Config) *mailserverNode {
	t.Helper()
	return startMailserver(t, node, cfg, nil)
}

func startMailserver(t *testing.T, node *whisper.Node, cfg mailserver.Config, wrap func(whisperv6.MailServer) whisperv6.MailServer) *mailserverNode {
	t.Helper()
	archive, err := store.Open(filepath.Join(t.TempDir(), "archive.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SymKey = codec.SymKeyFromPassword(DefaultMailserverPassword)
	server := mailserver.New(cfg, archive, node)
	var ms whisperv6.MailServer = server
	if wrap != nil {
		ms = wrap(server)
	}
	node.RegisterMailServer(ms)
	server.Start()
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		node.Stop()
		server.Stop()
		archive.Close()
	})
	return &mailserverNode{node: node, archive: archive}
}

func (ms *mailserverNode) mailserver() Mailserver {
	return Mailserver{Node: ms.node.Enode(), Format: mailformat.FormatStatus}
}

// archived waits until the mailserver holds at least n envelopes.
func (ms *mailserverNode) archived(t *testing.T, n int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d archived envelopes", n), func() bool {
		got, err := ms.archive.ArchiveCount()
		return err == nil && got >= n
	})
}

// TestHistoryFillsTheGap: B was not running while A sent 30 lines; B starts
// with the mailserver, joins, and shows all 30 in A's order, once each.
func TestHistoryFillsTheGap(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	a := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}})
	waitPeers(t, 1, a)
	if _, err := a.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := a.mgr.Send("status", fmt.Sprintf("line %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ms.archived(t, 30)

	b := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "30 lines on B", func() bool { return len(b.texts("status")) >= 30 })
	if got, want := b.texts("status"), a.texts("status"); !slices.Equal(got, want) {
		t.Fatalf("B shows %q\nwant %q", got, want)
	}
	// Progress was reported and ended in success. The start's catch-up
	// may already ask for #status (joined meanwhile) and store the lines,
	// leaving none new for the join's own request: the 30 are counted
	// over every request that ended.
	waitFor(t, "sync done", func() bool {
		joinDone, stored := false, 0
		for _, ev := range b.events.all() {
			if p, ok := ev.(SyncProgress); ok && p.Done && p.Err == "" {
				stored += p.Messages
				joinDone = joinDone || slices.Contains(p.ChatIDs, "status")
			}
		}
		return joinDone && stored >= 30
	})
	for _, m := range b.events.added("status") {
		if m.Outgoing {
			t.Fatalf("history message %q marked as ours", m.Text)
		}
	}
}

// TestHistoryManyPagesAndOnlyTheGap: 5,000 envelopes arrive over several
// pages, none missing or doubled; a restart later asks only for the gap.
func TestHistoryManyPagesAndOnlyTheGap(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 envelopes")
	}
	ms := newMailserverNode(t, mailserver.Config{})
	author, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const total = 5000
	now := time.Now()
	archiveMessages(t, ms.archive, author, "status", total, now.Add(-2*time.Hour), now.Add(-time.Minute))

	logs := &logRecorder{}
	bOpts := clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, logger: slog.New(logs)}
	b := newClient(t, bOpts)
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all history", func() bool { n, _ := b.store.CountMessages("status"); return n >= total })
	texts := b.texts("status")
	ms1, _ := b.mgr.Latest("status", maxPage)
	if n, _ := b.store.CountMessages("status"); n != total {
		t.Fatalf("stored %d, want %d", n, total)
	}
	seen := map[string]bool{}
	for _, m := range ms1 {
		if seen[m.ID] {
			t.Fatalf("message %s twice", m.ID)
		}
		seen[m.ID] = true
	}
	if texts[len(texts)-1] != fmt.Sprintf("archived %04d", total-1) {
		t.Fatalf("newest is %q", texts[len(texts)-1])
	}
	var pages int
	waitFor(t, "sync done", func() bool {
		for _, ev := range b.events.all() {
			if p, ok := ev.(SyncProgress); ok && p.Done && slices.Contains(p.ChatIDs, "status") {
				pages = p.Pages
				return true
			}
		}
		return false
	})
	if pages < 3 {
		t.Fatalf("history came in %d pages, want at least 3", pages)
	}
	chat, _, _ := b.store.Chat("status")
	if chat.SyncedTo == 0 {
		t.Fatal("join did not record a synced-to time")
	}

	// Later: B restarts and asks only from its synced-to mark on.
	b.stop()
	logs.reset()
	b.start(bOpts)
	var lower int64
	waitFor(t, "catch-up request logged", func() bool {
		lower = logs.int("history request", "lower")
		return lower != 0
	})
	if min, max := chat.SyncedTo-int64(driftSlack/time.Second)-1, time.Now().Unix(); lower < min || lower > max {
		t.Fatalf("restart asked from %d; want the gap from %d (synced-to %d)", lower, min, chat.SyncedTo)
	}
}

// TestHistoryFromGethMailserver: the same catch-up against go-ethereum's own
// mailserver with ?format=geth.
func TestHistoryFromGethMailserver(t *testing.T) {
	server := newGethMailserver(t)
	a := newClient(t, clientOptions{peers: []*enode.Node{server.Enode()}})
	waitPeers(t, 1, a)
	if _, err := a.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := a.mgr.Send("status", fmt.Sprintf("geth %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "A's lines sent", func() bool {
		ms, _ := a.mgr.Latest("status", 10)
		return len(ms) == 5 && ms[4].State == Sent
	})
	raw := server.Enode().URLv4() + "?format=geth" // after its "?discport=0", as a user pastes it
	msrv, err := ParseMailserver(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := newClient(t, clientOptions{peers: []*enode.Node{server.Enode()}, mailservers: []Mailserver{msrv}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "history from geth", func() bool { return len(b.texts("status")) == 5 })
	if got, want := b.texts("status"), a.texts("status"); !slices.Equal(got, want) {
		t.Fatalf("B %q want %q", got, want)
	}
}

// TestHistoryWrongPasswordRefused: a request sealed with the wrong password
// gets an error reply that the user sees; the server goes on serving others.
func TestHistoryWrongPasswordRefused(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	author, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	archiveMessages(t, ms.archive, author, "status", 3, now.Add(-time.Hour), now.Add(-time.Minute))

	peers := []*enode.Node{ms.node.Enode()}
	wrong := newClient(t, clientOptions{peers: peers, mailservers: []Mailserver{ms.mailserver()}, password: "not-the-password"})
	if _, err := wrong.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	var failure string
	waitFor(t, "the refusal", func() bool {
		for _, ev := range wrong.events.all() {
			if p, ok := ev.(SyncProgress); ok && p.Err != "" {
				failure = p.Err
				return true
			}
		}
		return false
	})
	if !strings.Contains(failure, "decrypt") {
		t.Fatalf("failure %q does not say the request could not be decrypted", failure)
	}
	if n, _ := wrong.store.CountMessages("status"); n != 0 {
		t.Fatalf("refused client got %d messages", n)
	}

	right := newClient(t, clientOptions{peers: peers, mailservers: []Mailserver{ms.mailserver()}})
	if _, err := right.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other client served", func() bool { return len(right.texts("status")) == 3 })
}

func TestParseMailserver(t *testing.T) {
	key, _ := crypto.GenerateKey()
	base := enode.NewV4(&key.PublicKey, []byte{127, 0, 0, 1}, 30303, 30303).URLv4()
	for raw, want := range map[string]mailformat.Format{
		base:                               mailformat.FormatStatus,
		base + "?format=geth":              mailformat.FormatGeth,
		base + "?discport=0?format=geth":   mailformat.FormatGeth,
		base + "?format=status&discport=0": mailformat.FormatStatus,
	} {
		ms, err := ParseMailserver(raw)
		if err != nil || ms.Format != want || ms.Node.ID() != enode.PubkeyToIDV4(&key.PublicKey) {
			t.Errorf("ParseMailserver(%q) = %+v, %v", raw, ms, err)
		}
	}
	for _, bad := range []string{"", "enode://nothex@127.0.0.1:1", base + "?format=ipfs"} {
		if _, err := ParseMailserver(bad); err == nil {
			t.Errorf("ParseMailserver(%q) accepted", bad)
		}
	}
}

// archiveMessages writes n signed c4 messages straight into a mailserver
// archive, spread over [from, to].
func archiveMessages(t *testing.T, archive *store.Store, author *ecdsa.PrivateKey, chat string, n int, from, to time.Time) {
	t.Helper()
	archiveMessagesTo(t, []archivePutter{archive}, author, chat, n, from, to)
}

// archiveMessagesTo writes the same n envelopes into every archive, as
// mailservers that all saw them would hold them.
func archiveMessagesTo(t *testing.T, archives []archivePutter, author *ecdsa.PrivateKey, chat string, n int, from, to time.Time) {
	t.Helper()
	key := codec.SymKeyFromPassword(chat)
	topic := codec.TopicFor(chat)
	step := to.Sub(from) / time.Duration(n)
	var keys, raws [][]byte
	for i := range n {
		sent := from.Add(time.Duration(i) * step)
		payload, err := codec.EncodeMessage(codec.Message{
			Text: fmt.Sprintf("archived %04d", i), ContentType: codec.ContentTypeText,
			MessageType: codec.MessageTypePublic, Clock: codec.NextClock(int64(i), sent),
			Timestamp: sent.UnixMilli(), ChatID: chat,
		})
		if err != nil {
			t.Fatal(err)
		}
		params := &whisperv6.MessageParams{TTL: 10, Src: author, KeySym: key, Topic: whisperv6.TopicType(topic), Payload: payload}
		msg, err := whisperv6.NewSentMessage(params)
		if err != nil {
			t.Fatal(err)
		}
		env, err := msg.Wrap(params)
		if err != nil {
			t.Fatal(err)
		}
		// Re-date the envelope: it was sent at `sent`, long expired now.
		env.Expiry = uint32(sent.Unix()) + env.TTL
		raw, err := rlp.EncodeToBytes(env)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, mailserver.Key(uint32(sent.Unix()), env.Hash(), topic))
		raws = append(raws, raw)
	}
	for _, archive := range archives {
		if err := archive.ArchivePut(keys, raws); err != nil {
			t.Fatal(err)
		}
	}
}

// newServerNode makes (without starting) a loopback node for a mailserver.
func newServerNode(t *testing.T) *whisper.Node {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return node
}

// newGethMailserver runs go-ethereum v1.9.15's own mailserver (leveldb) on
// an in-process node.
func newGethMailserver(t *testing.T) *whisper.Node {
	t.Helper()
	node := newServerNode(t)
	ms := new(gethmail.WMailServer)
	// geth checks the request's PoW against this; hush seals requests to 0.002.
	if err := ms.Init(node.Whisper(), t.TempDir(), DefaultMailserverPassword, 0.002); err != nil {
		t.Fatal(err)
	}
	node.RegisterMailServer(ms)
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		node.Stop()
		ms.Close()
	})
	return node
}

// logRecorder is a slog handler that keeps records for assertions.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
func (l *logRecorder) reset() {
	l.mu.Lock()
	l.records = nil
	l.mu.Unlock()
}

// int returns the integer attribute key of the first record whose message
// starts with msg, or 0.
func (l *logRecorder) int(msg, key string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if !strings.HasPrefix(r.Message, msg) {
			continue
		}
		var v int64
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				v = int64(a.Value.Uint64())
				if a.Value.Kind() == slog.KindInt64 {
					v = a.Value.Int64()
				}
				return false
			}
			return true
		})
		return v
	}
	return 0
}
