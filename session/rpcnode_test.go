package session

import (
	"crypto/ecdsa"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailserver"
	"hush/whisper/rpcnode"
	"hush/whisper/rpcserver"
)

// servedNode is an in-process `hush serve --rpc-ws`: a node archiving into
// SQLite, its mailserver, and the RPC server on loopback. It can be stopped
// and started again on the same key and addresses.
type servedNode struct {
	t       *testing.T
	key     *ecdsa.PrivateKey
	listen  string // p2p address, fixed after the first start
	ws      string // RPC address, fixed after the first start
	archive string
	node    *whisper.Node
	ms      *mailserver.Server
	db      *store.Store
	rpc     *rpcserver.Server
	enode   *enode.Node
}

func startServedNode(t *testing.T) *servedNode {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := &servedNode{t: t, key: key, listen: "127.0.0.1:0", ws: "127.0.0.1:0", archive: filepath.Join(t.TempDir(), "archive.db")}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *servedNode) start() {
	t := s.t
	t.Helper()
	db, err := store.Open(s.archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: s.listen, NodeKey: s.key, InboundOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ms := mailserver.New(mailserver.Config{SymKey: codec.SymKeyFromPassword(DefaultMailserverPassword)}, db, node)
	node.RegisterMailServer(ms)
	ms.Start()
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	srv, err := rpcserver.New(rpcserver.Config{Node: node, Mailserver: ms})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.ListenWS(s.ws)
	if err != nil {
		t.Fatal(err)
	}
	s.ws = addr.String()
	s.listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(node.Enode().TCP()))
	s.enode = node.Enode()
	s.node, s.ms, s.db, s.rpc = node, ms, db, srv
}

func (s *servedNode) stop() {
	if s.node == nil {
		return
	}
	s.rpc.Close()
	s.node.Stop()
	s.ms.Stop()
	s.db.Close()
	s.node = nil
}

func (s *servedNode) url() string { return "ws://" + s.ws }

func (s *servedNode) mailserver() Mailserver { return Mailserver{Node: s.enode} }

// thinClient is `hush --node URL`: a session whose node is another
// process's, reached over RPC.
type thinClient struct {
	t      *testing.T
	dir    string
	id     *ecdsa.PrivateKey
	url    string
	ms     []Mailserver
	node   *rpcnode.Node
	store  *store.Store
	mgr    *Manager
	events *recorder
}

func newThinClient(t *testing.T, url string, ms ...Mailserver) *thinClient {
	t.Helper()
	id, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &thinClient{t: t, dir: t.TempDir(), id: id, url: url, ms: ms}
	c.start()
	t.Cleanup(c.stop)
	return c
}

