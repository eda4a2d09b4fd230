package codec

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/pbkdf2"
)

// DiscoveryTopicName is the topic string of every one-to-one message, contact
// message and group update in 2019 Status (topic 0xf8946aac).
const DiscoveryTopicName = "contact-discovery"

// BloomBytes is the size of a Whisper bloom filter.
const BloomBytes = 64

// Topic is a 4-byte Whisper topic.
type Topic [4]byte

// TopicFor derives a topic as Status does: the first 4 bytes of
// keccak256(name). For a public chat the name is the chat name.
func TopicFor(name string) Topic {
	var t Topic
	copy(t[:], crypto.Keccak256([]byte(name)))
	return t
}

// String gives the topic as 0x and 8 lower-case hex digits.
func (t Topic) String() string { return "0x" + hex.EncodeToString(t[:]) }

// bloomIndices gives the three bloom bit numbers (0..511) of a topic.
func bloomIndices(t Topic) [3]int {
	var idx [3]int
	for j := range idx {
		idx[j] = int(t[j]) + 256*int((t[3]>>j)&1)
	}
	return idx
}

// Bloom builds the 64-byte bloom filter of a set of topics by Whisper's rule.
// Within one topic each of the three indices *assigns* its byte (a later bit
// in the same byte replaces an earlier one, as whisperv6's TopicToBloom
// does); the per-topic filters are then OR-ed. Peers compare blooms bit for
// bit, so the quirk must be kept.
func Bloom(topics ...Topic) []byte {
	bloom := make([]byte, BloomBytes)
	for _, t := range topics {
		var one [BloomBytes]byte
		for _, idx := range bloomIndices(t) {
			one[idx/8] = 1 << (idx % 8)
		}
		for i := range bloom {
			bloom[i] |= one[i]
		}
	}
	return bloom
}

// symKeyIterations is the PBKDF2 count of whisperv6's AddSymKeyFromPassword:
// 65356, not 65536.
const symKeyIterations = 65356

// SymKeyFromPassword derives a 32-byte Whisper symmetric key from a password
// as whisperv6's AddSymKeyFromPassword does: PBKDF2-HMAC-SHA256 with an empty
// salt and 65356 iterations. Public chats use the chat name; the mailserver
// uses "status-offline-inbox". It takes tens of milliseconds: cache results.
func SymKeyFromPassword(pw string) []byte {
	return pbkdf2.Key([]byte(pw), nil, symKeyIterations, 32, sha256.New)
}
