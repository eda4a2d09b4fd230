package mailserver

import (
	"fmt"
	"math"
	"testing"
	"time"

	"hush/whisper/mailformat"
)

const week = uint32(DefaultMaxRange / time.Second)

// A client's week-long window widened by drift margins is served; past the
// tolerance the refusal names the span and the limit in the form clients
// read back with mailformat.IsRangeTooLong.
func TestServeRangeTolerance(t *testing.T) {
	h := newHarness(t, Config{})
	h.store(chatEnvelope(t, "status", baseTime-10, "recent"))
	tolerance := uint32(RangeTolerance / time.Second)
	for _, span := range []uint32{week, week + 80, week + tolerance} {
		_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - span, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
		if c.Err != "" || len(got) != 1 {
			t.Fatalf("span %ds: %d envelopes, %q", span, len(got), c.Err)
		}
	}
	span := week + tolerance + 1
	req := sealRequest(t, h.key, h.client, mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - span, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	want := fmt.Sprintf("time range too long: %ds, at most %ds", span, week)
	h.refused("peer-a", req, want)
	if limit, ok := mailformat.IsRangeTooLong("request history: mailserver refused request: " + want); !ok || limit != DefaultMaxRange {
		t.Fatalf("IsRangeTooLong(%q) = %v, %v", want, limit, ok)
	}
}

// Ranges from absurd bounds are refused with a reason and never wrap.
func TestServeAbsurdRanges(t *testing.T) {
	h := newHarness(t, Config{})
	// The clock moves on after each refusal: the cases rest on one
	// ceiling, now+margin, so they run at a fixed now.
	now := h.clock.Now()
	ceiling := uint32(now.Unix()) + upperMargin
	for _, tc := range []struct {
		lower, upper uint32
		want         string
	}{
		{baseTime, baseTime - 1, fmt.Sprintf("invalid time range: lower %d above upper %d", baseTime, baseTime-1)},
		{math.MaxUint32, 1, fmt.Sprintf("invalid time range: lower %d above upper 1", uint32(math.MaxUint32))},
		// Upper 0 and uppers past now are cut to now+margin first.
		{math.MaxUint32, 0, fmt.Sprintf("invalid time range: lower %d above upper %d", uint32(math.MaxUint32), ceiling)},
		{ceiling + 1, math.MaxUint32, fmt.Sprintf("invalid time range: lower %d above upper %d", ceiling+1, ceiling)},
		{0, 0, fmt.Sprintf("time range too long: %ds, at most %ds", ceiling, week)},
		{0, math.MaxUint32, fmt.Sprintf("time range too long: %ds, at most %ds", ceiling, week)},
		{1, 2 * week, fmt.Sprintf("time range too long: %ds, at most %ds", 2*week-1, week)},
	} {
		h.clock.mu.Lock()
		h.clock.now = now
		h.clock.mu.Unlock()
		req := sealRequest(t, h.key, h.client, mailformat.EncodeRequest(mailformat.Request{Lower: tc.lower, Upper: tc.upper, Bloom: statusBloom()}, mailformat.FormatStatus))
		h.refused(fmt.Sprint("peer-", tc.lower, tc.upper), req, tc.want)
	}
	// Lower = Upper is one second, served.
	_, _, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	if c.Err != "" {
		t.Fatalf("one-second range: %q", c.Err)
	}
}

func TestServeMaxRangeOff(t *testing.T) {
	h := newHarness(t, Config{MaxRange: -1})
	h.store(chatEnvelope(t, "status", 1000, "very old"))
	_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: 0, Upper: 0, Bloom: statusBloom()}, mailformat.FormatStatus))
	if c.Err != "" || len(got) != 1 {
		t.Fatalf("%d envelopes, %q", len(got), c.Err)
	}
}
