package session

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/rpcnode"
)

// stockGeth is what `geth --shh --shh.pow 0.002 --ws --wsapi shh` runs:
// go-ethereum v1.9.15's whisperv6 on a devp2p server (discovery off, NAT
// nil) and its own shh_* API, whisperv6.NewPublicWhisperAPI, on its own rpc
// server over a real WebSocket on loopback.
type stockGeth struct {
	enode *enode.Node
	url   string
}

func startStockGeth(t *testing.T) *stockGeth {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	shh := whisperv6.New(&whisperv6.Config{MaxMessageSize: whisperv6.DefaultMaxMessageSize, MinimumAcceptedPOW: 0.002})
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
	api := rpc.NewServer()
	if err := api.RegisterName("shh", whisperv6.NewPublicWhisperAPI(shh)); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: api.WebsocketHandler(nil)}
	go hs.Serve(l)
	t.Cleanup(func() {
		hs.Close()
		api.Stop()
		srv.Stop()
		go shh.Stop() // its Stop may wait out a 10 s sleep after a bloom change
	})
	return &stockGeth{enode: srv.Self(), url: "ws://" + l.Addr().String()}
}

// TestStockGethNode: hush --node against geth's stock shh_* surface chats
// with an embedded-node session in a public chat and one to one, and says
// plainly that such a node has no history.
func TestStockGethNode(t *testing.T) {
	geth := startStockGeth(t)
	embedded := newClient(t, clientOptions{peers: []*enode.Node{geth.enode}})
	thin := newThinClient(t, geth.url)
	waitPeers(t, 1, embedded)
	// No admin API: the node itself counts as the one peer.
	waitFor(t, "the thin client connected", func() bool { return thin.node.Connected() && thin.node.PeerCount() == 1 })

	for _, m := range []*Manager{embedded.mgr, thin.mgr} {
		if _, err := m.JoinPublic("#status"); err != nil {
			t.Fatal(err)
		}
	}
	if err := thin.mgr.Send("status", "hi from geth's side"); err != nil {
		t.Fatal(err)
	}
	if err := embedded.mgr.Send("status", "hi from the embedded node"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Manager{embedded.mgr, thin.mgr} {
		waitFor(t, "both public lines", func() bool {
			got := textsOf(t, m, "status")
			return len(got) == 2 && slices.Contains(got, "hi from geth's side") && slices.Contains(got, "hi from the embedded node")
		})
	}

	if _, err := thin.mgr.OpenPrivate(embedded.key()); err != nil {
		t.Fatal(err)
	}
	if err := thin.mgr.Send(embedded.key(), "one to one through geth"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the embedded client gets it", func() bool {
		return slices.Equal(textsOf(t, embedded.mgr, thin.key()), []string{"one to one through geth"})
	})
	if err := embedded.mgr.Send(thin.key(), "and back"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the thin client gets the answer", func() bool {
		return slices.Equal(textsOf(t, thin.mgr, embedded.key()), []string{"one to one through geth", "and back"})
	})

	_, err := thin.node.RequestHistory(context.Background(), geth.enode.ID(), whisper.HistoryRequest{
		Request: mailformat.Request{Bloom: make([]byte, mailformat.BloomLength)},
	})
	if !errors.Is(err, rpcnode.ErrNoHistory) || err.Error() != "request history: "+rpcnode.ErrNoHistory.Error() {
		t.Fatalf("history from stock geth: %v, want %v", err, rpcnode.ErrNoHistory)
	}
}
