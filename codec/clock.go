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

// NextClock gives the clock of a message sent now in a chat whose highest
// known clock is last: max(last, now_ms*100) + 1.
func NextClock(last int64, now time.Time) int64 {
	c := max(last, now.UnixMilli()*clockPerMilli)
	if c == math.MaxInt64 {
		return c
	}
	return c + 1
}

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
