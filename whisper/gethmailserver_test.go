package whisper

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"hush/whisper/mailformat"

	gethmail "github.com/ethereum/go-ethereum/whisper/mailserver"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// countingMailServer is geth's mailserver, counting what it archived.
type countingMailServer struct {
	gethmail.WMailServer
	archivedCount atomic.Int64
}

func (s *countingMailServer) Archive(env *whisperv6.Envelope) {
	s.WMailServer.Archive(env)
	s.archivedCount.Add(1)
}

func TestGethMailServerReturnsArchivedEnvelopes(t *testing.T) {
	t.Parallel()
	const serverPoW = 0.02 // geth refuses requests sealed below this
	ms := new(countingMailServer)
	server, err := New(testNodeConfig(t, "geth-mailserver"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Init(server.Whisper(), t.TempDir(), OfflineInboxPassword, serverPoW); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ms.Close) // after the node stopped
	server.RegisterMailServer(ms)
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	client := newTestNode(t, "client", server.Enode())
	connected(t, 1, server, client)

	topic, key := topicOf("geth-archive"), chatKey(t, "geth-archive")
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	signer := mustKey(t)
	var posted [][32]byte
	for _, text := range []string{"one", "two", "three"} {
		h, err := client.Post(Post{Topic: topic, SymKey: key, Payload: []byte(text), Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, h)
	}
	waitFor(t, waitTimeout, "the mailserver to archive the posts", func() bool { return ms.archivedCount.Load() == 3 })

	now := uint32(time.Now().Unix())
	req := HistoryRequest{
		Request: mailformat.Request{Lower: now - 300, Upper: now + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic))},
		Format:  mailformat.FormatGeth,
		PoW:     serverPoW,
		Quiet:   quietPeriod,
		Timeout: waitTimeout,
	}
	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), req)
	if err != nil {
		t.Fatal(err)
	}
	if page.Envelopes != 3 || page.Cursor != nil {
		t.Errorf("page = %+v, want 3 envelopes and no cursor", page)
	}
	in := &inbox{node: client}
	for _, h := range posted {
		in.await(t, waitTimeout, "an envelope back from geth's mailserver", withDirectHash(h))
	}

	// geth iterates to upper+1, which wraps for 0xFFFFFFFF: nothing comes.
	req.Upper = 0xFFFFFFFF
	page, err = client.RequestHistory(context.Background(), server.Enode().ID(), req)
	if err != nil {
		t.Fatal(err)
	}
	if page.Envelopes != 0 {
		t.Errorf("upper 0xFFFFFFFF gave %d envelopes; geth's quirk changed?", page.Envelopes)
	}
}
