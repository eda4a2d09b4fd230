package keys

import (
	"os"
	"path/filepath"
)

// NoPassphraseFile, next to the identity, records that the user chose an
// empty passphrase when hush made the identity, so that hush opens it
// without asking for a passphrase that is not there on every start.
//
// The trade-off is the user's, made when they pressed Enter twice: with an
// empty passphrase the key at rest is protected only by the data dir's
// 0700 mode, and anyone who can read the data dir has the key. The mark
// itself adds nothing to lose: it holds no key material, and a mark next
// to an identity that does have a passphrase only costs one failed
// decryption before the prompt.
const NoPassphraseFile = "identity.nopassphrase"

// markNoPassphrase writes the mark for the identity at path. Failing to
// write it only means a prompt on the next start, so the error is dropped.
func markNoPassphrase(identityPath string) {
	_ = writeNewFile(filepath.Join(filepath.Dir(identityPath), NoPassphraseFile), nil)
}

func hasNoPassphraseMark(identityPath string) bool {
	_, err := os.Lstat(filepath.Join(filepath.Dir(identityPath), NoPassphraseFile))
	return err == nil
}
