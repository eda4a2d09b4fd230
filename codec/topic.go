package codec

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strconv"

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

// Topic names of the one-to-one layer (PROTOCOL.md §7.x "Topics and
// installations"). Each is fed to TopicFor; the symmetric ones also to
// SymKeyFromPassword for their key.

// partitions is how many partitioned discovery topics there are.
const partitions = 5000

// Partition is the discovery partition of a key: its X coordinate mod 5000.
func Partition(pub *ecdsa.PublicKey) int {
	return int(new(big.Int).Mod(pub.X, big.NewInt(partitions)).Int64())
}

// PartitionedTopicName is the asymmetric topic a key listens on for direct
// messages from peers that read its bundle: "contact-discovery-<partition>".
func PartitionedTopicName(pub *ecdsa.PublicKey) string {
	return DiscoveryTopicName + "-" + strconv.Itoa(Partition(pub))
}

// PersonalTopicName is the asymmetric personal discovery topic,
// "contact-discovery-" and the uncompressed key in hex without 0x. Status
// listened on it but never sent there; hush does the same.
func PersonalTopicName(pub *ecdsa.PublicKey) string {
	return DiscoveryTopicName + "-" + hex.EncodeToString(crypto.FromECDSAPub(pub))
}

// ContactCodeTopicName is the symmetric topic a key advertises its bundle
// on, "0x<uncompressed key in hex>-contact-code"; its key is derived from
// the same string.
func ContactCodeTopicName(pub *ecdsa.PublicKey) string {
	return "0x" + hex.EncodeToString(crypto.FromECDSAPub(pub)) + "-contact-code"
}

// NegotiatedTopicName is the symmetric topic two keys share once both have
// sessions: the lower-case hex of their 32-byte Diffie-Hellman secret. Its
// key is derived from the same string.
func NegotiatedTopicName(secret []byte) string {
	return hex.EncodeToString(secret)
}
