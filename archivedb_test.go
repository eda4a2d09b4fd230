package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store/pgarchive"
	"hush/store/pgtest"
	"hush/whisper"
	"hush/whisper/mailformat"
)

// pg is the throwaway PostgreSQL cluster of these tests.
var pg pgtest.Shared

// TestServeSharedPostgresArchive: two `hush serve --archive-db` processes on
// one PostgreSQL database. An envelope posted to server 1 only is served by
// server 2, from the archive; server 1's --metrics endpoint counts it.
func TestServeSharedPostgresArchive(t *testing.T) {
	url := pg.Database(t)
	metricsAddr := freeLoopbackAddr(t)
	_, one := startServe(t, t.TempDir(), "--archive-db", url, "--metrics", metricsAddr)
	_, two := startServe(t, t.TempDir(), "--archive-db", url)

	// The poster is a peer of server 1 only, the asker of server 2 only, and
	// the servers are not peers: server 2 can only have it from the archive.
	poster := peeredNode(t, one)
	asker := peeredNode(t, two)
	topic := codec.TopicFor("shared-archive-test")
	symKey := codec.SymKeyFromPassword("shared-archive-test")
	if _, err := asker.SubscribeSym(topic, symKey); err != nil {
		t.Fatal(err)
	}
	signer, _ := crypto.GenerateKey()
	hash, err := poster.Post(whisper.Post{Topic: topic, SymKey: symKey, Payload: []byte("kept by one, served by two"), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}

	// Server 1 archives it; its metrics say so.
	waitMetric(t, metricsAddr, "hush_envelopes_archived_total", 1)
	waitMetric(t, metricsAddr, "hush_archive_envelopes", 1)
	archive, err := pgarchive.Open(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer archive.Close()
	if n, _, err := archive.ArchiveSize(); err != nil || n != 1 {
		t.Fatalf("archive holds %d envelopes (%v), want 1", n, err)
	}

	now := uint32(time.Now().Unix())
	req := whisper.HistoryRequest{Request: mailformat.Request{Lower: now - 600, Upper: now + 60,
		Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic)), Limit: 100}, Format: mailformat.FormatStatus}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	page, err := asker.RequestHistory(ctx, two.ID(), req)
	if err != nil {
		t.Fatal(err)
	}
	if page.Envelopes != 1 || page.LastEnvelope != hash {
		t.Fatalf("server 2 sent %d envelopes, last %x; want 1, %x", page.Envelopes, page.LastEnvelope, hash)
	}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case got := <-asker.Received():
			if got.EnvelopeHash == hash && got.Direct {
				return
			}
		case <-deadline:
			t.Fatal("the envelope served by server 2 never came out of the asker's node")
		}
	}
}

// peeredNode starts a whisper node peered with server, stopped when t ends.
func peeredNode(t *testing.T, server *enode.Node) *whisper.Node {
	t.Helper()
	key, _ := crypto.GenerateKey()
	n, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key, Peers: []*enode.Node{server}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for n.PeerCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("could not peer with hush serve")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitMetric scrapes http://addr/metrics until name reaches want.
func waitMetric(t *testing.T, addr, name string, want float64) {
	t.Helper()
	line := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`)
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(body)
			if m := line.FindStringSubmatch(last); m != nil {
				if v, err := strconv.ParseFloat(m[1], 64); err == nil && v >= want {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("metric %s never reached %g; last scrape:\n%s", name, want, last))
}
