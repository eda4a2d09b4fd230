package alias

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// The upstream vectors (status-protocol-go identity/alias tests, PROTOCOL.md §9).
const (
	vectorKey  = "0x04eedbaafd6adf4a9233a13e7b1c3c14461fffeba2e9054b8d456ce5f6ebeafadcbf3dce3716253fbc391277fa5a086b60b283daf61fb5b1f26895f456c2f31ae3"
	vectorName = "Darkorange Blue Bubblefish"
)

func TestFromSeedVector(t *testing.T) {
	if got := FromSeed(42); got != "Hard Tame Brownbutterfly" {
		t.Fatalf("FromSeed(42) = %q, want %q", got, "Hard Tame Brownbutterfly")
	}
}

func TestFromKeyVector(t *testing.T) {
	got, err := FromKey(vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorName {
		t.Fatalf("FromKey = %q, want %q", got, vectorName)
	}
	// The seed upstream reports for this key: the name goes through the
	// key's X coordinate, not just through FromSeed.
	b, _ := hex.DecodeString(vectorKey[2:])
	pub, err := crypto.UnmarshalPubkey(b)
	if err != nil {
		t.Fatal(err)
	}
	if seed := pub.X.Uint64(); seed != 5002626134784539356 {
		t.Fatalf("seed = %d, want 5002626134784539356", seed)
	}
	if got := Name(pub); got != vectorName {
		t.Fatalf("Name = %q, want %q", got, vectorName)
	}
	if got, err := FromKey(strings.TrimPrefix(vectorKey, "0x")); err != nil || got != vectorName {
		t.Fatalf("FromKey without 0x = %q, %v", got, err)
	}
}

func TestFromKeyRejects(t *testing.T) {
	for _, in := range []string{"", "0x", "0xzz", "0x04abcd", vectorKey[:len(vectorKey)-2] + "00"} {
		if name, err := FromKey(in); err == nil {
			t.Errorf("FromKey(%q) = %q, want an error", in, name)
		}
	}
}

// The lists are what the algorithm indexes: one changed or moved word gives
// many keys another name than every other Status client shows.
func TestWordListChecksums(t *testing.T) {
	for _, c := range []struct {
		name, text, sum string
		words           []string
		count           int
	}{
		{"adjectives.txt", adjectivesText, "073e0881b0c90485c437ca00ac1d77afb14c1b575a6d1901c259c1546cceda4b", adjectives, 1389},
		{"animals.txt", animalsText, "d53074a2d18d91ce44aab57a2e99e43fff44430ebf2c51ab78889c3538997949", animals, 1704},
	} {
		sum := sha256.Sum256([]byte(c.text))
		if got := hex.EncodeToString(sum[:]); got != c.sum {
			t.Errorf("%s: sha256 %s, want %s", c.name, got, c.sum)
		}
		if len(c.words) != c.count {
			t.Errorf("%s: %d words, want %d", c.name, len(c.words), c.count)
		}
		for i, w := range c.words {
			if w == "" || strings.ContainsAny(w, " \r\t") {
				t.Errorf("%s: word %d is %q", c.name, i, w)
			}
		}
	}
}

// Names are three capitalised words, and different keys mostly get
// different names.
func TestNamesOfRandomKeys(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		name := Name(&k.PublicKey)
		words := strings.Split(name, " ")
		if len(words) != 3 {
			t.Fatalf("name %q is not three words", name)
		}
		for _, w := range words {
			if w[0] < 'A' || w[0] > 'Z' {
				t.Fatalf("name %q: word %q is not capitalised", name, w)
			}
		}
		seen[name] = true
	}
	if len(seen) < 195 {
		t.Fatalf("200 keys gave only %d names", len(seen))
	}
}

func BenchmarkFromKey(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := FromKey(vectorKey); err != nil {
			b.Fatal(err)
		}
	}
}
