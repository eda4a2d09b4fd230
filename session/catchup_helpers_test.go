package session

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
	"hush/whisper/mailserver"
)

// tcpProxy sits between a client and a server node on 127.0.0.1 so a test
// can cut the connection and let it come back, as a network does. The
// client dials the server's key at the proxy's port; RLPx passes through.
type tcpProxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	server *enode.Node

	mu       sync.Mutex
	open     bool
	conns    []net.Conn
	accepted []time.Time // when each forwarded connection was made
	wg       sync.WaitGroup
}

func newTCPProxy(t testing.TB, server *enode.Node) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, target: fmt.Sprintf("127.0.0.1:%d", server.TCP()), server: server, open: true}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// enode is the server's identity at the proxy's address.
func (p *tcpProxy) enode() *enode.Node {
	return enode.NewV4(p.server.Pubkey(), net.IP{127, 0, 0, 1}, p.ln.Addr().(*net.TCPAddr).Port, 0)
}

func (p *tcpProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		open := p.open
		p.mu.Unlock()
		if !open {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.accepted = append(p.accepted, time.Now())
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// cut closes every forwarded connection and refuses new ones.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	p.open = false
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// restore lets connections through again.
func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.open = true
	p.mu.Unlock()
}

// lastAccepted is when the newest connection was forwarded.
func (p *tcpProxy) lastAccepted() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.accepted) == 0 {
		return time.Time{}
	}
	return p.accepted[len(p.accepted)-1]
}

// errDiskFull is what SQLite says when the disk is full.
var errDiskFull = errors.New("database or disk is full")

// faultStore is the real store whose message writes fail while fail is
// set, as on a full disk.
type faultStore struct {
	Store
	fail   atomic.Bool
	failed atomic.Int64 // writes refused
}

func (f *faultStore) AddMessages(ms []store.Message) ([]bool, error) {
	if f.fail.Load() {
		f.failed.Add(1)
		return nil, fmt.Errorf("add messages: %w", errDiskFull)
	}
	return f.Store.AddMessages(ms)
}

func (f *faultStore) AddMessage(m store.Message) (bool, error) {
	if f.fail.Load() {
		f.failed.Add(1)
		return false, fmt.Errorf("add message: %w", errDiskFull)
	}
	return f.Store.AddMessage(m)
}

// archivedMessage is one message a test wrote into a mailserver archive.
type archivedMessage struct {
	text string
	sent time.Time
	hash [32]byte
}

// archiveTexts writes n signed messages "prefix 0000"… into a mailserver
// archive, sent evenly over [from, to], and returns them oldest first.
func archiveTexts(t testing.TB, archive *store.Store, author *ecdsa.PrivateKey, chat, prefix string, n int, from, to time.Time) []archivedMessage {
	t.Helper()
	key := codec.SymKeyFromPassword(chat)
	topic := codec.TopicFor(chat)
	step := to.Sub(from) / time.Duration(max(n, 1))
	keys, raws := make([][]byte, n), make([][]byte, n)
	out := make([]archivedMessage, n)
	// Sealing signs and encrypts each one: spread it over the cores.
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for w := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += runtime.GOMAXPROCS(0) {
				sent := from.Add(time.Duration(i) * step)
				text := fmt.Sprintf("%s %04d", prefix, i)
				payload, err := codec.EncodeMessage(codec.Message{
					Text: text, ContentType: codec.ContentTypeText,
					MessageType: codec.MessageTypePublic, Clock: codec.NextClock(int64(i), sent),
					Timestamp: sent.UnixMilli(), ChatID: chat,
				})
				if err != nil {
					errs <- err
					return
				}
				params := &whisperv6.MessageParams{TTL: 10, Src: author, KeySym: key, Topic: whisperv6.TopicType(topic), Payload: payload}
				msg, err := whisperv6.NewSentMessage(params)
				if err != nil {
					errs <- err
					return
				}
				env, err := msg.Wrap(params)
				if err != nil {
					errs <- err
					return
				}
				env.Expiry = uint32(sent.Unix()) + env.TTL
				raw, err := rlp.EncodeToBytes(env)
				if err != nil {
					errs <- err
					return
				}
				keys[i] = mailserver.Key(uint32(sent.Unix()), env.Hash(), topic)
				raws[i] = raw
				out[i] = archivedMessage{text: text, sent: sent, hash: env.Hash()}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	// In chunks: one transaction of 10,000 envelopes is fine, but keep
	// the writer's lock short for a server that is already serving.
	for i := 0; i < len(keys); i += 1000 {
		j := min(i+1000, len(keys))
		if err := archive.ArchivePut(keys[i:j], raws[i:j]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// progress returns the SyncProgress events that cover chat.
func (r *recorder) progress(chat string) []SyncProgress {
	var out []SyncProgress
	for _, ev := range r.all() {
		if p, ok := ev.(SyncProgress); ok && slices.Contains(p.ChatIDs, chat) {
			out = append(out, p)
		}
	}
	return out
}

// syncDone reports whether a request covering chat finished, how, and
// after how many new messages.
func (r *recorder) syncEnded(chat string) (ended bool, errText string, messages int) {
	for _, p := range r.progress(chat) {
		if p.Done || p.Err != "" {
			ended, errText, messages = true, p.Err, p.Messages
		}
	}
	return ended, errText, messages
}

// countEnded is how many requests covering chat ended (done or failed).
func (r *recorder) countEnded(chat string) int {
	n := 0
	for _, p := range r.progress(chat) {
		if p.Done || p.Err != "" {
			n++
		}
	}
	return n
}

// notices returns the red notices shown.
func (r *recorder) errNotices() []string {
	var out []string
	for _, ev := range r.all() {
		if n, ok := ev.(Notice); ok && n.Err {
			out = append(out, n.Text)
		}
	}
	return out
}

// has reports whether some record's message starts with msg and, if attr
// is not empty, carries attr=value.
func (l *logRecorder) has(msg, attr, value string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if !strings.HasPrefix(r.Message, msg) {
			continue
		}
		if attr == "" {
			return true
		}
		found := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == attr && a.Value.String() == value {
				found = true
				return false
			}
			return true
		})
		if found {
			return true
		}
	}
	return false
}

// ints returns the integer attribute key of every record whose message
// starts with msg, in order.
func (l *logRecorder) ints(msg, key string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, r := range l.records {
		if !strings.HasPrefix(r.Message, msg) {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				if a.Value.Kind() == slog.KindInt64 {
					out = append(out, a.Value.Int64())
				} else {
					out = append(out, int64(a.Value.Uint64()))
				}
				return false
			}
			return true
		})
	}
	return out
}

func (l *logRecorder) dump(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		var b strings.Builder
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		t.Logf("%s %s%s", r.Time.Format("15:04:05.000"), r.Message, b.String())
	}
}
