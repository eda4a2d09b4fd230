package keys

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// maxHexKeyFileSize bounds reads of files that should hold one hex key
// (64 digits, maybe "0x" and a newline) with generous room for whitespace.
const maxHexKeyFileSize = 4 << 10

// parseHexKey turns a hex private key, optionally 0x-prefixed and
// surrounded by whitespace, into a secp256k1 key. Its errors never quote
// the input: it is secret.
func parseHexKey(text []byte) (*ecdsa.PrivateKey, error) {
	s := strings.TrimSpace(string(text))
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s = s[2:]
	}
	if len(s) != 64 {
		return nil, fmt.Errorf("private key must be 64 hex digits, got %d characters", len(s))
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("private key is not valid hex")
	}
	defer clear(raw)
	key, err := crypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("private key is not a valid secp256k1 scalar: %w", err)
	}
	return key, nil
}

// ImportHex reads a hex private key from hexKeyFile and stores it in
// dataDir as IdentityFile, encrypted with passphrase at cost p. It refuses
// with ErrIdentityExists if dataDir already holds an identity.
func ImportHex(dataDir, hexKeyFile, passphrase string, p Params) (*ecdsa.PrivateKey, error) {
	if err := refuseExisting(dataDir); err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	text, err := readSmallFile(hexKeyFile, maxHexKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	defer clear(text)
	key, err := parseHexKey(text)
	if err != nil {
		return nil, fmt.Errorf("import key from %s: %w", hexKeyFile, err)
	}
	if err := store(dataDir, key, passphrase, p); err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	return key, nil
}
