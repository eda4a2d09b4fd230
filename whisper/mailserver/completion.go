package mailserver

import (
	"bytes"
	"fmt"
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
