package session

import (
	"errors"
	"math"
	"time"

	"hush/whisper/mailformat"
)

// span is a range of send times in whole unix seconds, both ends included.
// All range arithmetic is done on int64 and clamped only when it becomes a
// request's uint32 bounds, so a message dated 1970 or year 287168 cannot
// make a bound wrap around.
type span struct{ from, to int64 }

func (s span) width() int64 { return s.to - s.from }

// requestSlack is what a request adds around a span: driftSlack before it
// and upperMargin after it. A span therefore fits a server's range limit
// only when it is that much narrower.
const requestSlack = int64((driftSlack + upperMargin) / time.Second)

// minRange is the narrowest range limit the syncer halves down to; a server
// refusing even that is refused as broken.
const minRange = time.Hour

// bounds are the request bounds of s, clamped to what a request can carry.
func (s span) bounds() (lower, upper uint32) {
	return clampUnix(s.from - int64(driftSlack/time.Second)), clampUnix(s.to + int64(upperMargin/time.Second))
}

func clampUnix(t int64) uint32 {
	return uint32(min(max(t, 0), math.MaxUint32))
}

// spanWidth is the widest span whose request fits a server that takes
// ranges up to maxRange.
func spanWidth(maxRange time.Duration) int64 {
	return max(int64(maxRange/time.Second)-requestSlack, 1)
}

// split cuts s into spans of at most width seconds that share no second,
// oldest first or newest first.
func split(s span, width int64, newestFirst bool) []span {
	if s.to < s.from {
		return nil
	}
	width = max(width, 1)
	var out []span
	if newestFirst {
		for to := s.to; to >= s.from; {
			from := max(s.from, to-width)
			out = append(out, span{from, to})
			to = from - 1
		}
		return out
	}
	for from := s.from; from <= s.to; {
		to := min(s.to, from+width)
		out = append(out, span{from, to})
		from = to + 1
	}
	return out
}

// rangeRefused reports whether err is a server's refusal of a request's time
// range ("time range too long: 604880s, at most 604800s"), and the limit it
// names (0 when it names none).
func rangeRefused(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	return mailformat.IsRangeTooLong(err.Error())
}

// narrower is the range limit to try after a refusal at current that named
// limit stated: what the server says if that is narrower, else half.
func narrower(current, stated time.Duration) time.Duration {
	if stated > 0 && stated < current {
		return stated
	}
	return current / 2
}

var errNoRange = errors.New("mailserver refuses even an hour of history")
