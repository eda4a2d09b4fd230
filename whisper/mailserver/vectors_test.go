package mailserver

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

const vectorsPath = "../../testdata/mailserver/vectors.txt"

// loadVectors reads the "name hex" lines of the vector file.
func loadVectors(t *testing.T) map[string][]byte {
	t.Helper()
	f, err := os.Open(vectorsPath)
	if err != nil {
		t.Fatalf("open vectors: %v", err)
	}
	defer f.Close()
	vectors := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		b, err := hex.DecodeString(strings.Join(fields[1:], ""))
		if err != nil {
			t.Fatalf("vector %s: %v", fields[0], err)
		}
		vectors[fields[0]] = b
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	return vectors
}

func vector(t *testing.T, v map[string][]byte, name string) []byte {
	t.Helper()
	b, ok := v[name]
	if !ok {
		t.Fatalf("vector %q missing", name)
	}
	return b
}

// topicOf is PROTOCOL.md §3.1: keccak256(utf8(name))[0:4].
func topicOf(name string) whisperv6.TopicType {
	return whisperv6.BytesToTopic(crypto.Keccak256([]byte(name))[:4])
}

// bloomByRule is PROTOCOL.md §3.1 written out independently of whisperv6: each of the
// three indices assigns (not ORs) its byte.
func bloomByRule(topic [4]byte) []byte {
	b := make([]byte, mailformat.BloomLength)
	for j := 0; j < 3; j++ {
		idx := int(topic[j]) + 256*int((topic[3]>>j)&1)
		b[idx/8] = 1 << (idx % 8)
	}
	return b
}

func orBlooms(blooms ...[]byte) []byte {
	out := make([]byte, mailformat.BloomLength)
	for _, b := range blooms {
		for i := range out {
			out[i] |= b[i]
		}
	}
	return out
}

func u32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
