// Package droplog logs input that was dropped without letting its sender
// decide how much is written. A peer can make a node drop thousands of
// messages a second; one line each would fill the disk. A Log writes the
// first drop of each reason in a window at once, with its details, counts
// the rest, and writes one summary line with the counts when the window
// is over.
//
// A Log is meant per source (one peer): a flood from one peer then cannot
// hide the first drop of another. It is safe for concurrent use.
package droplog

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultWindow is the summary interval most callers want.
const DefaultWindow = time.Minute

// maxReasons bounds the reasons kept per window; more are counted as
// "other reasons". Reasons should be constant strings, never input.
const maxReasons = 32

const otherReasons = "other reasons"

// Log counts drops by reason and writes at most one line per reason and
// one summary line per window.
type Log struct {
	log    *slog.Logger
	window time.Duration
	now    func() time.Time // replaced by tests

	mu     sync.Mutex
	start  time.Time      // start of the current window; zero before the first drop
	counts map[string]int // drops per reason in the window, logged or not
	n      int            // drops in the window
	quiet  int            // drops in the window that were counted, not logged
	total  uint64         // drops ever
}

// New returns a Log writing to log (which should name the source, e.g.
// log.With("peer", id)) with a summary per window (0 → DefaultWindow).
func New(log *slog.Logger, window time.Duration) *Log {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Log{log: log, window: window, now: time.Now, counts: make(map[string]int)}
}

// Drop records one drop for reason. The first of its reason in the window
// is logged at once as a warning, with args (slog key-value pairs); the
// others are only counted. It returns how many drops, of any reason, the
// window holds so far, so a caller can cut off a source past a threshold.
func (l *Log) Drop(reason string, args ...any) int {
	l.mu.Lock()
	now := l.now()
	var summary []any
	if !l.start.IsZero() && now.Sub(l.start) >= l.window {
		summary = l.closeWindow()
	}
	if l.start.IsZero() {
		l.start = now
	}
	if _, known := l.counts[reason]; !known && len(l.counts) >= maxReasons {
		reason = otherReasons
	}
	l.counts[reason]++
	first := l.counts[reason] == 1
	if !first {
		l.quiet++
	}
	l.n++
	l.total++
	inWindow := l.n
	l.mu.Unlock()

	if summary != nil {
		l.log.Warn("dropped input (summary)", summary...)
	}
	if first {
		l.log.Warn("dropped "+reason, args...)
	}
	return inWindow
}

// Flush writes the summary of the current window now, if some drops in it
// were not logged, and starts a new window. Call it when the source goes
// away.
func (l *Log) Flush() {
	if l == nil {
		return
	}
	l.mu.Lock()
	summary := l.closeWindow()
	l.mu.Unlock()
	if summary != nil {
		l.log.Warn("dropped input (summary)", summary...)
	}
}

// Total is the number of drops ever recorded.
func (l *Log) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// closeWindow ends the window and returns the summary line's attributes,
// or nil when every drop of the window was already logged. Callers hold
// l.mu.
func (l *Log) closeWindow() []any {
	var summary []any
	if l.quiet > 0 {
		reasons := make([]string, 0, len(l.counts))
		for r := range l.counts {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s: %d", r, l.counts[r])
		}
		summary = []any{
			"drops", l.n,
			"not_logged", l.quiet,
			"over", l.now().Sub(l.start).Round(time.Second).String(),
			"reasons", strings.Join(parts, "; "),
		}
	}
	l.start = time.Time{}
	l.n, l.quiet = 0, 0
	clear(l.counts)
	return summary
}
