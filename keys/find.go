package keys

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IdentityFile is the keystore v3 file holding the identity in the data dir.
const IdentityFile = "identity.json"

// maxKeystoreSize bounds how much of a candidate file is read. Real keystore
// files are about 500 bytes; the data dir also holds large databases that
// must not be slurped just to be rejected.
const maxKeystoreSize = 64 << 10

// Find reports the keystore file to use in dataDir: IdentityFile if present,
// else the one keystore v3 file the user dropped in (named "UTC--…" as geth
// writes them, or "*.json"). Files that are not keystore v3 are ignored.
// More than one candidate is an error naming them; none is an
// fs.ErrNotExist-wrapped error.
func Find(dataDir string) (string, error) {
	identity := filepath.Join(dataDir, IdentityFile)
	if _, err := os.Stat(identity); err == nil {
		return identity, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("find identity: %w", err)
	}

	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return "", fmt.Errorf("find identity: %w", err)
	}
	var candidates []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !looksLikeKeystoreName(e.Name()) {
			continue
		}
		path := filepath.Join(dataDir, e.Name())
		data, err := readSmallFile(path, maxKeystoreSize)
		if err != nil || checkKeystoreV3(data) != nil {
			continue
		}
		candidates = append(candidates, path)
	}
	sort.Strings(candidates)
	switch len(candidates) {
	case 0:
		return "", fmt.Errorf("no %s or keystore file in %s: %w", IdentityFile, dataDir, fs.ErrNotExist)
	case 1:
		return candidates[0], nil
	default:
		return "", fmt.Errorf("%d keystore files in %s, keep only one: %s",
			len(candidates), dataDir, strings.Join(candidates, ", "))
	}
}

func looksLikeKeystoreName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	return strings.HasPrefix(name, "UTC--") || strings.HasSuffix(strings.ToLower(name), ".json")
}

// keystoreV3 is the part of a keystore v3 file that must be well formed
// before handing it to keystore.DecryptKey, which panics on missing or
// mistyped kdf parameters.
type keystoreV3 struct {
	Address string `json:"address"`
	Version *int   `json:"version"`
	Crypto  struct {
		Cipher       string `json:"cipher"`
		CipherText   string `json:"ciphertext"`
		CipherParams struct {
			IV string `json:"iv"`
		} `json:"cipherparams"`
		KDF       string          `json:"kdf"`
		KDFParams json.RawMessage `json:"kdfparams"`
		MAC       string          `json:"mac"`
	} `json:"crypto"`
}

type scryptParams struct {
	N     *int    `json:"n"`
	R     *int    `json:"r"`
	P     *int    `json:"p"`
	DKLen *int    `json:"dklen"`
	Salt  *string `json:"salt"`
}

type pbkdf2Params struct {
	C     *int    `json:"c"`
	PRF   *string `json:"prf"`
	DKLen *int    `json:"dklen"`
	Salt  *string `json:"salt"`
}

// Bounds on the key derivation cost a keystore file may ask for. Geth's
// standard scrypt needs 256 MB; a file demanding far more is refused rather
// than allowed to exhaust memory or spin for hours.
const (
	maxScryptMemory     = 1 << 30
	maxScryptP          = 64
	maxPBKDF2Iterations = 1 << 24
)

// checkKeystoreV3 returns an error unless data is a keystore v3 document
// that keystore.DecryptKey can process without panicking: it indexes and
// type-asserts the kdf parameters and hands the IV to cipher.NewCTR unchecked.
func checkKeystoreV3(data []byte) error {
	var ks keystoreV3
	if err := json.Unmarshal(data, &ks); err != nil {
		return fmt.Errorf("not a keystore file: %w", err)
	}
	if ks.Version == nil || *ks.Version != 3 {
		return errors.New("not a keystore v3 file: version is not 3")
	}
	c := ks.Crypto
	if c.Cipher != "aes-128-ctr" {
		return fmt.Errorf("keystore file: unsupported cipher %q", c.Cipher)
	}
	if err := checkHexLen("ciphertext", c.CipherText, 32); err != nil {
		return err
	}
	if err := checkHexLen("iv", c.CipherParams.IV, 16); err != nil {
		return err
	}
	if err := checkHexLen("mac", c.MAC, 32); err != nil {
		return err
	}
	switch c.KDF {
	case "scrypt":
		return checkScryptParams(c.KDFParams)
	case "pbkdf2":
		return checkPBKDF2Params(c.KDFParams)
	default:
		return fmt.Errorf("keystore file: unsupported kdf %q", c.KDF)
	}
}

func checkScryptParams(raw json.RawMessage) error {
	var p scryptParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("keystore file: scrypt params: %w", err)
	}
	if p.N == nil || p.R == nil || p.P == nil || p.DKLen == nil || p.Salt == nil {
		return errors.New("keystore file: incomplete scrypt params")
	}
	n, r, par := *p.N, *p.R, *p.P
	if n < 2 || r < 1 || par < 1 || par > maxScryptP || n > maxScryptMemory/128/r {
		return fmt.Errorf("keystore file: unusable scrypt params n=%d r=%d p=%d", n, r, par)
	}
	return checkDerivation(*p.DKLen, *p.Salt)
}

func checkPBKDF2Params(raw json.RawMessage) error {
	var p pbkdf2Params
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("keystore file: pbkdf2 params: %w", err)
	}
	if p.C == nil || p.PRF == nil || p.DKLen == nil || p.Salt == nil {
		return errors.New("keystore file: incomplete pbkdf2 params")
	}
	if *p.C < 1 || *p.C > maxPBKDF2Iterations {
		return fmt.Errorf("keystore file: unusable pbkdf2 iteration count %d", *p.C)
	}
	return checkDerivation(*p.DKLen, *p.Salt)
}

// checkDerivation checks the parameters common to both kdfs. The derived
// key must be at least 32 bytes: DecryptKey slices bytes 16 to 32 for the MAC.
func checkDerivation(dkLen int, salt string) error {
	if dkLen < 32 || dkLen > 1024 {
		return fmt.Errorf("keystore file: unusable dklen %d", dkLen)
	}
	if _, err := hex.DecodeString(salt); err != nil {
		return fmt.Errorf("keystore file: salt: %w", err)
	}
	return nil
}

func checkHexLen(field, value string, want int) error {
	b, err := hex.DecodeString(value)
	if err != nil {
		return fmt.Errorf("keystore file: %s: %w", field, err)
	}
	if len(b) != want {
		return fmt.Errorf("keystore file: %s is %d bytes, want %d", field, len(b), want)
	}
	return nil
}

// readSmallFile reads path, failing if it is larger than limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
