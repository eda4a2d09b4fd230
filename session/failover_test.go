package session

import (
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// dyingMailServer serves requests until the one that asks for the
// (after+1)th continuation page (a request with a cursor), from any peer:
// then kill stops it, mid-catch-up, as a server whose process is killed.
type dyingMailServer struct {
	whisperv6.MailServer
	key   []byte
	after int64
	kill  func() // run on its own goroutine: stopping waits for the peer being served
	pages atomic.Int64
	dead  atomic.Bool
}

func (d *dyingMailServer) DeliverMail(peer *whisperv6.Peer, req *whisperv6.Envelope) {
	if d.dead.Load() {
		return
	}
	if msg, err := req.OpenSymmetric(d.key); err == nil && msg != nil && msg.ValidateAndParse() {
		if r, _, err := mailformat.DecodeRequest(msg.Payload); err == nil && r.Cursor != nil && d.pages.Add(1) > d.after {
			d.dead.Store(true)
			go d.kill()
			return
		}
	}
	d.MailServer.DeliverMail(peer, req)
}

// requestLowers is the lower bound of every "history request" of job
// logged for the mailserver with the given terminal id, in order.
func (l *logRecorder) requestLowers(job, server string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, r := range l.records {
		if r.Message != "history request" {
			continue
		}
		var gotJob, gotServer string
		var lower int64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "job":
				gotJob = a.Value.String()
			case "mailserver":
				gotServer = a.Value.String()
			case "lower":
				lower = int64(a.Value.Uint64())
			}
			return true
		})
		if gotJob == job && gotServer == server {
			out = append(out, lower)
		}
	}
	return out
}

// TestCatchUpFailsOverToTheNextMailserver: two relay+mailserver nodes hold
// the same envelopes, each in its own archive. A client with both (first
// one first) catches up in pages; the first server dies after a few pages.
// The client carries on with the second from where the stored pages end,
// not from the start, and ends with every message once, in order, and its
// synced-to mark moved.
func TestCatchUpFailsOverToTheNextMailserver(t *testing.T) {
	const total = 900
	const chat = "failover"
	key := codec.SymKeyFromPassword(DefaultMailserverPassword)
	var dying *dyingMailServer
	first := runMailserverWrapped(t, newServerNode(t), mailserver.Config{RateLimit: -1}, func(ms whisperv6.MailServer) whisperv6.MailServer {
		dying = &dyingMailServer{MailServer: ms, key: key, after: 3}
		return dying
	})
	dying.kill = first.node.Stop
	second := newMailserverNode(t, mailserver.Config{RateLimit: -1})
	author, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	archiveMessagesTo(t, []archivePutter{first.archive, second.archive}, author, chat, total, now.Add(-90*time.Minute), now.Add(-time.Minute))

	logs := &logRecorder{}
	c := newClient(t, clientOptions{
		peers:       []*enode.Node{first.node.Enode(), second.node.Enode()},
		mailservers: []Mailserver{first.mailserver(), second.mailserver()},
		logger:      slog.New(logs),
		tune:        func(tu *syncTuning) { tu.pageLimit = 50 },
	})
	waitPeers(t, 2, c)
	if _, err := c.mgr.JoinPublic(chat); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the join's history done", func() bool { ended, _, _ := c.events.syncEnded(chat); return ended })
	if _, errText, _ := c.events.syncEnded(chat); errText != "" {
		logs.dump(t)
		t.Fatalf("history ended with %q", errText)
	}
	if !dying.dead.Load() {
		t.Fatal("the first mailserver never died: the test did not fail over")
	}

	want := make([]string, total)
	for i := range want {
		want[i] = fmt.Sprintf("archived %04d", i)
	}
	if n, err := c.store.CountMessages(chat); err != nil || n != total {
		t.Fatalf("stored %d (%v), want %d", n, err, total)
	}
	if got := c.texts(chat); !slices.Equal(got, want) {
		t.Fatalf("shows %d texts, not the %d archived in order", len(got), total)
	}

	fromFirst := logs.requestLowers("recent", first.node.Enode().ID().TerminalString())
	fromSecond := logs.requestLowers("recent", second.node.Enode().ID().TerminalString())
	if len(fromFirst) == 0 || len(fromSecond) == 0 {
		logs.dump(t)
		t.Fatalf("requests: %d to the first server, %d to the second; want both", len(fromFirst), len(fromSecond))
	}
	// Four pages of 50 (about 20 minutes of this chat) were stored before
	// the first server died; the second is asked from there on.
	if resumed := fromSecond[0] - fromFirst[0]; resumed < int64(10*time.Minute/time.Second) {
		logs.dump(t)
		t.Fatalf("the second server was asked from %d, %ds after the first request's %d: not resumed", fromSecond[0], resumed, fromFirst[0])
	}
	st, ok, err := c.store.Chat(chat)
	if err != nil || !ok || st.SyncedTo < now.Add(-time.Minute).Unix() {
		t.Fatalf("synced-to mark %d (%v %v), want at least the newest message's second", st.SyncedTo, ok, err)
	}
}

