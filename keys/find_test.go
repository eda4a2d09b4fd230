package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestFindAndLoadGethKeyfile(t *testing.T) {
	dir := t.TempDir()
	// keystore.StoreKey writes a new key the way geth does, under its
	// UTC--<time>--<address> name.
	account, err := keystore.StoreKey(dir, "geth pw", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(account.URL.Path), "UTC--") {
		t.Fatalf("geth wrote %s, expected a UTC-- name", account.URL.Path)
	}
	found, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found != account.URL.Path {
		t.Fatalf("Find = %s, want %s", found, account.URL.Path)
	}
	key, err := Load(dir, "geth pw")
	if err != nil {
		t.Fatal(err)
	}
	if got := crypto.PubkeyToAddress(key.PublicKey); got != account.Address {
		t.Fatalf("loaded key of %s, want %s", got.Hex(), account.Address.Hex())
	}
}

func TestFindAnyJSONKeystore(t *testing.T) {
	dir := t.TempDir()
	data, want := encryptedKeyJSON(t, "pw")
	writeFile(t, filepath.Join(dir, "my-key.JSON"), data)
	key, err := Load(dir, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(key, want) {
		t.Fatal("loaded a different key")
	}
}

func TestFindTwoCandidates(t *testing.T) {
	dir := t.TempDir()
	a, _ := encryptedKeyJSON(t, "pw")
	b, _ := encryptedKeyJSON(t, "pw")
	names := []string{"UTC--2019-05-31T10-00-00.000000000Z--aaaa", "backup.json"}
	writeFile(t, filepath.Join(dir, names[0]), a)
	writeFile(t, filepath.Join(dir, names[1]), b)
	found, err := Find(dir)
	if err == nil {
		t.Fatalf("Find chose %s among two candidates", found)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("two candidates reported as none: %v", err)
	}
	for _, name := range names {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if _, err := Load(dir, "pw"); err == nil {
		t.Fatal("Load picked one of two candidates")
	}
}

func TestFindPrefersIdentityFile(t *testing.T) {
	dir := t.TempDir()
	a, _ := encryptedKeyJSON(t, "pw")
	b, _ := encryptedKeyJSON(t, "pw")
	writeFile(t, filepath.Join(dir, "other.json"), a)
	writeFile(t, identityPath(dir), b)
	found, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found != identityPath(dir) {
		t.Fatalf("Find = %s, want %s", found, identityPath(dir))
	}
}

func TestFindIgnoresNonKeystoreFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), []byte(`{"theme":"dark"}`))
	writeFile(t, filepath.Join(dir, "broken.json"), []byte(`{"version":3,`))
	writeFile(t, filepath.Join(dir, "list.json"), []byte(`[1,2,3]`))
	writeFile(t, filepath.Join(dir, "UTC--notes"), []byte("hello"))
	v1, _ := encryptedKeyJSON(t, "pw")
	v1 = editJSON(t, v1, func(m map[string]any) { m["version"] = "1" })
	writeFile(t, filepath.Join(dir, "v1.json"), v1)
	if err := os.Mkdir(filepath.Join(dir, "dir.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A real keystore under a name that is neither UTC--… nor *.json, such
	// as the node key or a database, is not looked into.
	real, _ := encryptedKeyJSON(t, "pw")
	writeFile(t, filepath.Join(dir, "keystore.bak"), real)

	if found, err := Find(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Find = %q, %v; want fs.ErrNotExist", found, err)
	}

	writeFile(t, filepath.Join(dir, "real.json"), real)
	found, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found != filepath.Join(dir, "real.json") {
		t.Fatalf("Find = %s, want real.json", found)
	}
}

func TestFindMissingDir(t *testing.T) {
	_, err := Find(filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}
