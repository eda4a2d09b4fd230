package alias

import (
	"crypto/ecdsa"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

var (
	//go:embed adjectives.txt
	adjectivesText string
	//go:embed animals.txt
	animalsText string
)

// Word list sizes. The algorithm indexes by these, so a list of any other
// length would give every key another name: init refuses it.
const (
	adjectiveCount = 1389
	animalCount    = 1704
)

// words holds the split lists. They are read-only after init and the same
// for every caller, so one copy serves the process.
var adjectives, animals = splitWords(adjectivesText, adjectiveCount), splitWords(animalsText, animalCount)

func splitWords(text string, want int) []string {
	words := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(words) != want {
		panic("alias: embedded word list is damaged") // a build-time fact, caught by the tests
	}
	return words
}

// poly is the feedback polynomial of the register (taps at bits 3, 4, 5, 7).
const poly = 0xB8

// lfsr is a 64-bit Fibonacci shift register: each step shifts left and
// feeds in the parity of the tapped bits.
type lfsr struct{ data uint64 }

func (r *lfsr) next() uint64 {
	var bit uint64
	for i := 0; i < 64; i++ {
		if poly&(uint64(1)<<i) != 0 {
			bit ^= r.data >> i
		}
	}
	r.data = r.data<<1 | bit&1
	return r.data
}

// FromSeed is the name for a register seed. Status seeds with the low 64
// bits of the key's X coordinate; FromSeed exists for that and for the
// upstream vector given as a seed.
func FromSeed(seed uint64) string {
	r := lfsr{data: seed}
	a := adjectives[r.next()%adjectiveCount]
	b := adjectives[r.next()%adjectiveCount]
	c := animals[r.next()%animalCount]
	return a + " " + b + " " + c
}

// Name is the three-word name of a public key.
func Name(pub *ecdsa.PublicKey) string {
	// Status used big.Int.Int64 on X, which keeps the low 64 bits (sign
	// aside, and X is never negative); Uint64 gives the same bits.
	return FromSeed(pub.X.Uint64())
}

// FromKey is the three-word name of a public key written as "0x04…" hex (the
// 0x is optional).
func FromKey(hexKey string) (string, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(hexKey, "0x"), "0X"))
	if err != nil {
		return "", fmt.Errorf("key is not hex: %w", err)
	}
	pub, err := crypto.UnmarshalPubkey(b)
	if err != nil {
		return "", fmt.Errorf("not a public key: %w", err)
	}
	return Name(pub), nil
}
