package mailserver

import "encoding/binary"

// KeyLength is the size of an archive key: BE32(sent) ‖ envelope hash ‖ topic.
const KeyLength = 40

// CursorLength is the size of a paging cursor: the first 36 bytes of a key.
const CursorLength = 36

// Key is the archive key of an envelope sent at sent (Expiry − TTL) with
// the given hash and topic. Keys sort by send second, then hash, which is
// the order requests are answered in.
func Key(sent uint32, hash [32]byte, topic [4]byte) []byte {
	k := make([]byte, KeyLength)
	binary.BigEndian.PutUint32(k[0:4], sent)
	copy(k[4:36], hash[:])
	copy(k[36:40], topic[:])
	return k
}

// BloomMatch reports whether every bit set in sample is also set in
// filter, the rule by which a request bloom selects an envelope topic's
// bloom. Anything but two 64-byte blooms never matches.
func BloomMatch(filter, sample []byte) bool {
	if len(filter) != BloomLength || len(sample) != BloomLength {
		return false
	}
	for i := range filter {
		if filter[i]|sample[i] != filter[i] {
			return false
		}
	}
	return true
}
