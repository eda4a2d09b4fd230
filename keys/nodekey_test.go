package keys

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestNodeKeyPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	first, err := LoadOrCreateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(first, second) {
		t.Fatal("node key changed between calls")
	}

	path := filepath.Join(dir, NodeKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("node key mode %o, want 600", mode)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("node key file is not hex: %v", err)
	}
	if !bytes.Equal(raw, crypto.FromECDSA(first)) {
		t.Fatal("node key file does not hold the returned key")
	}
}

// The node key is not the identity, and an identity does not stop it from
// being created.
func TestNodeKeyIsSeparateFromIdentity(t *testing.T) {
	dir := t.TempDir()
	identity, err := Create(dir, "pw", Light)
	if err != nil {
		t.Fatal(err)
	}
	node, err := LoadOrCreateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sameKey(identity, node) {
		t.Fatal("node key equals the identity")
	}
	found, err := Find(dir)
	if err != nil || found != identityPath(dir) {
		t.Fatalf("Find after node key = %q, %v", found, err)
	}
}

func TestNodeKeyReadsExistingFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, NodeKeyFile), []byte(alicePrivHex+"\n"))
	key, err := LoadOrCreateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(crypto.FromECDSAPub(&key.PublicKey)); got != alicePubHex {
		t.Fatalf("public key %s, want alice", got)
	}
}

func TestNodeKeyInvalidFileIsKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, NodeKeyFile)
	corrupt := []byte("truncated 9c0257")
	writeFile(t, path, corrupt)
	if key, err := LoadOrCreateNodeKey(dir); err == nil || key != nil {
		t.Fatal("accepted a corrupt node key")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, corrupt) {
		t.Fatal("corrupt node key file was replaced")
	}
}
