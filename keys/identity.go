package keys

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrBadPassphrase means the passphrase does not decrypt the keystore file.
// Errors carrying it also match keystore.ErrDecrypt.
var ErrBadPassphrase = errors.New("wrong passphrase")

// ErrIdentityExists means an identity is already in the data dir; hush never
// replaces one, since that would destroy the user's only copy of the key.
var ErrIdentityExists = errors.New("an identity already exists")

// Create makes a new random identity and stores it in dataDir as
// IdentityFile, encrypted with passphrase at cost p. It refuses with
// ErrIdentityExists if dataDir already holds an identity.
func Create(dataDir, passphrase string, p Params) (*ecdsa.PrivateKey, error) {
	if err := refuseExisting(dataDir); err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("create identity: generate key: %w", err)
	}
	if err := store(dataDir, key, passphrase, p); err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	return key, nil
}

// Load finds the identity in dataDir (see Find) and decrypts it with
// passphrase. A wrong passphrase gives an error matching ErrBadPassphrase.
func Load(dataDir, passphrase string) (*ecdsa.PrivateKey, error) {
	path, err := Find(dataDir)
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	return loadFile(path, passphrase)
}

func loadFile(path, passphrase string) (*ecdsa.PrivateKey, error) {
	data, err := readSmallFile(path, maxKeystoreSize)
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	if err := checkKeystoreV3(data); err != nil {
		return nil, fmt.Errorf("load identity %s: %w", path, err)
	}
	k, err := keystore.DecryptKey(data, passphrase)
	if errors.Is(err, keystore.ErrDecrypt) {
		return nil, fmt.Errorf("load identity %s: %w (%w)", path, ErrBadPassphrase, err)
	}
	if err != nil {
		return nil, fmt.Errorf("load identity %s: %w", path, err)
	}
	// DecryptKey accepts any decrypted bytes as a scalar; a file that
	// decrypts to an invalid key, or to a key for another address than the
	// one it declares, is corrupt or tampered with.
	key, err := crypto.ToECDSA(crypto.FromECDSA(k.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("load identity %s: decrypted key is invalid: %w", path, err)
	}
	if err := checkDeclaredAddress(data, crypto.PubkeyToAddress(key.PublicKey)); err != nil {
		return nil, fmt.Errorf("load identity %s: %w", path, err)
	}
	return key, nil
}

// checkDeclaredAddress compares the optional "address" field of a keystore
// file with the address of the key it decrypted to.
func checkDeclaredAddress(keystoreJSON []byte, actual common.Address) error {
	var fields struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(keystoreJSON, &fields); err != nil {
		return fmt.Errorf("read address field: %w", err)
	}
	declared := fields.Address
	if declared == "" {
		return nil
	}
	if !strings.EqualFold(strings.TrimPrefix(declared, "0x"), strings.TrimPrefix(actual.Hex(), "0x")) {
		return fmt.Errorf("file declares address %s but holds the key of %s", declared, actual.Hex())
	}
	return nil
}

// refuseExisting returns ErrIdentityExists if Find sees an identity in
// dataDir, or Find's error if it cannot tell.
func refuseExisting(dataDir string) error {
	path, err := Find(dataDir)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s", ErrIdentityExists, path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// store encrypts key and writes it to IdentityFile in dataDir.
func store(dataDir string, key *ecdsa.PrivateKey, passphrase string, p Params) error {
	id := newUUID()
	n, par := p.scrypt()
	data, err := keystore.EncryptKey(&keystore.Key{
		Id:         id,
		Address:    crypto.PubkeyToAddress(key.PublicKey),
		PrivateKey: key,
	}, passphrase, n, par)
	if err != nil {
		return fmt.Errorf("encrypt key: %w", err)
	}
	if err := ensureDataDir(dataDir); err != nil {
		return err
	}
	path := filepath.Join(dataDir, IdentityFile)
	if err := writeNewFile(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrIdentityExists, path)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	if passphrase == "" {
		markNoPassphrase(path)
	}
	return nil
}

// newUUID returns a random (version 4) UUID for the keystore "id" field.
func newUUID() []byte {
	id := make([]byte, 16)
	rand.Read(id) // never fails: crypto/rand aborts the program instead
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}
