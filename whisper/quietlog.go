package whisper

import (
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// quietLogEvery is how often one kind of peer-caused warning is logged;
// the lines in between are counted and the count goes with the next line.
const quietLogEvery = 10 * time.Second

// quietLog writes warnings that a peer can provoke at will, at most one
// line per kind per quietLogEvery, so that a flood costs a line, not a
// disk.
type quietLog struct {
	log   *slog.Logger
	mu    sync.Mutex
	kinds map[string]*quietKind
}

type quietKind struct {
	last       time.Time
	suppressed int
}

func newQuietLog(log *slog.Logger) *quietLog {
	return &quietLog{log: log, kinds: make(map[string]*quietKind)}
}

// note logs msg (with the peer and args) unless a line of the same kind
// went out less than quietLogEvery ago.
func (q *quietLog) note(kind string, peer enode.ID, msg string, args ...any) {
	now := time.Now()
	q.mu.Lock()
	k := q.kinds[kind]
	if k == nil {
		k = &quietKind{}
		q.kinds[kind] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < quietLogEvery {
		k.suppressed++
		q.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.last, k.suppressed = now, 0
	q.mu.Unlock()
	args = append(args, "peer", peer.TerminalString())
	if suppressed > 0 {
		args = append(args, "similar_since_last_line", suppressed)
	}
	q.log.Warn(msg, args...)
}
