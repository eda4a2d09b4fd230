package mailformat

import "encoding/binary"

// CursorLength is the size of a paging cursor: BE32(sent) ‖ envelope hash.
const CursorLength = 36

// Cursor is the cursor that names the envelope sent at sent (Expiry − TTL)
// with the given hash. Cursors sort by send second, then hash, the order
// in which a server answers a request; a page that stops early carries the
// cursor of the next envelope it would have sent.
func Cursor(sent uint32, hash [32]byte) []byte {
	c := make([]byte, CursorLength)
	binary.BigEndian.PutUint32(c[0:4], sent)
	copy(c[4:], hash[:])
	return c
}

// CursorSent is the send second a cursor names: a page that ends with it
// has delivered every matching envelope sent before that second. ok is
// false for anything but a CursorLength-byte cursor.
func CursorSent(cursor []byte) (sent uint32, ok bool) {
	if len(cursor) != CursorLength {
		return 0, false
	}
	return binary.BigEndian.Uint32(cursor[0:4]), true
}
