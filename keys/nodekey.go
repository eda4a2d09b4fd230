package keys

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ethereum/go-ethereum/crypto"
)

// NodeKeyFile holds the devp2p transport key in the data dir as hex. It is
// not the identity: it names the node to peers and signs mailserver
// requests, so it stays stable across runs but needs no passphrase.
const NodeKeyFile = "nodekey"

// LoadOrCreateNodeKey reads NodeKeyFile from dataDir, creating it (0600)
// with a new random key on first use. A present but unreadable or invalid
// file is an error, not replaced: the node's identity would silently change.
func LoadOrCreateNodeKey(dataDir string) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dataDir, NodeKeyFile)
	key, err := readNodeKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}

	key, err = crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	if err := ensureDataDir(dataDir); err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	text := []byte(hex.EncodeToString(crypto.FromECDSA(key)) + "\n")
	defer clear(text)
	err = writeNewFile(path, text)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs so both agree.
		return readNodeKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	return key, nil
}

func readNodeKey(path string) (*ecdsa.PrivateKey, error) {
	text, err := readSmallFile(path, maxHexKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	defer clear(text)
	key, err := parseHexKey(text)
	if err != nil {
		return nil, fmt.Errorf("read node key %s: %w", path, err)
	}
	return key, nil
}