// archivePutter is any mailserver archive, SQLite or PostgreSQL.
type archivePutter interface {
	ArchivePut(keys, raws [][]byte) error
}

// TestSharedArchiveFailoverThreeClients (issue 12, acceptance 2): two
// servers on one PostgreSQL archive, three clients that each know both
// (each lists them in its own order). The server that was asked first
// dies after a few pages of the clients' catch-ups; every client finishes
// from the other one with every message once, in order.
func TestSharedArchiveFailoverThreeClients(t *testing.T) {
	const total = 600
	const chat = "shared-failover"
	key := codec.SymKeyFromPassword(DefaultMailserverPassword)
	var dying *dyingMailServer
	ms := runSharedMailserversWrapped(t, 2, mailserver.Config{RateLimit: -1}, func(i int, s *sharedMailserver) whisperv6.MailServer {
		if i != 0 {
			return nil
		}
		dying = &dyingMailServer{MailServer: s.server, key: key, after: 4, kill: s.kill}
		return dying
	})
	author, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	archiveMessagesTo(t, []archivePutter{ms[0].archive}, author, chat, total, now.Add(-90*time.Minute), now.Add(-time.Minute))
	ms[1].archived(t, total)

	clients := make([]*client, 3)
	for i := range clients {
		clients[i] = newClient(t, clientOptions{
			peers:       []*enode.Node{ms[0].node.Enode(), ms[1].node.Enode()},
			mailservers: []Mailserver{ms[0].mailserver(), ms[1].mailserver()},
			tune:        func(tu *syncTuning) { tu.pageLimit = 50 },
		})
	}
	for _, c := range clients {
		waitPeers(t, 2, c)
	}
	for _, c := range clients {
		if _, err := c.mgr.JoinPublic(chat); err != nil {
			t.Fatal(err)
		}
	}
	want := make([]string, total)
	for i := range want {
		want[i] = fmt.Sprintf("archived %04d", i)
	}
	for i, c := range clients {
		waitFor(t, fmt.Sprintf("client %d's history done", i), func() bool { ended, _, _ := c.events.syncEnded(chat); return ended })
		if _, errText, _ := c.events.syncEnded(chat); errText != "" {
			t.Fatalf("client %d: history ended with %q", i, errText)
		}
		if n, err := c.store.CountMessages(chat); err != nil || n != total {
			t.Fatalf("client %d stored %d (%v), want %d", i, n, err, total)
		}
		if got := c.texts(chat); !slices.Equal(got, want) {
			t.Fatalf("client %d shows %d texts, not the %d archived in order", i, len(got), total)
		}
	}
	if !dying.dead.Load() {
		t.Fatal("the first server never died: the test did not fail over")
	}
	if st := ms[1].server.Stats(); st.Sent == 0 {
		t.Fatal("the second server sent nothing: the clients never failed over")
	}
}
