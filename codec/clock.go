package codec

import (
	"math"
	"time"
)

// Clock values follow SR (utils/clocks.cljs): milliseconds times 100, so the
// last two digits count posts within one millisecond.
const (
	clockPerMilli = 100
	maxClockAhead = 31 * 24 * time.Hour
)

// FutureWindow is how far ahead of the receiver's own time a received clock
// or timestamp may be and still be taken as written. A sender whose clock
// runs a little fast is honest; SR's 31-day bound lets one message sort below
// everything written for a month and drag every reader's clock with it.
const FutureWindow = 2 * time.Minute

// maxTimestampAge bounds how far a message's timestamp may lie before the
// envelope that carried it. A failed message resent much later keeps its
// first timestamp, so this is generous; it only catches absurd values.
const maxTimestampAge = 365 * 24 * time.Hour

// NextClock gives the clock of a message sent now in a chat whose highest
// known clock is last: max(last, now_ms*100) + 1.
func NextClock(last int64, now time.Time) int64 {
	c := max(last, ClockAt(now))
	if c == math.MaxInt64 {
		return c
	}
	return c + 1
}

// ClockAt is the clock value of a moment: unix milliseconds times 100.
func ClockAt(t time.Time) int64 { return t.UnixMilli() * clockPerMilli }

// ReceivedClock gives a chat's highest clock after receiving a message with
// clock msg: max(msg, last), but never beyond MaxClock(now), so one far-future
// clock cannot push every later message of the chat out of order.
func ReceivedClock(last, msg int64, now time.Time) int64 {
	return min(max(msg, last), MaxClock(now))
}

// MaxClock is the largest clock accepted at now: (now_ms + 31 days) * 100.
func MaxClock(now time.Time) int64 {
	return (now.UnixMilli() + maxClockAhead.Milliseconds()) * clockPerMilli
}

// OrderClock is the clock a received message is filed and sorted under. A
// clock up to FutureWindow ahead of now is kept. A later one is clamped to
// now's own clock value: the message sorts as if it had just arrived, and
// since the receiver's clock follows the filed value it is never pulled past
// the present. clamped reports whether msg was changed.
func OrderClock(msg int64, now time.Time) (clock int64, clamped bool) {
	if msg > ClockAt(now.Add(FutureWindow)) {
		return ClockAt(now), true
	}
	return msg, false
}

// ShownTimestamp is the time (unix ms) a received message is shown with. The
// sender's timestamp is trusted only near the envelope that carried it: no
// later than FutureWindow after the envelope was sent (or after now, when
// the envelope time is unknown or itself in the future) and no more than a
// year before. Outside that, or when the sender gave none, the envelope's
// time stands in and clamped is true (unless the timestamp was simply nil).
func ShownTimestamp(ts int64, sent, now time.Time) (ms int64, clamped bool) {
	ref := sent
	if ref.IsZero() || ref.After(now) {
		ref = now
	}
	if ts == 0 {
		return ref.UnixMilli(), false
	}
	if ts > ref.Add(FutureWindow).UnixMilli() || ts < ref.Add(-maxTimestampAge).UnixMilli() {
		return ref.UnixMilli(), true
	}
	return ts, false
}
