package codec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/pbkdf2"
)

// vectorDir holds the vector files; PROTOCOL.md §6 says which holds what.
const vectorDir = "../testdata/codec"

func loadVectors(t testing.TB, name string, into any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("bad hex in vectors %q: %v", s, err)
	}
	return b
}

func unixMilli(ms int64) time.Time { return time.UnixMilli(ms) }

type cryptoVectors struct {
	Source string `json:"_source"`
	Topics []struct {
		Name      string `json:"name"`
		Topic     string `json:"topic"`
		BloomBits []int  `json:"bloom_bits"`
	} `json:"topics"`
	Blooms []struct {
		Topics []string `json:"topics"`
		Bloom  string   `json:"bloom"`
	} `json:"blooms"`
	SymKeys []struct {
		Password string `json:"password"`
		Key      string `json:"key"`
	} `json:"symkeys"`
	SymKey65536 struct {
		Password   string `json:"password"`
		Iterations int    `json:"iterations"`
		Key        string `json:"key"`
	} `json:"symkey_65536"`
	Identities []struct {
		Seed       string `json:"seed"`
		Priv       string `json:"priv"`
		Pub        string `json:"pub"`
		Compressed string `json:"compressed"`
	} `json:"identities"`
}

func TestTopics(t *testing.T) {
	var v cryptoVectors
	loadVectors(t, "crypto.json", &v)
	for _, tc := range v.Topics {
		got := TopicFor(tc.Name)
		if got.String() != tc.Topic {
			t.Errorf("TopicFor(%q) = %s, want %s", tc.Name, got, tc.Topic)
		}
		if tc.BloomBits == nil {
			continue
		}
		idx := bloomIndices(got)
		if len(tc.BloomBits) != len(idx) || idx[0] != tc.BloomBits[0] || idx[1] != tc.BloomBits[1] || idx[2] != tc.BloomBits[2] {
			t.Errorf("bloom bits of %q = %v, want %v", tc.Name, idx, tc.BloomBits)
		}
		// The bloom of one topic whose three bits sit in different bytes
		// has exactly those bits set.
		bloom := Bloom(got)
		for bit := 0; bit < 8*BloomBytes; bit++ {
			set := bloom[bit/8]&(1<<(bit%8)) != 0
			want := bit == tc.BloomBits[0] || bit == tc.BloomBits[1] || bit == tc.BloomBits[2]
			if set != want {
				t.Errorf("Bloom(%q) bit %d = %v, want %v", tc.Name, bit, set, want)
			}
		}
	}
	if got := TopicFor(DiscoveryTopicName).String(); got != "0xf8946aac" {
		t.Errorf("discovery topic = %s", got)
	}
}

func TestBloom(t *testing.T) {
	var v cryptoVectors
	loadVectors(t, "crypto.json", &v)
	for _, tc := range v.Blooms {
		var topics []Topic
		for _, name := range tc.Topics {
			topics = append(topics, TopicFor(name))
		}
		if got := hex.EncodeToString(Bloom(topics...)); got != tc.Bloom {
			t.Errorf("Bloom(%v) =\n %s\nwant\n %s", tc.Topics, got, tc.Bloom)
		}
	}
	if got := Bloom(); len(got) != BloomBytes || !bytes.Equal(got, make([]byte, BloomBytes)) {
		t.Errorf("Bloom() = %x, want 64 zero bytes", got)
	}
}

// TestBloomAssignsWithinTopic checks the whisperv6 quirk: two indices of one
// topic in the same byte leave only the later bit, while the same bits from
// two topics are OR-ed.
func TestBloomAssignsWithinTopic(t *testing.T) {
	// Indices 1, 2 and 3 (topic[3] = 0 keeps them below 256): all in byte 0.
	same := Topic{1, 2, 3, 0}
	got := Bloom(same)
	if got[0] != 1<<3 {
		t.Errorf("Bloom(%v)[0] = %08b, want only bit 3", same, got[0])
	}
	both := Bloom(Topic{1, 9, 17, 0}, Topic{2, 10, 18, 0})
	if both[0] != 0b110 || both[1] != 0b110 || both[2] != 0b110 {
		t.Errorf("bytes 0..2 of two topics = %08b %08b %08b, want bits 1 and 2 in each", both[0], both[1], both[2])
	}
	// topic[3] bit j moves index j into the upper half.
	high := bloomIndices(Topic{0, 0, 0, 0b101})
	if high != [3]int{256, 0, 256} {
		t.Errorf("bloomIndices = %v, want [256 0 256]", high)
	}
}

