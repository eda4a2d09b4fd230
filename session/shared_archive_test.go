package session

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store/pgarchive"
	"hush/store/pgtest"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// pg is the session tests' throwaway PostgreSQL cluster, started by the
// first test that asks for a database and stopped by TestMain.
var pg pgtest.Shared

// sharedMailserver is an in-process `hush serve --archive-db postgres://…`:
// one of several servers archiving into, and serving from, one PostgreSQL
// archive (PROTOCOL.md §11).
type sharedMailserver struct {
	node    *whisper.Node
	server  *mailserver.Server
	archive *pgarchive.Archive
	kill    func() // stops this server alone (node, mailserver, connections); idempotent
}

func (s *sharedMailserver) mailserver() Mailserver {
	return Mailserver{Node: s.node.Enode(), Format: mailformat.FormatStatus}
}

// runSharedMailservers starts n servers on one new PostgreSQL database,
// with the default mailserver password; cfg applies to each. Each one's
// kill stops it mid-whatever, as a crashed server; the rest keep serving.
func runSharedMailservers(t *testing.T, n int, cfg mailserver.Config) []*sharedMailserver {
	t.Helper()
	return runSharedMailserversWrapped(t, n, cfg, nil)
}

// runSharedMailserversWrapped is runSharedMailservers with server i's node
// answering requests through wrap(i, s) (a test's hook around the real
// server); a nil wrap, or one returning nil, leaves the server as it is.
func runSharedMailserversWrapped(t *testing.T, n int, cfg mailserver.Config, wrap func(i int, s *sharedMailserver) whisperv6.MailServer) []*sharedMailserver {
	t.Helper()
	url := pg.Database(t)
	cfg.SymKey = codec.SymKeyFromPassword(DefaultMailserverPassword)
	servers := make([]*sharedMailserver, n)
	for i := range servers {
		archive, err := pgarchive.Open(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		node := newServerNode(t)
		server := mailserver.New(cfg, archive, node)
		s := &sharedMailserver{node: node, server: server, archive: archive}
		s.kill = sync.OnceFunc(func() {
			node.Stop()
			server.Stop()
			archive.Close()
		})
		var ms whisperv6.MailServer = server
		if wrap != nil {
			if w := wrap(i, s); w != nil {
				ms = w
			}
		}
		node.RegisterMailServer(ms)
		server.Start()
		if err := node.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.kill)
		servers[i] = s
	}
	return servers
}

// archived waits until the shared archive holds at least n envelopes.
func (s *sharedMailserver) archived(t *testing.T, n int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d archived envelopes", n), func() bool {
		got, _, err := s.archive.ArchiveSize()
		return err == nil && got >= n
	})
}

// TestSharedArchiveServesWhatEitherSaw: two servers on one PostgreSQL
// archive. A sends through server 1 only; B, connected to server 2 only
// (which never saw A's envelopes), catches up from server 2 and shows every
// line once. Then C, connected to both, sends: both servers archive its
// envelopes and the archive holds each once.
func TestSharedArchiveServesWhatEitherSaw(t *testing.T) {
	ms := runSharedMailservers(t, 2, mailserver.Config{})
	a := newClient(t, clientOptions{peers: []*enode.Node{ms[0].node.Enode()}})
	waitPeers(t, 1, a)
	if _, err := a.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := a.mgr.Send("status", fmt.Sprintf("line %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ms[0].archived(t, 20)
	if st := ms[1].server.Stats(); st.Archived != 0 {
		t.Fatalf("server 2 archived %d envelopes it was never sent", st.Archived)
	}

	b := newClient(t, clientOptions{peers: []*enode.Node{ms[1].node.Enode()}, mailservers: []Mailserver{ms[1].mailserver()}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "20 lines on B", func() bool { return len(b.texts("status")) >= 20 })
	if got, want := b.texts("status"), a.texts("status"); !slices.Equal(got, want) {
		t.Fatalf("B shows %q\nwant %q", got, want)
	}
	if st := ms[1].server.Stats(); st.Sent < 20 {
		t.Fatalf("server 2 sent %d envelopes; B's history came from elsewhere", st.Sent)
	}

	c := newClient(t, clientOptions{peers: []*enode.Node{ms[0].node.Enode(), ms[1].node.Enode()}})
	waitPeers(t, 2, c)
	if _, err := c.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := c.mgr.Send("status", fmt.Sprintf("from c %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Clients post more than chat lines (bundle advertisements, contact
	// updates): count the chat's envelopes.
	status := codec.TopicFor("status")
	chatEnvelopes := func() int {
		keys, _, err := ms[1].archive.ArchiveRead([]byte{0}, bytes.Repeat([]byte{0xff}, mailserver.KeyLength+1),
			[][]byte{status[:]}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	waitFor(t, "C's 10 lines archived by both servers", func() bool {
		return chatEnvelopes() >= 30 && ms[1].server.Stats().Archived >= 10
	})
	for _, s := range ms {
		if err := s.server.Sync(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := chatEnvelopes(); n != 30 {
		t.Fatalf("shared archive holds %d envelopes of the chat, want 30: each once", n)
	}
}
