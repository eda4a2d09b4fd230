package mailformat

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errorPrefix starts a failed-request reply: "ERROR=" ‖ requestID ‖ text.
const errorPrefix = "ERROR="

// Completion is the code-125 reply.
type Completion struct {
	RequestID    [32]byte
	LastEnvelope [32]byte // zero when nothing matched
	Cursor       []byte   // nil when the range is exhausted, else 36 bytes
	Err          string   // non-empty for an "ERROR=" reply
}

// EncodeCompletion gives the raw reply bytes: for an error
// "ERROR=" ‖ requestID ‖ Err, else requestID ‖ lastEnvelope [‖ cursor]
// (64 or 100 bytes). The sender wraps them as an RLP byte string.
func EncodeCompletion(c Completion) []byte {
	if c.Err != "" {
		out := make([]byte, 0, len(errorPrefix)+32+len(c.Err))
		out = append(out, errorPrefix...)
		out = append(out, c.RequestID[:]...)
		return append(out, c.Err...)
	}
	out := make([]byte, 0, 64+len(c.Cursor))
	out = append(out, c.RequestID[:]...)
	out = append(out, c.LastEnvelope[:]...)
	return append(out, c.Cursor...)
}

// DecodeCompletion parses a reply as status clients do: an "ERROR=" prefix
// followed by at least a request id is a failure; otherwise it must be
// exactly 32 (request id), 64 (+ last envelope hash) or 100 bytes
// (+ cursor). Status clients drop the peer on fewer than 32 or more than
// 100 bytes; lengths in between are refused here too, as no server sends them.
func DecodeCompletion(b []byte) (Completion, error) {
	var c Completion
	if len(b) < 32 {
		return c, fmt.Errorf("decode completion: %d bytes, need at least 32", len(b))
	}
	if len(b) >= len(errorPrefix)+32 && bytes.HasPrefix(b, []byte(errorPrefix)) {
		copy(c.RequestID[:], b[len(errorPrefix):])
		c.Err = string(b[len(errorPrefix)+32:])
		if c.Err == "" {
			c.Err = "mailserver gave no reason"
		}
		return c, nil
	}
	switch len(b) {
	case 32, 64, 64 + CursorLength:
	default:
		return c, fmt.Errorf("decode completion: %d bytes, want 32, 64 or 100", len(b))
	}
	copy(c.RequestID[:], b[:32])
	if len(b) >= 64 {
		copy(c.LastEnvelope[:], b[32:64])
	}
	if len(b) == 64+CursorLength {
		c.Cursor = append([]byte(nil), b[64:]...)
	}
	return c, nil
}

// RangeTooLongText starts the refusal of a request whose time range is
// wider than the server allows. hush clients look for it to split their
// window; the text is kept as it has always been.
const RangeTooLongText = "time range too long"

// RangeTooLongReason is the refusal text for a request spanning span when
// the server plans for at most limit: "time range too long: 604880s, at
// most 604800s". Both are whole seconds; IsRangeTooLong reads them back.
func RangeTooLongReason(span, limit uint64) string {
	return fmt.Sprintf("%s: %ds, at most %ds", RangeTooLongText, span, limit)
}

// IsRangeTooLong reports whether reason, the text of an ERROR= completion
// or an error that quotes one, refuses a request for asking too long a
// time range, and the longest range the server says it takes. limit is 0
// when the refusal states none (a server that words it otherwise); a
// client should then halve its window. A hush server accepts ranges a
// little longer than the limit it states (its RangeTolerance), so windows
// of exactly limit plus a few seconds of drift margin are not refused.
func IsRangeTooLong(reason string) (limit time.Duration, ok bool) {
	at := strings.Index(reason, RangeTooLongText)
	if at < 0 {
		return 0, false
	}
	rest := reason[at+len(RangeTooLongText):]
	const most = "at most "
	i := strings.Index(rest, most)
	if i < 0 {
		return 0, true
	}
	digits := rest[i+len(most):]
	end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 || digits[end] != 's' {
		return 0, true
	}
	secs, err := strconv.ParseUint(digits[:end], 10, 32)
	if err != nil || secs == 0 {
		return 0, true
	}
	return time.Duration(secs) * time.Second, true
}