func TestSymKeyFromPassword(t *testing.T) {
	var v cryptoVectors
	loadVectors(t, "crypto.json", &v)
	for _, tc := range v.SymKeys {
		if got := hex.EncodeToString(SymKeyFromPassword(tc.Password)); got != tc.Key {
			t.Errorf("SymKeyFromPassword(%q) = %s, want %s", tc.Password, got, tc.Key)
		}
	}
	// The 65536 vector pins the iteration count: that is the common value,
	// and the wrong one.
	neg := v.SymKey65536
	wrong := pbkdf2.Key([]byte(neg.Password), nil, neg.Iterations, 32, sha256.New)
	if hex.EncodeToString(wrong) != neg.Key {
		t.Fatalf("pbkdf2 with %d iterations = %x, want %s (vector or library broken)", neg.Iterations, wrong, neg.Key)
	}
	if bytes.Equal(SymKeyFromPassword(neg.Password), wrong) {
		t.Errorf("SymKeyFromPassword(%q) used %d iterations", neg.Password, neg.Iterations)
	}
}

func TestIdentities(t *testing.T) {
	var v cryptoVectors
	loadVectors(t, "crypto.json", &v)
	for _, id := range v.Identities {
		seed := crypto.Keccak256([]byte(id.Seed))
		if id.Priv != "" && "0x"+hex.EncodeToString(seed) != id.Priv {
			t.Errorf("keccak256(%q) = %x, want %s", id.Seed, seed, id.Priv)
		}
		priv, err := crypto.ToECDSA(seed)
		if err != nil {
			t.Fatalf("key from %q: %v", id.Seed, err)
		}
		if got := PublicKeyHex(&priv.PublicKey); got != id.Pub {
			t.Errorf("PublicKeyHex(%s) = %s, want %s", id.Seed, got, id.Pub)
		}
		if id.Compressed != "" {
			if got := "0x" + hex.EncodeToString(crypto.CompressPubkey(&priv.PublicKey)); got != id.Compressed {
				t.Errorf("compressed %s = %s, want %s", id.Seed, got, id.Compressed)
			}
		}
		parsed, err := ParsePublicKey(id.Pub)
		if err != nil {
			t.Fatalf("ParsePublicKey(%s): %v", id.Seed, err)
		}
		if parsed.X.Cmp(priv.X) != 0 || parsed.Y.Cmp(priv.Y) != 0 {
			t.Errorf("ParsePublicKey(%s) gave another point", id.Seed)
		}
	}
}

type clockVectors struct {
	Source string `json:"_source"`
	Send   []struct {
		Last  int64 `json:"last"`
		NowMS int64 `json:"now_ms"`
		Want  int64 `json:"want"`
	} `json:"send"`
	Max []struct {
		NowMS int64 `json:"now_ms"`
		Want  int64 `json:"want"`
	} `json:"max"`
	Receive []struct {
		Last  int64 `json:"last"`
		Msg   int64 `json:"msg"`
		NowMS int64 `json:"now_ms"`
		Want  int64 `json:"want"`
	} `json:"receive"`
}

func TestClocks(t *testing.T) {
	var v clockVectors
	loadVectors(t, "clocks.json", &v)
	for _, tc := range v.Send {
		if got := NextClock(tc.Last, unixMilli(tc.NowMS)); got != tc.Want {
			t.Errorf("NextClock(%d, %d) = %d, want %d", tc.Last, tc.NowMS, got, tc.Want)
		}
	}
	for _, tc := range v.Max {
		if got := MaxClock(unixMilli(tc.NowMS)); got != tc.Want {
			t.Errorf("MaxClock(%d) = %d, want %d", tc.NowMS, got, tc.Want)
		}
	}
	for _, tc := range v.Receive {
		if got := ReceivedClock(tc.Last, tc.Msg, unixMilli(tc.NowMS)); got != tc.Want {
			t.Errorf("ReceivedClock(%d, %d, %d) = %d, want %d", tc.Last, tc.Msg, tc.NowMS, got, tc.Want)
		}
	}
}

func TestNextClockSaturates(t *testing.T) {
	const maxInt64 = 1<<63 - 1
	if got := NextClock(maxInt64, unixMilli(1)); got != maxInt64 {
		t.Errorf("NextClock(MaxInt64) = %d, want no wrap", got)
	}
}
