package session

import (
	"crypto/ecdsa"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/session/encryption"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailserver"
)

// BenchmarkDoubleRatchet measures one-to-one messages through the
// encryption stage (PROTOCOL.md §7) against the same messages in plain
// transit, the ECIES-only path, in the same run. Both sets are the same
// chat lines from 8 authors, sealed with ECIES to the receiver; the double
// ratchet set carries each line as a confirmed double-ratchet
// ProtocolMessage (with the author's bundle, as every one does), on the
// receiver's partitioned topic.
//
//   - ingest: envelopes handed to the receiving node's whisperv6 become
//     stored, announced messages (as BenchmarkIngest). Reports msgs/s of
//     each and dr-%-of-plain.
//   - catch-up: a hush mailserver holds 10,000 envelopes; a client that was
//     offline starts and fetches them (as BenchmarkCatchUp's
//     session-hush). Reports the seconds to the last message of each and
//     dr-%-of-plain (of the rates).
//
// Each iteration starts a fresh receiver from a copy of one database
// holding its ratchet sessions with the authors, so every envelope is
// opened by a state that has not used its key yet.
func BenchmarkDoubleRatchet(b *testing.B) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	b.Run("ingest", func(b *testing.B) { benchDRIngest(b, n) })
	b.Run("catch-up", func(b *testing.B) { benchDRCatchUp(b, 10_000) })
}

// drFixture is a receiver with sessions to 8 authors, and the same n lines
// sealed both ways.
type drFixture struct {
	receiver *ecdsa.PrivateKey
	authors  []*ecdsa.PrivateKey
	template string // closed database holding the receiver's encryption state
	plain    []*whisperv6.Envelope
	dr       []*whisperv6.Envelope
}

