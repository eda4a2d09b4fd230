package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
)

func TestCreateLoadRoundtrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	created, err := Create(dir, "correct horse", Light)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("loaded key differs from created key")
	}

	info, err := os.Stat(identityPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("identity file mode %o, want 600", mode)
	}
	dirInfo, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := dirInfo.Mode().Perm(); mode != 0o700 {
		t.Errorf("data dir mode %o, want 700", mode)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only %s (temp file left behind?)", len(entries), IdentityFile)
	}
}

func TestCreateEmptyPassphrase(t *testing.T) {
	dir := t.TempDir()
	created, err := Create(dir, "", Light)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("loaded key differs from created key")
	}
	if _, err := Load(dir, " "); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("Load with a space: %v, want ErrBadPassphrase", err)
	}
}

func TestLoadWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, "right", Light); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, "wrong")
	if !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("got %v, want ErrBadPassphrase", err)
	}
	if !errors.Is(err, keystore.ErrDecrypt) {
		t.Fatalf("got %v, want it to wrap keystore.ErrDecrypt", err)
	}
}

func TestLoadNoIdentity(t *testing.T) {
	_, err := Load(t.TempDir(), "x")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}

func TestCreateRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	first, err := Create(dir, "one", Light)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(identityPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, "two", Light); !errors.Is(err, ErrIdentityExists) {
		t.Fatalf("second Create: %v, want ErrIdentityExists", err)
	}
	after, err := os.ReadFile(identityPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("identity file changed")
	}
	loaded, err := Load(dir, "one")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(first, loaded) {
		t.Fatal("identity no longer holds the first key")
	}
}

func TestCreateRefusesWhenGethKeyfilePresent(t *testing.T) {
	dir := t.TempDir()
	data, _ := encryptedKeyJSON(t, "pw")
	writeFile(t, filepath.Join(dir, "UTC--2019-05-31T10-00-00.000000000Z--abc"), data)
	if _, err := Create(dir, "pw", Light); !errors.Is(err, ErrIdentityExists) {
		t.Fatalf("got %v, want ErrIdentityExists", err)
	}
	if _, err := os.Stat(identityPath(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s was written next to an existing keystore file", IdentityFile)
	}
}

func TestCreateUsesParamsAndLoadReadsThemFromFile(t *testing.T) {
	for _, p := range []Params{Light, {ScryptN: 1 << 10, ScryptP: 1}} {
		dir := t.TempDir()
		created, err := Create(dir, "pw", p)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(identityPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Crypto struct {
				KDFParams struct{ N, P int } `json:"kdfparams"`
			} `json:"crypto"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		if got := file.Crypto.KDFParams; got.N != p.ScryptN || got.P != p.ScryptP {
			t.Errorf("file has scrypt n=%d p=%d, want %+v", got.N, got.P, p)
		}
		loaded, err := Load(dir, "pw")
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if !sameKey(created, loaded) {
			t.Errorf("%+v: loaded key differs", p)
		}
	}
}

func TestStandardParamsMeanGethStandard(t *testing.T) {
	n, p := Standard.scrypt()
	if n != keystore.StandardScryptN || p != keystore.StandardScryptP {
		t.Fatalf("Standard resolves to n=%d p=%d", n, p)
	}
	n, p = Light.scrypt()
	if n != keystore.LightScryptN || p != keystore.LightScryptP {
		t.Fatalf("Light resolves to n=%d p=%d", n, p)
	}
}

// A malformed keystore file must give an error; keystore.DecryptKey alone
// would panic on several of these.
func TestLoadRejectsMalformedKeystore(t *testing.T) {
	good, _ := encryptedKeyJSON(t, "pw")
	crypt := func(m map[string]any) map[string]any { return m["crypto"].(map[string]any) }
	kdf := func(m map[string]any) map[string]any { return crypt(m)["kdfparams"].(map[string]any) }
	cases := map[string]func(m map[string]any){
		"no kdfparams":    func(m map[string]any) { delete(crypt(m), "kdfparams") },
		"salt not string": func(m map[string]any) { kdf(m)["salt"] = 5 },
		"no n":            func(m map[string]any) { delete(kdf(m), "n") },
		"p zero":          func(m map[string]any) { kdf(m)["p"] = 0 },
		"short dklen":     func(m map[string]any) { kdf(m)["dklen"] = 8 },
		"huge n":          func(m map[string]any) { kdf(m)["n"] = 1 << 30 },
		"short iv":        func(m map[string]any) { crypt(m)["cipherparams"] = map[string]any{"iv": "00"} },
		"bad mac hex":     func(m map[string]any) { crypt(m)["mac"] = "zz" },
		"version 1":       func(m map[string]any) { m["version"] = "1" },
		"unknown kdf":     func(m map[string]any) { crypt(m)["kdf"] = "argon2" },
		"other address":   func(m map[string]any) { m["address"] = "0000000000000000000000000000000000000001" },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, identityPath(dir), editJSON(t, good, edit))
			key, err := Load(dir, "pw")
			if err == nil || key != nil {
				t.Fatalf("Load accepted a keystore with %s", name)
			}
			if errors.Is(err, ErrBadPassphrase) {
				t.Fatalf("malformed file reported as wrong passphrase: %v", err)
			}
			if name == "other address" && !strings.Contains(err.Error(), "declares address") {
				t.Fatalf("address mismatch not reported as such: %v", err)
			}
		})
	}
}
