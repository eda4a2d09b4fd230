package keys

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxPromptAttempts bounds re-prompting after a mistyped passphrase.
const maxPromptAttempts = 3

// Unlock returns the identity in dataDir, creating one on first run.
// An identity hush made with an empty passphrase is opened without a
// prompt (see NoPassphraseFile).
// The passphrase comes from passwordFile when it is not "", else from a
// prompt on in and out. An existing identity is decrypted (a mistyped
// prompted passphrase is asked again, up to 3 tries); a new one is made at
// Standard cost and announced on out with its path.
func Unlock(dataDir, passwordFile string, in *os.File, out io.Writer) (*ecdsa.PrivateKey, error) {
	return unlock(dataDir, passwordFile, in, out, Standard)
}

// unlock is Unlock with the scrypt cost of a new identity as a parameter,
// so tests need not pay for Standard.
func unlock(dataDir, passwordFile string, in *os.File, out io.Writer, p Params) (*ecdsa.PrivateKey, error) {
	path, err := Find(dataDir)
	switch {
	case err == nil:
		return unlockExisting(path, passwordFile, in, out)
	case errors.Is(err, fs.ErrNotExist):
		return unlockNew(dataDir, passwordFile, in, out, p)
	default:
		return nil, fmt.Errorf("unlock identity: %w", err)
	}
}

func unlockExisting(path, passwordFile string, in *os.File, out io.Writer) (*ecdsa.PrivateKey, error) {
	if passwordFile != "" {
		passphrase, err := ReadPasswordFile(passwordFile)
		if err != nil {
			return nil, fmt.Errorf("unlock identity: %w", err)
		}
		return loadFile(path, passphrase)
	}
	// Made with an empty passphrase: nothing to ask.
	if hasNoPassphraseMark(path) {
		if key, err := loadFile(path, ""); err == nil {
			return key, nil
		}
	}
	var err error
	for attempt := 1; attempt <= maxPromptAttempts; attempt++ {
		var passphrase string
		passphrase, err = Prompt(in, out, "Passphrase: ", false)
		if err != nil {
			return nil, fmt.Errorf("unlock identity: %w", err)
		}
		var key *ecdsa.PrivateKey
		key, err = loadFile(path, passphrase)
		if !errors.Is(err, ErrBadPassphrase) {
			return key, err
		}
		if attempt < maxPromptAttempts {
			fmt.Fprintln(out, "Wrong passphrase, try again.")
		}
	}
	return nil, err
}

func unlockNew(dataDir, passwordFile string, in *os.File, out io.Writer, p Params) (*ecdsa.PrivateKey, error) {
	var passphrase string
	var err error
	if passwordFile != "" {
		passphrase, err = ReadPasswordFile(passwordFile)
	} else {
		fmt.Fprintf(out, "No identity in %s yet; creating one.\n", dataDir)
		passphrase, err = PromptNew(in, out)
	}
	if err != nil {
		return nil, fmt.Errorf("unlock identity: %w", err)
	}
	key, err := Create(dataDir, passphrase, p)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Created a new identity in %s\n", filepath.Join(dataDir, IdentityFile))
	return key, nil
}
