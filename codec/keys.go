package codec

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

const (
	pubKeyBytes     = 65 // 0x04 ‖ X ‖ Y
	pubKeyHexDigits = 2 * pubKeyBytes
	coordBytes      = 32
)

// MessageID is the message id of PROTOCOL.md decision 4 (status-go from August 2019):
// keccak256(sender's uncompressed 65-byte key ‖ payload bytes).
func MessageID(senderPub65 []byte, payload []byte) [32]byte {
	var id [32]byte
	copy(id[:], crypto.Keccak256(senderPub65, payload))
	return id
}

// PublicKeyHex gives a key as Status shows and sends it: "0x04" and 128
// lower-case hex digits (132 characters). A nil key or one without
// coordinates gives "".
func PublicKeyHex(pub *ecdsa.PublicKey) string {
	raw := PublicKeyBytes(pub)
	if raw == nil {
		return ""
	}
	return "0x" + hex.EncodeToString(raw)
}

// PublicKeyBytes is the 65-byte uncompressed form, or nil when pub has no
// usable coordinates. It does not use elliptic.Marshal, which panics on a
// point off the curve and checks that with big-number arithmetic: a
// recovered signer is on the curve already.
func PublicKeyBytes(pub *ecdsa.PublicKey) []byte {
	if pub == nil || pub.X == nil || pub.Y == nil ||
		pub.X.Sign() < 0 || pub.Y.Sign() < 0 ||
		pub.X.BitLen() > 8*coordBytes || pub.Y.BitLen() > 8*coordBytes {
		return nil
	}
	raw := make([]byte, pubKeyBytes)
	raw[0] = 0x04
	pub.X.FillBytes(raw[1 : 1+coordBytes])
	pub.Y.FillBytes(raw[1+coordBytes:])
	return raw
}

// ParsePublicKey reads a secp256k1 public key written as 130 hex digits
// (0x prefix optional): the uncompressed form 04 ‖ X ‖ Y, which must be a
// point on the curve.
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	for i := 0; i < len(digits); i++ {
		if !isHexDigit(digits[i]) {
			return nil, fmt.Errorf("parse public key: not hex (%q at position %d)", digits[i], i)
		}
	}
	if len(digits) != pubKeyHexDigits {
		return nil, fmt.Errorf("parse public key: want %d hex digits, got %d", pubKeyHexDigits, len(digits))
	}
	raw, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("parse public key: not hex: %w", err)
	}
	if raw[0] != 0x04 {
		return nil, fmt.Errorf("parse public key: want an uncompressed key starting with 04, got %02x", raw[0])
	}
	curve := crypto.S256()
	x := new(big.Int).SetBytes(raw[1 : 1+coordBytes])
	y := new(big.Int).SetBytes(raw[1+coordBytes:])
	p := curve.Params().P
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !curve.IsOnCurve(x, y) {
		return nil, errors.New("parse public key: not a point on secp256k1")
	}
	return &ecdsa.PublicKey{Curve: curve, X: x, Y: y}, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ShortKey abbreviates a "0x04…" key for display: the first 6 characters, an
// ellipsis and the last 4 ("0x04ab…cd12"). Strings of 11 runes or fewer are
// returned whole.
func ShortKey(hex0x04 string) string {
	r := []rune(hex0x04)
	if len(r) <= 11 {
		return hex0x04
	}
	return string(r[:6]) + "…" + string(r[len(r)-4:])
}
