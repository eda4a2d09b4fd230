package group

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
)

// Material is the text an update's signature covers (PROTOCOL.md §8.3):
//
//	JSON([[tuple(e) for e in events sorted by clock], chat-id])
//	tuple(e) = [[field, value]…] for the fields that are set, by field name
//
// written as JavaScript's JSON.stringify writes it: no spaces, and <, >, &,
// U+2028 and U+2029 not escaped (Go's encoding/json escapes the last two
// even with SetEscapeHTML(false), so the text is written here). Events with equal clocks keep their order (a stable sort, as
// status-react's sort-by), and members keep the order they were sent in.
func Material(chatID string, events []codec.GroupEvent) ([]byte, error) {
	sorted := append([]codec.GroupEvent(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Clock < sorted[j].Clock })
	b := []byte("[[")
	for i, e := range sorted {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		n := 0
		field := func(name string) {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, '[')
			b = codec.AppendJSONString(b, name)
			b = append(b, ',')
		}
		// Field names in sorted order: clock-value, member, members, name, type.
		if e.Clock != 0 {
			field("clock-value")
			b = strconv.AppendInt(b, e.Clock, 10)
			b = append(b, ']')
		}
		if e.Member != "" {
			field("member")
			b = append(codec.AppendJSONString(b, e.Member), ']')
		}
		if len(e.Members) > 0 {
			field("members")
			b = append(b, '[')
			for j, k := range e.Members {
				if j > 0 {
					b = append(b, ',')
				}
				b = codec.AppendJSONString(b, k)
			}
			b = append(b, "]]"...)
		}
		if e.Name != "" {
			field("name")
			b = append(codec.AppendJSONString(b, e.Name), ']')
		}
		if e.Type != "" {
			field("type")
			b = append(codec.AppendJSONString(b, e.Type), ']')
		}
		b = append(b, ']')
	}
	b = append(b, "],"...)
	b = codec.AppendJSONString(b, chatID)
	return append(b, ']'), nil
}

// Sign makes an update of events signed with key.
func Sign(key *ecdsa.PrivateKey, chatID string, events []codec.GroupEvent) (Update, error) {
	material, err := Material(chatID, events)
	if err != nil {
		return Update{}, err
	}
	sig, err := crypto.Sign(crypto.Keccak256(material), key)
	if err != nil {
		return Update{}, fmt.Errorf("sign membership update: %w", err)
	}
	u := codec.GroupUpdate{ChatID: chatID, Events: events, Signature: hex.EncodeToString(sig)}
	return Update{GroupUpdate: u, From: codec.PublicKeyHex(&key.PublicKey), ID: updateID(material, u.Signature)}, nil
}

// Update is a membership update whose author was recovered from its
// signature.
type Update struct {
	codec.GroupUpdate
	From string // "0x04…" of the author
	// ID names the update in a merge: the hash of what was signed and the
	// signature, so a copy with the same signature and other events (whose
	// recovered author is some random key) cannot shadow the genuine one.
	ID string
}

func updateID(material []byte, sig string) string {
	return hex.EncodeToString(crypto.Keccak256(material, []byte(sig)))
}

var errBadSignature = errors.New("bad signature")

// Recover finds the author of an update. A wrong material gives no error,
// only some other key: the fold's rules then refuse what that key did.
func Recover(u codec.GroupUpdate) (Update, error) {
	if len(u.Events) == 0 {
		return Update{}, errors.New("update has no events")
	}
	sig, err := hex.DecodeString(u.Signature)
	if err != nil || len(sig) != crypto.SignatureLength {
		return Update{}, fmt.Errorf("%w: want %d bytes of hex", errBadSignature, crypto.SignatureLength)
	}
	if sig[64] >= 27 {
		// Some signers write V as 27/28, Ethereum style.
		sig[64] -= 27
	}
	material, err := Material(u.ChatID, u.Events)
	if err != nil {
		return Update{}, err
	}
	pub, err := crypto.SigToPub(crypto.Keccak256(material), sig)
	if err != nil {
		return Update{}, fmt.Errorf("%w: %v", errBadSignature, err)
	}
	return Update{GroupUpdate: u, From: codec.PublicKeyHex(pub), ID: updateID(material, u.Signature)}, nil
}

// Verify recovers the author of each update of a g5 record for chatID and
// keeps those that belong to the chat: the update names the same chat, and
// an update that creates the chat comes from the key the chat id ends with.
// The others are returned with the reason, for the log.
func Verify(chatID string, updates []codec.GroupUpdate) (good []Update, bad []error) {
	for i, u := range updates {
		if u.ChatID != chatID {
			bad = append(bad, fmt.Errorf("update %d names chat %.80q, arrived for %.80q", i, u.ChatID, chatID))
			continue
		}
		v, err := Recover(u)
		if err != nil {
			bad = append(bad, fmt.Errorf("update %d: %w", i, err))
			continue
		}
		if creates(u) {
			if err := CheckChatID(chatID, v.From); err != nil {
				bad = append(bad, fmt.Errorf("update %d: %w", i, err))
				continue
			}
		}
		good = append(good, v)
	}
	return good, bad
}

func creates(u codec.GroupUpdate) bool {
	for _, e := range u.Events {
		if e.Type == codec.EventChatCreated {
			return true
		}
	}
	return false
}
