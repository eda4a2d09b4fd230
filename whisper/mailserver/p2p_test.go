package mailserver

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// p2pNode is a stock whisperv6 node on a devp2p server on loopback.
type p2pNode struct {
	shh *whisperv6.Whisper
	srv *p2p.Server
	key *ecdsa.PrivateKey
}

func startP2PNode(t *testing.T, ms whisperv6.MailServer) *p2pNode {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := whisperv6.DefaultConfig
	shh := whisperv6.New(&cfg)
	if ms != nil {
		shh.RegisterServer(ms)
	}
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  key,
		MaxPeers:    10,
		ListenAddr:  "127.0.0.1:0",
		NoDiscovery: true,
		NAT:         nil,
		Protocols:   shh.Protocols(),
	}}
	if err := shh.Start(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		shh.Stop()
	})
	return &p2pNode{shh: shh, srv: srv, key: key}
}

func (n *p2pNode) id() []byte {
	id := n.srv.Self().ID()
	return id[:]
}

// p2pSender sends a Server's envelopes over whisperv6 and records its
// completions (stock whisperv6 has no way to send code 125).
type p2pSender struct {
	shh *whisperv6.Whisper
	recordingSender
}

func (p *p2pSender) SendArchived(peerID []byte, raw []byte) error {
	var env whisperv6.Envelope
	if err := rlp.DecodeBytes(raw, &env); err != nil {
		return err
	}
	if err := p.shh.SendP2PMessage(peerID, &env); err != nil {
		return err
	}
	return p.recordingSender.SendArchived(peerID, raw)
}

// p2pMailserver is a Server behind a real whisperv6 node, and a client
// node connected to it.
type p2pMailserver struct {
	server *Server
	sender *p2pSender
	node   *p2pNode
	client *p2pNode
	log    *lockedBuffer
}

func startP2PMailserver(t *testing.T, cfg Config, archive Archive) *p2pMailserver {
	t.Helper()
	m := &p2pMailserver{sender: &p2pSender{}, log: &lockedBuffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(m.log, nil))
	}
	// The node must exist before the Server that it serves; the sender
	// learns the node afterwards.
	m.server = New(cfg, archive, m.sender)
	m.server.Start()
	t.Cleanup(m.server.Stop)
	m.node = startP2PNode(t, m.server)
	m.sender.shh = m.node.shh
	m.client = startP2PNode(t, nil)
	m.client.srv.AddPeer(m.node.srv.Self())
	return m
}

// request sends env with code 126 from the client, retrying while the
// whisper handshake has not yet made the server a whisper peer.
func (m *p2pMailserver) request(t *testing.T, env *whisperv6.Envelope) {
	t.Helper()
	var err error
	for range 500 {
		if err = m.client.shh.RequestHistoricMessages(m.node.id(), env); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("send request: %v", err)
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestP2PRequestWithTTLZeroRefused: a request envelope with TTL 0 scores
// +Inf under whisperv6's PoW formula. Sent over devp2p, it must get an
// ERROR= reply and no envelope, where a proper request is served.
func TestP2PRequestWithTTLZeroRefused(t *testing.T) {
	archive := newMemArchive()
	m := startP2PMailserver(t, Config{SymKey: symKeyFromPassword(t, "status-offline-inbox")}, archive)
	key := m.server.cfg.SymKey
	clientID := string(m.client.id())
	for i := range 20 {
		m.server.Archive(chatEnvelope(t, "status", baseTime-100+uint32(i), fmt.Sprint(i)))
	}
	waitFor(t, "archive written", func() bool { return archive.count() == 20 })
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 3600, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)

	zero := sealRequest(t, key, m.client.key, payload)
	zero.TTL = 0 // as the attacker sent it: its PoW is now 2^n / (size × 0)
	zero = wireCopy(t, zero)
	m.request(t, zero)
	waitFor(t, "reply to the TTL-0 request", func() bool { return m.sender.completionsTo(clientID) == 1 })
	envs, completions, _ := m.sender.take(clientID)
	if len(envs) != 0 || completions[0].RequestID != zero.Hash() || !bytes.Contains([]byte(completions[0].Err), []byte("TTL 0")) {
		t.Fatalf("TTL 0: %d envelopes sent, reply %+v", len(envs), completions[0])
	}

	good := sealRequest(t, key, m.client.key, payload)
	m.request(t, good)
	waitFor(t, "reply to the proper request", func() bool { return m.sender.completionsTo(clientID) == 1 })
	envs, completions, _ = m.sender.take(clientID)
	if len(envs) != 20 || completions[0].Err != "" || completions[0].RequestID != good.Hash() {
		t.Fatalf("proper request: %d envelopes, reply %+v", len(envs), completions[0])
	}
	if st := m.server.Stats(); st.Requests != 2 || st.Refused != 1 || st.Served != 1 || st.Sent != 20 {
		t.Fatalf("stats %+v", st)
	}
}

// TestP2PRefusedFloodLog: a peer sending refused requests over devp2p as
// fast as it can for ten seconds grows the server's log by well under 1 MB
// (it was one line per request, 60 MB in ten seconds).
func TestP2PRefusedFloodLog(t *testing.T) {
	if testing.Short() {
		t.Skip("ten seconds of flood")
	}
	t.Parallel()
	m := startP2PMailserver(t, Config{SymKey: symKeyFromPassword(t, "status-offline-inbox")}, newMemArchive())
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 3600, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)
	wrongKey := sealRequest(t, symKeyFromPassword(t, "wrong password"), m.client.key, payload)
	ttl0 := sealRequest(t, m.server.cfg.SymKey, m.client.key, payload)
	ttl0.TTL = 0
	ttl0 = wireCopy(t, ttl0)
	m.request(t, wrongKey) // waits for the whisper handshake

	const flood = 10 * time.Second
	end := time.Now().Add(flood)
	sent := 1
	for time.Now().Before(end) {
		env := wrongKey
		if sent%2 == 1 {
			env = ttl0
		}
		if err := m.client.shh.RequestHistoricMessages(m.node.id(), env); err != nil {
			t.Fatalf("request %d: %v", sent, err)
		}
		sent++
	}
	// The server may still be reading what the connection holds.
	for deadline := time.Now().Add(30 * time.Second); m.server.Stats().Requests != uint64(sent); {
		if time.Now().After(deadline) {
			t.Fatalf("server took %d of %d requests", m.server.Stats().Requests, sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, "the last request to end", func() bool {
		st := m.server.Stats()
		return st.Refused+st.Dropped == uint64(sent)
	})
	st := m.server.Stats()
	size := m.log.Len()
	t.Logf("%d requests in %v (%d refused, %d dropped while one was served): %d bytes of log",
		sent, flood, st.Refused, st.Dropped, size)
	if st.Refused+st.Dropped != uint64(sent) || st.Served != 0 {
		t.Fatalf("stats %+v for %d refused requests", st, sent)
	}
	if size >= 1<<20 {
		t.Fatalf("log grew by %d bytes:\n%.2000s", size, m.log.String())
	}
	if lines := strings.Count(m.log.String(), "\n"); lines > 5 {
		t.Fatalf("%d log lines for one peer's refusals within a minute:\n%s", lines, m.log.String())
	}
}