// newDRFixture builds the sessions and seals n lines each way; sent gives
// the time line i was sent (its envelope is dated then).
func newDRFixture(b *testing.B, n int, ttl uint32, sent func(i int) time.Time) *drFixture {
	b.Helper()
	start := time.Now()
	f := &drFixture{receiver: benchKey(b), authors: benchKeys(b, 8)}
	f.template = filepath.Join(b.TempDir(), "template.db")
	st, err := store.Open(f.template, nil)
	if err != nil {
		b.Fatal(err)
	}
	inst, err := st.InstallationID()
	if err != nil {
		b.Fatal(err)
	}
	rp, err := encryption.New(encryption.Config{Identity: f.receiver, InstallationID: inst, KV: st.Secrets()})
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := rp.BundleMessage()
	if err != nil {
		b.Fatal(err)
	}
	rpub := &f.receiver.PublicKey
	protos := make([]*encryption.Protocol, len(f.authors))
	for k, a := range f.authors {
		ap, err := encryption.New(encryption.Config{Identity: a, InstallationID: fmt.Sprintf("author-%d", k), KV: encryption.NewMemoryKV()})
		if err != nil {
			b.Fatal(err)
		}
		// The author reads our advertisement, opens a session with X3DH,
		// and our answer confirms it.
		if _, err := ap.Decrypt(rpub, bundle); err != nil {
			b.Fatal(err)
		}
		hello, err := ap.Encrypt(rpub, []byte("hello"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.Decrypt(&a.PublicKey, hello.Wire); err != nil {
			b.Fatal(err)
		}
		ack, err := rp.Encrypt(&a.PublicKey, []byte("ack"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ap.Decrypt(rpub, ack.Wire); err != nil {
			b.Fatal(err)
		}
		protos[k] = ap
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}

	to := codec.PublicKeyHex(rpub)
	plain := make([]*whisperv6.MessageParams, n)
	dr := make([]*whisperv6.MessageParams, n)
	for i := range n {
		k := i % len(f.authors)
		payload := benchPayload(b, i, codec.MessageTypePrivate, to, sent(i))
		out, err := protos[k].Encrypt(rpub, payload)
		if err != nil {
			b.Fatal(err)
		}
		if out.Kind != encryption.DoubleRatchet {
			b.Fatalf("line %d encrypted as %s", i, out.Kind)
		}
		plain[i] = &whisperv6.MessageParams{TTL: ttl, Src: f.authors[k], Dst: rpub, Payload: payload,
			Topic: whisperv6.TopicType(codec.TopicFor(codec.DiscoveryTopicName))}
		dr[i] = &whisperv6.MessageParams{TTL: ttl, Src: f.authors[k], Dst: rpub, Payload: out.Wire,
			Topic: whisperv6.TopicType(codec.TopicFor(codec.PartitionedTopicName(rpub)))}
	}
	f.plain, f.dr = benchSealAll(b, plain), benchSealAll(b, dr)
	for i := range n {
		// Dated when sent: the archive orders by it.
		for _, env := range []*whisperv6.Envelope{f.plain[i], f.dr[i]} {
			env.Expiry = uint32(sent(i).Unix()) + env.TTL
		}
	}
	b.Logf("sessions and %d+%d envelopes in %v", n, n, time.Since(start))
	return f
}

// receiverCopy is a new database file holding the template's state.
func (f *drFixture) receiverCopy(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "hush.db")
	src, err := os.Open(f.template)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchDRIngest(b *testing.B, n int) {
	now := time.Now()
	f := newDRFixture(b, n, 600, func(int) time.Time { return now })
	run := func(envs []*whisperv6.Envelope, db string) time.Duration {
		c := newBenchClient(b, benchClientOptions{identity: f.receiver, minPoW: ingestMinPoW, dbPath: db})
		if err := c.mgr.Start(); err != nil {
			b.Fatal(err)
		}
		c.drain.added.Store(0)
		b.StartTimer()
		start := time.Now()
		shh := c.node.Whisper()
		for _, env := range envs {
			if err := shh.Send(env); err != nil {
				b.Fatalf("hand envelope to whisperv6: %v", err)
			}
		}
		took := c.drain.waitAdded(b, int64(n)).Sub(start)
		b.StopTimer()
		c.checkIngested(n, true)
		c.close()
		return took
	}
	var plain, dr time.Duration
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		plain += run(f.plain, "")
		dr += run(f.dr, f.receiverCopy(b))
	}
	reportDR(b, n, plain, dr)
}

func benchDRCatchUp(b *testing.B, n int) {
	now := time.Now()
	from := now.Add(-2 * time.Hour)
	step := (time.Hour + 50*time.Minute) / time.Duration(n)
	f := newDRFixture(b, n, whisper.DefaultTTL, func(i int) time.Time { return from.Add(time.Duration(i) * step) })
	plainServer := newBenchHushServer(b, f.plain, mailserver.Config{RateLimit: -1})
	drServer := newBenchHushServer(b, f.dr, mailserver.Config{RateLimit: -1})
	run := func(server *benchServer, db string) time.Duration {
		c := newBenchClient(b, benchClientOptions{
			identity: f.receiver, dbPath: db,
			peers:       []*enode.Node{server.node.Enode()},
			mailservers: []Mailserver{server.mailserver()},
		})
		for _, a := range f.authors {
			if _, err := c.store.JoinChat(codec.PublicKeyHex(&a.PublicKey), store.ChatOneToOne); err != nil {
				b.Fatal(err)
			}
		}
		benchWaitFor(b, "connection to the mailserver", func() bool { return c.node.PeerCount() >= 1 })
		b.StartTimer()
		start := time.Now()
		if err := c.mgr.Start(); err != nil {
			b.Fatal(err)
		}
		took := c.drain.waitAdded(b, int64(n)).Sub(start)
		b.StopTimer()
		c.checkIngested(n, true)
		c.close()
		return took
	}
	var plain, dr time.Duration
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		plain += run(plainServer, "")
		dr += run(drServer, f.receiverCopy(b))
	}
	b.ReportMetric(plain.Seconds()/float64(b.N), "plain-s-to-last")
	b.ReportMetric(dr.Seconds()/float64(b.N), "dr-s-to-last")
	reportDR(b, n, plain, dr)
}

// reportDR reports both rates and the double ratchet's as a share of
// plain transit's.
func reportDR(b *testing.B, n int, plain, dr time.Duration) {
	plainRate := float64(n*b.N) / plain.Seconds()
	drRate := float64(n*b.N) / dr.Seconds()
	b.ReportMetric(plainRate, "plain-msgs/s")
	b.ReportMetric(drRate, "dr-msgs/s")
	b.ReportMetric(100*drRate/plainRate, "dr-%-of-plain")
}
