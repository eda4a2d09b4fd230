package keys

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
)

// Test identity from PROTOCOL.md §6: private key = keccak256("alice").
const (
	alicePrivHex = "9c0257114eb9399a2985f8e75dad7600c5d89fe3824ffa99ec1c3eb8bf3b0501"
	alicePubHex  = "045eed5fa3a67696c334762bb4823e585e2ee579aba3558d9955296d6c04541b426078dbd48d74af1fd0c72aa1a05147cf17be6b60bdbed6ba19b08ec28445b0ca"
)

func sameKey(a, b *ecdsa.PrivateKey) bool {
	return a != nil && b != nil && bytes.Equal(crypto.FromECDSA(a), crypto.FromECDSA(b))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// encryptedKeyJSON returns a keystore v3 document for a fresh key, the way
// geth itself encrypts one.
func encryptedKeyJSON(t *testing.T, passphrase string) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := keystore.EncryptKey(&keystore.Key{
		Id:         newUUID(),
		Address:    crypto.PubkeyToAddress(key.PublicKey),
		PrivateKey: key,
	}, passphrase, keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	return data, key
}

// editJSON decodes a JSON object, lets edit change it and re-encodes it.
func editJSON(t *testing.T, data []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func identityPath(dir string) string { return filepath.Join(dir, IdentityFile) }
