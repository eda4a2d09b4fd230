package codec

import (
	"crypto/ecdsa"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// The one-to-one topic vectors of PROTOCOL.md §7.x, byte-exact: the keys
// are those of Status's own filter tests.
func TestOneToOneTopicVectors(t *testing.T) {
	cases := []struct {
		priv        string
		partition   int
		partitioned string
		contactCode string
		personal    string // "" when the vector does not give it
	}{
		{"c6cbd7d76bc5baca530c875663711b947efa6a86a900a9e8645ce32e5821484e", 4490, "e1240bce", "a6acec27", "299cb662"},
		{"d51dd64ad19ea84968a308dca246012c00d2b2101d41bce740acd1c650acc509", 3991, "59cbac69", "04df7a10", ""},
	}
	for _, c := range cases {
		key, err := crypto.HexToECDSA(c.priv)
		if err != nil {
			t.Fatal(err)
		}
		pub := &key.PublicKey
		if got := Partition(pub); got != c.partition {
			t.Errorf("%s…: partition %d, want %d", c.priv[:8], got, c.partition)
		}
		if got, want := PartitionedTopicName(pub), "contact-discovery-"+strconv.Itoa(c.partition); got != want {
			t.Errorf("partitioned name %q, want %q", got, want)
		}
		if got := TopicFor(PartitionedTopicName(pub)); got.String() != "0x"+c.partitioned {
			t.Errorf("%s…: partitioned topic %s, want 0x%s", c.priv[:8], got, c.partitioned)
		}
		name := ContactCodeTopicName(pub)
		if !strings.HasPrefix(name, "0x04") || !strings.HasSuffix(name, "-contact-code") || len(name) != 2+130+len("-contact-code") {
			t.Errorf("contact-code name %q has the wrong shape", name)
		}
		if got := TopicFor(name); got.String() != "0x"+c.contactCode {
			t.Errorf("%s…: contact-code topic %s, want 0x%s", c.priv[:8], got, c.contactCode)
		}
		if c.personal != "" {
			if got := TopicFor(PersonalTopicName(pub)); got.String() != "0x"+c.personal {
				t.Errorf("%s…: personal topic %s, want 0x%s", c.priv[:8], got, c.personal)
			}
		}
	}
}

// The negotiated topic between keccak256("alice-identity") and
// keccak256("bob-identity"): the shared secret is ECDH over secp256k1 (the
// X coordinate of a·B), the same from both sides.
func TestNegotiatedTopicVector(t *testing.T) {
	alice, err := crypto.ToECDSA(crypto.Keccak256([]byte("alice-identity")))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := crypto.ToECDSA(crypto.Keccak256([]byte("bob-identity")))
	if err != nil {
		t.Fatal(err)
	}
	ab := ecdhX(alice, &bob.PublicKey)
	ba := ecdhX(bob, &alice.PublicKey)
	const want = "091dfd32b39799a0967e4cc4d517625c3de23d0a430e354195fce46a3eb7274a"
	if hex.EncodeToString(ab) != want || hex.EncodeToString(ba) != want {
		t.Fatalf("shared secret %x / %x, want %s", ab, ba, want)
	}
	name := NegotiatedTopicName(ab)
	if name != want {
		t.Fatalf("negotiated name %q, want the secret's lower-case hex", name)
	}
	if got := TopicFor(name); got.String() != "0x79abb38e" {
		t.Errorf("negotiated topic %s, want 0x79abb38e", got)
	}
	key := hex.EncodeToString(SymKeyFromPassword(name))
	if !strings.HasPrefix(key, "02139275") || !strings.HasSuffix(key, "4447") || len(key) != 64 {
		t.Errorf("negotiated key %s, want 02139275…4447", key)
	}
}

// ecdhX is secp256k1 Diffie-Hellman as Status computed it: the 32-byte X
// coordinate of priv·pub, through go-ethereum's ECIES.
func ecdhX(priv *ecdsa.PrivateKey, pub *ecdsa.PublicKey) []byte {
	sk, err := ecies.ImportECDSA(priv).GenerateShared(ecies.ImportECDSAPublic(pub), 16, 16)
	if err != nil {
		panic(err)
	}
	return sk
}
