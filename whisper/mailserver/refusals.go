package mailserver

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// refusalWindow is how long a peer's refusals share one summary line.
const refusalWindow = time.Minute

// maxRefusalPeers bounds the peers with an open window; past it, refusals
// from further peers are summarised together.
const maxRefusalPeers = 1024

// otherPeers is the window shared by peers past maxRefusalPeers.
const otherPeers = "\x00others"

// refusalLog keeps a peer that sends requests the server refuses from
// flooding the log: the first refusal of a peer's window is logged at once
// with its full reason; later ones in the window are only counted, per
// kind, and written as one line when the window ends. A peer refusing
// without pause so costs two lines a minute however fast it sends.
type refusalLog struct {
	log   *slog.Logger
	mu    sync.Mutex
	peers map[string]*refusals
}

// refusals is one peer's open window.
type refusals struct {
	start  time.Time
	counts map[string]int // refusals after the first, by kind
}

func newRefusalLog(log *slog.Logger) *refusalLog {
	return &refusalLog{log: log, peers: map[string]*refusals{}}
}

// note records a refusal of kind (a stable short text) from peer at now;
// detail is the full reason, logged with the request's id when it opens a
// window (only then is requestID's String called).
func (l *refusalLog) note(now time.Time, peerID []byte, requestID fmt.Stringer, kind string, detail error) {
	id := string(peerID)
	l.mu.Lock()
	w := l.peers[id]
	var ended []summary
	if w != nil && now.Sub(w.start) >= refusalWindow {
		ended = append(ended, summary{peer: id, w: w})
		delete(l.peers, id)
		w = nil
	}
	if w == nil && len(l.peers) >= maxRefusalPeers {
		ended = append(ended, l.takeEnded(now, false)...)
		if len(l.peers) >= maxRefusalPeers {
			id = otherPeers
			w = l.peers[id]
		}
	}
	opens := w == nil
	if opens {
		l.peers[id] = &refusals{start: now, counts: map[string]int{}}
	} else {
		w.counts[kind]++
	}
	l.mu.Unlock()

	l.write(ended)
	if opens {
		l.log.Info("request refused", "peer", peerName(id), "request", requestID.String(), "reason", detail,
			"note", "further refusals from this peer are counted for a minute")
	}
}

// flush logs the windows that have ended by now, or all of them.
func (l *refusalLog) flush(now time.Time, all bool) {
	l.mu.Lock()
	ended := l.takeEnded(now, all)
	l.mu.Unlock()
	l.write(ended)
}

type summary struct {
	peer string
	w    *refusals
}

// takeEnded removes the windows that ended by now (or all); l.mu is held.
func (l *refusalLog) takeEnded(now time.Time, all bool) []summary {
	var ended []summary
	for id, w := range l.peers {
		if all || now.Sub(w.start) >= refusalWindow {
			ended = append(ended, summary{peer: id, w: w})
			delete(l.peers, id)
		}
	}
	return ended
}

// write logs a line for each window that counted refusals after its first.
func (l *refusalLog) write(ended []summary) {
	for _, s := range ended {
		total := 0
		var parts []string
		for _, kind := range slices.Sorted(maps.Keys(s.w.counts)) {
			n := s.w.counts[kind]
			total += n
			parts = append(parts, fmt.Sprintf("%s=%d", kind, n))
		}
		if total == 0 {
			continue
		}
		l.log.Info("more requests refused", "peer", peerName(s.peer), "count", total,
			"kinds", strings.Join(parts, ", "), "since", s.w.start.UTC().Format(time.TimeOnly))
	}
}

func peerName(id string) string {
	if id == otherPeers {
		return "others"
	}
	return shortID([]byte(id))
}
