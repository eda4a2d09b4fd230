package keys

import "github.com/ethereum/go-ethereum/accounts/keystore"

// Params are the scrypt cost parameters used when encrypting a new identity.
// Decryption never needs them: a keystore file records its own parameters.
// A zero field means the geth standard value for that field.
type Params struct {
	ScryptN int
	ScryptP int
}

// Standard is the geth default cost (256 MB, about a second per unlock).
// It is a read-only preset, like Light.
var Standard = Params{}

// Light is geth's cheap cost (4 MB); meant for tests, not for real identities.
var Light = Params{ScryptN: keystore.LightScryptN, ScryptP: keystore.LightScryptP}

func (p Params) scrypt() (n, par int) {
	n, par = p.ScryptN, p.ScryptP
	if n == 0 {
		n = keystore.StandardScryptN
	}
	if par == 0 {
		par = keystore.StandardScryptP
	}
	return n, par
}
