package encryption

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// BenchmarkVsECIES times the double ratchet and ECIES interleaved, one
// message of each per iteration, so that both see the same load on a
// shared machine; the ratio is the number to quote. Run:
//
//	go test ./session/encryption -run '^$' -bench '^BenchmarkVsECIES$' -benchtime 5000x -count 3
//
// Metrics: dr-µs and ecies-µs per message, and dr/ecies.
func BenchmarkVsECIES(b *testing.B) {
	prv := ecies.ImportECDSA(keccakKey(b, "bob-identity"))
	eciesBoth := func() {
		ct, err := ecies.Encrypt(rand.Reader, &prv.PublicKey, benchPayload, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := prv.Decrypt(ct, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	eciesCT, err := ecies.Encrypt(rand.Reader, &prv.PublicKey, benchPayload, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	eciesOpen := func() {
		if _, err := prv.Decrypt(eciesCT, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B, dr, ec time.Duration, n int) {
		b.ReportMetric(float64(dr)/1e3/float64(n), "dr-µs")
		b.ReportMetric(float64(ec)/1e3/float64(n), "ecies-µs")
		b.ReportMetric(float64(dr)/float64(ec), "dr/ecies")
	}

	// Encrypt + decrypt, messages one way (a chain step each), against
	// ECIES encrypt + decrypt.
	b.Run("one-way", func(b *testing.B) {
		alice, bob := established(b)
		var dr, ec time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			out, err := alice.p.Encrypt(bob.pub(), benchPayload)
			if err == nil {
				_, err = bob.p.Decrypt(alice.pub(), out.Wire)
			}
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			eciesBoth()
			dr, ec, n = dr+t1.Sub(t0), ec+time.Since(t1), n+1
		}
		report(b, dr, ec, n)
	})
	// The same with turns taken: a DH ratchet step on every receipt.
	b.Run("alternating", func(b *testing.B) {
		alice, bob := established(b)
		from, to := alice, bob
		var dr, ec time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			out, err := from.p.Encrypt(to.pub(), benchPayload)
			if err == nil {
				_, err = to.p.Decrypt(from.pub(), out.Wire)
			}
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			eciesBoth()
			dr, ec, n = dr+t1.Sub(t0), ec+time.Since(t1), n+1
			from, to = to, from
		}
		report(b, dr, ec, n)
	})
	// Receiving only (what ingest and catch-up add to opening the
	// envelope): Protocol.Decrypt against ECIES decryption.
	b.Run("receive", func(b *testing.B) {
		alice, bob := established(b)
		var dr, ec time.Duration
		n := 0
		for b.Loop() {
			out, err := alice.p.Encrypt(bob.pub(), benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if _, err := bob.p.Decrypt(alice.pub(), out.Wire); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			eciesOpen()
			dr, ec, n = dr+t1.Sub(t0), ec+time.Since(t1), n+1
		}
		report(b, dr, ec, n)
	})
}
