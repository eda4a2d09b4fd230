package mailserver

import (
	"errors"
	"math"
	"strings"
	"testing"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// For the envelopes whisperv6 can score, requestPoW is its score.
func TestRequestPoWMatchesWhisper(t *testing.T) {
	for i, env := range []*whisperv6.Envelope{
		sealRequest(t, chatKey("k"), alice(t), []byte("payload")),
		chatEnvelope(t, "status", baseTime, "hello"),
		{Expiry: baseTime, TTL: 1, Data: nil, Nonce: 7},
		{Expiry: math.MaxUint32, TTL: maxRequestTTL, Topic: topicOf("x"), Data: make([]byte, 5000), Nonce: math.MaxUint64},
	} {
		got, err := requestPoW(env)
		if err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		if want := wireCopy(t, env).PoW(); got != want {
			t.Fatalf("envelope %d: PoW %v, whisperv6 says %v", i, got, want)
		}
	}
}

func TestRequestPoWRefusesDegenerateEnvelopes(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  whisperv6.Envelope
		want string
	}{
		{"TTL 0", whisperv6.Envelope{Expiry: baseTime, TTL: 0, Data: []byte("x")}, "TTL 0"},
		{"TTL 0, no data", whisperv6.Envelope{Expiry: 0, TTL: 0}, "TTL 0"},
		{"TTL past a day", whisperv6.Envelope{Expiry: baseTime, TTL: maxRequestTTL + 1, Data: []byte("x")}, "TTL 86401s above"},
		{"TTL max", whisperv6.Envelope{Expiry: baseTime, TTL: math.MaxUint32, Data: []byte("x")}, "TTL 4294967295s above"},
	} {
		env := tc.env
		if pow := env.PoW(); tc.env.TTL == 0 && !math.IsInf(pow, 1) {
			t.Fatalf("%s: whisperv6 scores %v; the test assumes +Inf", tc.name, pow)
		}
		env = tc.env
		err := checkPoW(&env, DefaultMinPoW)
		if err == nil || !errors.Is(err, errPoW) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a PoW refusal naming %q", tc.name, err, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "PoW too low: ") {
			t.Errorf("%s: %q does not start as every PoW refusal does", tc.name, err)
		}
	}
}

// Over the server's own entry point, as a client would send them: no
// envelope of the archive goes out for a degenerate request.
func TestServeRefusesDegenerateTTL(t *testing.T) {
	h := newHarness(t, Config{})
	h.store(chatEnvelope(t, "status", baseTime-10, "secret history"))
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)
	for _, ttl := range []uint32{0, maxRequestTTL + 1, math.MaxUint32} {
		req := sealRequest(t, h.key, h.client, payload)
		req.TTL = ttl
		h.refused("peer-a", wireCopy(t, req), "PoW too low")
	}
	// Sealed (to the minimum PoW) for the longest TTL taken, it is served.
	_, got, c := h.ask("peer-a", payload)
	if c.Err != "" || len(got) != 1 {
		t.Fatalf("TTL 50: %d envelopes, %+v", len(got), c)
	}
	req := sealRequestTTL(t, h.key, h.client, payload, maxRequestTTL)
	h.s.serve([]byte("peer-a"), req)
	got, completions, _ := h.sender.take("peer-a")
	if len(completions) != 1 || completions[0].Err != "" || len(got) != 1 {
		t.Fatalf("TTL %d: %d envelopes, %+v", maxRequestTTL, len(got), completions)
	}
}
