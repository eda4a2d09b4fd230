package mailserver

import "hush/whisper/mailformat"

// KeyLength is the size of an archive key: the cursor (BE32(sent) ‖
// envelope hash, mailformat.Cursor) ‖ topic.
const KeyLength = mailformat.CursorLength + 4

// Key is the archive key of an envelope sent at sent (Expiry − TTL) with
// the given hash and topic. Keys sort by send second, then hash, which is
// the order requests are answered in; a key starts with the cursor that
// names the envelope.
func Key(sent uint32, hash [32]byte, topic [4]byte) []byte {
	k := make([]byte, 0, KeyLength)
	k = append(k, mailformat.Cursor(sent, hash)...)
	return append(k, topic[:]...)
}

// BloomMatch reports whether every bit set in sample is also set in
// filter, the rule by which a request bloom selects an envelope topic's
// bloom. Anything but two 64-byte blooms never matches.
func BloomMatch(filter, sample []byte) bool {
	if len(filter) != mailformat.BloomLength || len(sample) != mailformat.BloomLength {
		return false
	}
	for i := range filter {
		if filter[i]|sample[i] != filter[i] {
			return false
		}
	}
	return true
}
