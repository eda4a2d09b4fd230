package codec

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"
)

type pubKeyVectors struct {
	Source string `json:"_source"`
	Valid  []struct {
		In    string `json:"in"`
		Want  string `json:"want"`
		Short string `json:"short"`
	} `json:"valid"`
	Invalid []struct {
		In  string `json:"in"`
		Err string `json:"err"`
	} `json:"invalid"`
}

func TestParsePublicKey(t *testing.T) {
	var v pubKeyVectors
	loadVectors(t, "pubkeys.json", &v)
	for _, tc := range v.Valid {
		pub, err := ParsePublicKey(tc.In)
		if err != nil {
			t.Errorf("ParsePublicKey(%.12s…): %v", tc.In, err)
			continue
		}
		got := PublicKeyHex(pub)
		if got != tc.Want {
			t.Errorf("PublicKeyHex(ParsePublicKey(%.12s…)) = %s, want %s", tc.In, got, tc.Want)
		}
		if s := ShortKey(got); s != tc.Short {
			t.Errorf("ShortKey(%s) = %s, want %s", got, s, tc.Short)
		}
	}
	for _, tc := range v.Invalid {
		pub, err := ParsePublicKey(tc.In)
		if err == nil || !strings.Contains(err.Error(), tc.Err) {
			t.Errorf("ParsePublicKey(%.16q…) = %v, %v; want error containing %q", tc.In, pub, err, tc.Err)
		}
	}
}

func TestPublicKeyHexUnusable(t *testing.T) {
	tooBig := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, pub := range []*ecdsa.PublicKey{nil, {}, {X: big.NewInt(1)}, {X: tooBig, Y: big.NewInt(1)}, {X: big.NewInt(-1), Y: big.NewInt(1)}} {
		if got := PublicKeyHex(pub); got != "" {
			t.Errorf("PublicKeyHex(%v) = %q, want \"\"", pub, got)
		}
	}
	// Small coordinates are padded to 32 bytes each.
	got := PublicKeyHex(&ecdsa.PublicKey{X: big.NewInt(1), Y: big.NewInt(2)})
	if want := "0x04" + strings.Repeat("0", 63) + "1" + strings.Repeat("0", 63) + "2"; got != want {
		t.Errorf("PublicKeyHex(1, 2) = %s", got)
	}
}

func TestShortKey(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"0x04abcd":      "0x04abcd",
		"0x04abcdef1":   "0x04abcdef1",
		"0x04abcdef12":  "0x04ab…ef12",
		"0x04abcdef123": "0x04ab…f123",
	} {
		if got := ShortKey(in); got != want {
			t.Errorf("ShortKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageIDInputs(t *testing.T) {
	pub := senderKey(t, "alice")
	payload := []byte("payload")
	id := MessageID(pub, payload)
	if id == MessageID(pub, []byte("payloae")) || id == MessageID(senderKey(t, "bob"), payload) {
		t.Error("MessageID ignores part of its input")
	}
	// The boundary between key and payload is not part of the hash: the id
	// is of the concatenation.
	joined := append(append([]byte{}, pub...), payload...)
	if id != MessageID(joined[:10], joined[10:]) {
		t.Error("MessageID is not keccak256 of the concatenation")
	}
}
