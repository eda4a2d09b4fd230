package mailformat

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// BloomLength is the size of a Whisper bloom filter.
const BloomLength = 64

// Binary (geth / status-go legacy) request layout: lower(4) ‖ upper(4) ‖
// bloom(64) [‖ limit(4) [‖ legacy cursor(40)]]. The legacy cursor was a
// whole 40-byte archive key (cursor ‖ topic).
const (
	binaryTimesLength        = 8
	binaryBloomLength        = binaryTimesLength + BloomLength
	binaryLimitLength        = binaryBloomLength + 4
	binaryLegacyCursorLength = binaryLimitLength + 40
)

// Request is a history query.
type Request struct {
	Lower, Upper uint32 // unix seconds, inclusive send-time range
	Bloom        []byte // 64 bytes
	Limit        uint32 // 0 = server default (2000)
	Cursor       []byte // nil or 36 bytes (BE32 sent ‖ envelope hash)
	Batch        bool   // hush always sends false
}

// Format is the wire layout of a request payload.
type Format int

const (
	// FormatStatus is status-go's RLP list [Lower, Upper, Bloom, Limit, Cursor, Batch].
	FormatStatus Format = iota
	// FormatGeth is geth's binary lower ‖ upper ‖ bloom (status-go's legacy
	// fallback adds an optional limit, which decoding keeps).
	FormatGeth
)

func (f Format) String() string {
	switch f {
	case FormatStatus:
		return "status"
	case FormatGeth:
		return "geth"
	default:
		return fmt.Sprintf("Format(%d)", int(f))
	}
}

// statusRequest mirrors status-go's RLP layout; field order is the wire order.
type statusRequest struct {
	Lower  uint32
	Upper  uint32
	Bloom  []byte
	Limit  uint32
	Cursor []byte
	Batch  bool
}

// EncodeRequest writes r in format f. The geth format has no room for
// Limit, Cursor or Batch and drops them.
func EncodeRequest(r Request, f Format) []byte {
	if f == FormatGeth {
		out := make([]byte, binaryBloomLength)
		binary.BigEndian.PutUint32(out[0:4], r.Lower)
		binary.BigEndian.PutUint32(out[4:8], r.Upper)
		copy(out[8:], r.Bloom)
		return out
	}
	cursor := r.Cursor
	if cursor == nil {
		cursor = []byte{}
	}
	out, err := rlp.EncodeToBytes(statusRequest{
		Lower: r.Lower, Upper: r.Upper, Bloom: r.Bloom, Limit: r.Limit, Cursor: cursor, Batch: r.Batch,
	})
	if err != nil {
		// Only unsupported Go types make the RLP encoder fail; these are fixed.
		panic(fmt.Sprintf("encode request: %v", err))
	}
	return out
}

// DecodeRequest reads a request payload in either format. The RLP form must
// carry all six items; otherwise the binary form is tried: 8 bytes (times
// only, all topics), 72 (with bloom), 76 (with limit) or 116 (with a legacy
// 40-byte cursor, which status-go never honoured either and is ignored).
func DecodeRequest(payload []byte) (Request, Format, error) {
	var sr statusRequest
	rlpErr := rlp.DecodeBytes(payload, &sr)
	if rlpErr == nil {
		r := Request{Lower: sr.Lower, Upper: sr.Upper, Bloom: sr.Bloom, Limit: sr.Limit, Batch: sr.Batch}
		if len(sr.Cursor) > 0 {
			r.Cursor = sr.Cursor
		}
		if err := CheckRequest(r); err != nil {
			return Request{}, FormatStatus, fmt.Errorf("decode request: %w", err)
		}
		return r, FormatStatus, nil
	}

	r := Request{}
	switch len(payload) {
	case binaryTimesLength:
		r.Bloom = bytes.Repeat([]byte{0xff}, BloomLength)
	case binaryBloomLength, binaryLimitLength, binaryLegacyCursorLength:
		r.Bloom = append([]byte(nil), payload[binaryTimesLength:binaryBloomLength]...)
		if len(payload) >= binaryLimitLength {
			r.Limit = binary.BigEndian.Uint32(payload[binaryBloomLength:binaryLimitLength])
		}
	default:
		return Request{}, 0, fmt.Errorf("decode request: not RLP (%v) and %d bytes is no binary layout", rlpErr, len(payload))
	}
	r.Lower = binary.BigEndian.Uint32(payload[0:4])
	r.Upper = binary.BigEndian.Uint32(payload[4:8])
	return r, FormatGeth, nil
}

// CheckRequest refuses a request whose bloom or cursor has the wrong size,
// the fields a server relies on; DecodeRequest applies it to what it reads.
func CheckRequest(r Request) error {
	if len(r.Bloom) != BloomLength {
		return fmt.Errorf("bloom is %d bytes, want %d", len(r.Bloom), BloomLength)
	}
	if r.Cursor != nil && len(r.Cursor) != CursorLength {
		return fmt.Errorf("cursor is %d bytes, want 0 or %d", len(r.Cursor), CursorLength)
	}
	return nil
}
