package rpcnode

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/whisper"
	"hush/whisper/rpcserver"
)

// A node that wants a token refuses a wrong one, and the user is told what
// it wants; the right one connects.
func TestTokenRefusedThenAccepted(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer node.Stop()
	srv, err := rpcserver.New(rpcserver.Config{Node: node, Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr, err := srv.ListenWS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	wrong, err := New(Config{URL: "ws://hush:wrong@" + addr.String(), BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Start(); err != nil {
		t.Fatal(err)
	}
	defer wrong.Stop()
	select {
	case nt := <-wrong.Notices():
		if !nt.Err || !strings.Contains(nt.Text, "401") || !strings.Contains(nt.Text, "wants a token") || strings.Contains(nt.Text, "wrong") {
			t.Fatalf("notice %+v: want a red line naming the refusal, without the token", nt)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no notice")
	}
	if wrong.Connected() || wrong.PeerCount() != 0 {
		t.Fatal("connected with a wrong token")
	}

	right, err := New(Config{URL: "ws://hush:s3cret@" + addr.String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := right.Start(); err != nil {
		t.Fatal(err)
	}
	defer right.Stop()
	if !right.Connected() || !right.HasHistory() || right.Enode().ID() != node.Enode().ID() {
		t.Fatalf("right token: connected %v, history %v", right.Connected(), right.HasHistory())
	}
}
