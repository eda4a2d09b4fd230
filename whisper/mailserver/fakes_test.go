package mailserver

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// memArchive is an in-memory Archive honouring the interface contract,
// including reuse of the slices handed to the scan callback (so a server
// that keeps them without copying is caught).
type memArchive struct {
	mu    sync.Mutex
	keys  [][]byte // sorted
	raws  map[string][]byte
	puts  []int // size of each ArchivePut call
	scans int
}

func newMemArchive() *memArchive { return &memArchive{raws: map[string][]byte{}} }

func (a *memArchive) ArchivePut(keys, raws [][]byte) error {
	if len(keys) != len(raws) {
		return errors.New("keys and raws differ in length")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.puts = append(a.puts, len(keys))
	for i, k := range keys {
		if _, ok := a.raws[string(k)]; ok {
			continue
		}
		a.raws[string(k)] = bytes.Clone(raws[i])
		at := sort.Search(len(a.keys), func(j int) bool { return bytes.Compare(a.keys[j], k) >= 0 })
		a.keys = append(a.keys, nil)
		copy(a.keys[at+1:], a.keys[at:])
		a.keys[at] = bytes.Clone(k)
	}
	return nil
}

func (a *memArchive) ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scans++
	for _, k := range a.keys {
		if len(keys) == limit {
			break
		}
		if bytes.Compare(k, from) < 0 || bytes.Compare(k, to) >= 0 {
			continue
		}
		if topics != nil && !slices.ContainsFunc(topics, func(t []byte) bool { return bytes.HasSuffix(k, t) }) {
			continue
		}
		keys = append(keys, bytes.Clone(k))
		raws = append(raws, bytes.Clone(a.raws[string(k)]))
	}
	return keys, raws, nil
}

func (a *memArchive) ArchiveTopics() ([][]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var topics [][]byte
	for _, k := range a.keys {
		if len(k) < 4 || seen[string(k[len(k)-4:])] {
			continue
		}
		seen[string(k[len(k)-4:])] = true
		topics = append(topics, bytes.Clone(k[len(k)-4:]))
	}
	return topics, nil
}

func (a *memArchive) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}

func (a *memArchive) putSizes() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int(nil), a.puts...)
}

// sent is one message the server sent to a peer.
type sent struct {
	peer       string
	envelope   common.Hash // code 127
	completion []byte      // code 125 payload; nil for a 127
}

// recordingSender records everything sent, in order. hold, when set, makes
// SendArchived to that peer wait until release is closed; panicFor makes it panic.
type recordingSender struct {
	mu       sync.Mutex
	log      []sent
	hold     string
	release  chan struct{}
	panicFor string
	// afterCompletion, when set, runs after each completion is recorded,
	// as a client that asks again the moment it reads one.
	afterCompletion func(peer string, payload []byte)
}

func (r *recordingSender) SendArchived(peerID []byte, raw []byte) error {
	if string(peerID) == r.panicFor {
		panic("test sender exploded")
	}
	if r.release != nil && string(peerID) == r.hold {
		<-r.release
	}
	// Like a peer: what is sent must decode as an envelope.
	var env whisperv6.Envelope
	if err := rlp.DecodeBytes(raw, &env); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, sent{peer: string(peerID), envelope: crypto.Keccak256Hash(raw)})
	return nil
}

func (r *recordingSender) SendCompletion(peerID []byte, payload []byte) error {
	r.mu.Lock()
	r.log = append(r.log, sent{peer: string(peerID), completion: bytes.Clone(payload)})
	after := r.afterCompletion
	r.mu.Unlock()
	if after != nil {
		after(string(peerID), payload)
	}
	return nil
}

// take returns and forgets what was sent to peer.
func (r *recordingSender) take(peer string) (envelopes []common.Hash, completions []mailformat.Completion, raw [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rest []sent
	for _, s := range r.log {
		switch {
		case s.peer != peer:
			rest = append(rest, s)
		case s.completion == nil:
			envelopes = append(envelopes, s.envelope)
		default:
			raw = append(raw, s.completion)
			c, err := mailformat.DecodeCompletion(s.completion)
			if err != nil {
				c.Err = "UNDECODABLE: " + err.Error()
			}
			completions = append(completions, c)
		}
	}
	r.log = rest
	return envelopes, completions, raw
}

func (r *recordingSender) completionsTo(peer string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.log {
		if s.peer == peer && s.completion != nil {
			n++
		}
	}
	return n
}

// testClock is a settable Config.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// symKeyFromPassword derives a key the way whisperv6 does for passwords.
func symKeyFromPassword(t testing.TB, password string) []byte {
	t.Helper()
	w := whisperv6.New(nil)
	id, err := w.AddSymKeyFromPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	key, err := w.GetSymKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// sealRequest builds a code-126 request envelope as a client would, then
// round-trips it through RLP as the wire does.
// sealTimeout is the most seconds a test request may spend on its PoW:
// whisperv6 stops at the target, so this only matters on a slow machine
// (a request with a day's TTL needs about 2^16 hashes at the minimum PoW).
const sealTimeout = 60

func sealRequest(t testing.TB, key []byte, src *ecdsa.PrivateKey, payload []byte) *whisperv6.Envelope {
	t.Helper()
	return sealRequestTTL(t, key, src, payload, 50)
}

func sealRequestTTL(t testing.TB, key []byte, src *ecdsa.PrivateKey, payload []byte, ttl uint32) *whisperv6.Envelope {
	t.Helper()
	params := &whisperv6.MessageParams{
		KeySym: key, Src: src, TTL: ttl, PoW: DefaultMinPoW, WorkTime: sealTimeout, Payload: payload,
	}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		t.Fatal(err)
	}
	return wireCopy(t, env)
}

func wireCopy(t testing.TB, env *whisperv6.Envelope) *whisperv6.Envelope {
	t.Helper()
	raw, err := rlp.EncodeToBytes(env)
	if err != nil {
		t.Fatal(err)
	}
	var out whisperv6.Envelope
	if err := rlp.DecodeBytes(raw, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// chatEnvelope is a real signed public-chat envelope on topic(name), sent
// at the given second.
func chatEnvelope(t testing.TB, name string, sentAt uint32, text string) *whisperv6.Envelope {
	t.Helper()
	params := &whisperv6.MessageParams{
		KeySym: chatKey(name), Src: alice(t), Topic: topicOf(name), TTL: 10, Payload: []byte(text),
	}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		t.Fatal(err)
	}
	env.Expiry = sentAt + env.TTL // before anything caches the hash
	return wireCopy(t, env)
}

// Deriving password keys is slow (65356 rounds); chat envelopes only need
// a key of the right size, which need not be the real one.
func chatKey(name string) []byte {
	return crypto.Keccak256([]byte("test key for " + name))
}

func alice(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("alice")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
