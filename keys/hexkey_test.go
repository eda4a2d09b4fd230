package keys

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestAliceVectorIsKeccakOfName(t *testing.T) {
	if got := hex.EncodeToString(crypto.Keccak256([]byte("alice"))); got != alicePrivHex {
		t.Fatalf("keccak256(alice) = %s, PROTOCOL.md §6 says %s", got, alicePrivHex)
	}
}

func TestImportHexAlice(t *testing.T) {
	forms := map[string]string{
		"bare":              alicePrivHex,
		"0x":                "0x" + alicePrivHex,
		"0X upper":          "0X" + strings.ToUpper(alicePrivHex),
		"newline":           alicePrivHex + "\n",
		"0x and newline":    "0x" + alicePrivHex + "\n",
		"crlf":              alicePrivHex + "\r\n",
		"surrounding space": "  \t0x" + alicePrivHex + " \n\n",
	}
	for name, text := range forms {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile := filepath.Join(t.TempDir(), "alice.hex")
			writeFile(t, keyFile, []byte(text))
			key, err := ImportHex(dir, keyFile, "pw", Light)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(crypto.FromECDSAPub(&key.PublicKey)); got != alicePubHex {
				t.Fatalf("public key %s, want alice %s", got, alicePubHex)
			}
			info, err := os.Stat(identityPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if mode := info.Mode().Perm(); mode != 0o600 {
				t.Errorf("identity file mode %o, want 600", mode)
			}
		})
	}
}

func TestImportHexThenLoad(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "alice.hex")
	writeFile(t, keyFile, []byte("0x"+alicePrivHex+"\n"))
	if _, err := ImportHex(dir, keyFile, "pw", Light); err != nil {
		t.Fatal(err)
	}
	key, err := Load(dir, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(crypto.FromECDSAPub(&key.PublicKey)); got != alicePubHex {
		t.Fatalf("loaded public key %s, want alice", got)
	}
}

func TestImportHexRejectsInvalidKeys(t *testing.T) {
	n := crypto.S256().Params().N
	hex32 := func(x *big.Int) string { return fmt.Sprintf("%064x", x) }
	cases := map[string]string{
		"empty":         "",
		"garbage":       "not a key at all",
		"non-hex":       strings.Repeat("zq", 32),
		"too short":     alicePrivHex[:62],
		"too long":      alicePrivHex + "00",
		"inner space":   alicePrivHex[:32] + " " + alicePrivHex[32:],
		"zero":          strings.Repeat("0", 64),
		"curve order":   hex32(n),
		"above order":   hex32(new(big.Int).Add(n, big.NewInt(1))),
		"all ones":      strings.Repeat("f", 64),
		"double prefix": "0x0x" + alicePrivHex[4:],
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile := filepath.Join(t.TempDir(), "key.hex")
			writeFile(t, keyFile, []byte(text))
			key, err := ImportHex(dir, keyFile, "pw", Light)
			if err == nil || key != nil {
				t.Fatalf("ImportHex accepted %q", text)
			}
			if len(text) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(text)) {
				t.Errorf("error quotes the secret input: %v", err)
			}
			if _, err := os.Stat(identityPath(dir)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an identity file was written for an invalid key")
			}
		})
	}
}

func TestImportHexAcceptsLargestScalar(t *testing.T) {
	nMinus1 := new(big.Int).Sub(crypto.S256().Params().N, big.NewInt(1))
	keyFile := filepath.Join(t.TempDir(), "key.hex")
	writeFile(t, keyFile, []byte(fmt.Sprintf("%064x", nMinus1)))
	key, err := ImportHex(t.TempDir(), keyFile, "pw", Light)
	if err != nil {
		t.Fatal(err)
	}
	if key.D.Cmp(nMinus1) != 0 {
		t.Fatal("imported a different scalar")
	}
}

func TestImportHexRefusesExistingIdentity(t *testing.T) {
	dir := t.TempDir()
	existing, err := Create(dir, "pw", Light)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "alice.hex")
	writeFile(t, keyFile, []byte(alicePrivHex))
	if _, err := ImportHex(dir, keyFile, "pw", Light); !errors.Is(err, ErrIdentityExists) {
		t.Fatalf("got %v, want ErrIdentityExists", err)
	}
	loaded, err := Load(dir, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(existing, loaded) {
		t.Fatal("existing identity was replaced")
	}
}

func TestImportHexMissingFile(t *testing.T) {
	_, err := ImportHex(t.TempDir(), filepath.Join(t.TempDir(), "absent.hex"), "pw", Light)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}