func (c *thinClient) start() {
	t := c.t
	t.Helper()
	st, err := store.Open(filepath.Join(c.dir, "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := rpcnode.New(rpcnode.Config{URL: c.url, PeerPoll: 200 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	mgr, err := New(Config{Identity: c.id, Node: node, Store: st, Mailservers: c.ms})
	if err != nil {
		t.Fatal(err)
	}
	c.node, c.store, c.mgr = node, st, mgr
	c.events = record(mgr.Events())
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
}

func (c *thinClient) stop() {
	if c.mgr == nil {
		return
	}
	c.mgr.Stop()
	c.node.Stop()
	c.events.stop()
	c.store.Close()
	c.mgr = nil
}

func (c *thinClient) key() string { return codec.PublicKeyHex(&c.id.PublicKey) }

func textsOf(t *testing.T, m *Manager, chatID string) []string {
	t.Helper()
	ms, err := m.Latest(chatID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ms))
	for i, msg := range ms {
		out[i] = msg.Text
	}
	return out
}

// TestRemoteNodeChatsAndHistory: a session over hush serve's RPC (hush
// --node) chats with an embedded-node session in a public chat and one to
// one, and after being away gets what it missed from the node's archive.
func TestRemoteNodeChatsAndHistory(t *testing.T) {
	served := startServedNode(t)
	embedded := newClient(t, clientOptions{peers: []*enode.Node{served.node.Enode()}, mailservers: []Mailserver{served.mailserver()}})
	thin := newThinClient(t, served.url(), served.mailserver())
	waitPeers(t, 1, embedded)
	waitFor(t, "the thin client's peer count", func() bool { return thin.node.PeerCount() >= 1 })

	for _, m := range []*Manager{embedded.mgr, thin.mgr} {
		if _, err := m.JoinPublic("#status"); err != nil {
			t.Fatal(err)
		}
	}
	if err := thin.mgr.Send("status", "hello from the thin client"); err != nil {
		t.Fatal(err)
	}
	if err := embedded.mgr.Send("status", "hello from the embedded node"); err != nil {
		t.Fatal(err)
	}
	want := []string{"hello from the thin client", "hello from the embedded node"}
	for _, m := range []*Manager{embedded.mgr, thin.mgr} {
		waitFor(t, "both public lines", func() bool {
			got := textsOf(t, m, "status")
			return len(got) == 2 && slices.Contains(got, want[0]) && slices.Contains(got, want[1])
		})
	}
	waitFor(t, "the thin client's line sent", func() bool {
		ms, err := thin.mgr.Latest("status", 10)
		return err == nil && slices.ContainsFunc(ms, func(m Message) bool { return m.Outgoing && m.State == Sent })
	})

	// One to one, both ways.
	if _, err := thin.mgr.OpenPrivate(embedded.key()); err != nil {
		t.Fatal(err)
	}
	if err := thin.mgr.Send(embedded.key(), "psst"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the embedded client gets psst", func() bool { return slices.Equal(textsOf(t, embedded.mgr, thin.key()), []string{"psst"}) })
	if err := embedded.mgr.Send(thin.key(), "psst back"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the thin client gets the answer", func() bool {
		return slices.Equal(textsOf(t, thin.mgr, embedded.key()), []string{"psst", "psst back"})
	})

	// Away: the embedded client writes meanwhile; back, the thin client
	// catches up from the node's archive.
	thin.stop()
	for _, text := range []string{"missed one", "missed two"} {
		if err := embedded.mgr.Send("status", text); err != nil {
			t.Fatal(err)
		}
	}
	if err := embedded.mgr.Send(thin.key(), "missed private"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the archive to hold the missed lines", func() bool {
		n, err := served.db.ArchiveCount()
		return err == nil && n >= 7
	})
	thin.start()
	waitFor(t, "the missed public lines", func() bool {
		got := textsOf(t, thin.mgr, "status")
		return slices.Contains(got, "missed one") && slices.Contains(got, "missed two")
	})
	waitFor(t, "the missed private line", func() bool { return slices.Contains(textsOf(t, thin.mgr, embedded.key()), "missed private") })
}

// TestRemoteNodeDiesAndReturns: the node under hush --node stops. The
// session says so, keeps what is written meanwhile pending, reconnects
// when the node is back, subscribes again, and nothing is lost either way.
func TestRemoteNodeDiesAndReturns(t *testing.T) {
	served := startServedNode(t)
	embedded := newClient(t, clientOptions{peers: []*enode.Node{served.enode}})
	thin := newThinClient(t, served.url())
	waitPeers(t, 1, embedded)
	for _, m := range []*Manager{embedded.mgr, thin.mgr} {
		if _, err := m.JoinPublic("#status"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the thin client's peer count", func() bool { return thin.node.PeerCount() >= 1 })
	if err := embedded.mgr.Send("status", "before"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first line", func() bool { return slices.Equal(textsOf(t, thin.mgr, "status"), []string{"before"}) })

	served.stop()
	waitFor(t, "the thin client to see the node gone", func() bool { return thin.node.PeerCount() == 0 && !thin.node.Connected() })
	waitFor(t, "a notice that the node is gone", func() bool {
		return slices.ContainsFunc(thin.events.errNotices(), func(s string) bool { return strings.Contains(s, "lost node") })
	})
	if err := thin.mgr.Send("status", "written while the node was down"); err != nil {
		t.Fatal(err)
	}
	state := func() MessageState {
		ms, err := thin.mgr.Latest("status", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Outgoing {
				return m.State
			}
		}
		return -1
	}
	waitFor(t, "the outbox to report it pending", func() bool {
		for _, ev := range thin.events.all() {
			if oc, ok := ev.(OutboxChanged); ok && oc.Pending == 1 && oc.Reason == "no peers" {
				return true
			}
		}
		return false
	})
	if st := state(); st != Pending {
		t.Fatalf("line written while the node was down: state %v, want pending", st)
	}

	served.start()
	waitPeers(t, 1, embedded)
	waitFor(t, "the embedded client gets the line", func() bool {
		return slices.Contains(textsOf(t, embedded.mgr, "status"), "written while the node was down")
	})
	waitFor(t, "the line sent", func() bool { return state() == Sent })
	waitFor(t, "a notice that the node is back", func() bool {
		for _, ev := range thin.events.all() {
			if n, ok := ev.(Notice); ok && !n.Err && strings.Contains(n.Text, "is back") {
				return true
			}
		}
		return false
	})
	// Subscribed again: new lines reach the thin client.
	if err := embedded.mgr.Send("status", "after"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the line after the return", func() bool { return slices.Contains(textsOf(t, thin.mgr, "status"), "after") })
}
