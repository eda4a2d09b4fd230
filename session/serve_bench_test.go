package session

import (
	"testing"

	"hush/store/pgarchive"
	"hush/whisper/mailserver"
)

// BenchmarkServe: the same 100,000 envelopes (3 chats, the last two hours)
// held by go-ethereum v1.9.15's WMailServer (leveldb) and by hush's server
// on each of its archives, SQLite and PostgreSQL (a throwaway local
// cluster, store/pgtest). A bare node asks each for everything and drops
// what comes (benchServe, as serve-hush/serve-geth of BenchmarkCatchUp), so
// the server is the bottleneck; each row reports serve-env/s, envelopes over
// the server's busy time. The servers take turns, geth first, so the ratios
// come from one run on the same machine load. geth-stock is geth's server on
// go-ethereum's own rlpx connections, as a geth node runs it; geth is the
// same server on hush's coalesced connections (whisper/coalesce.go), which
// every hush node, and so hush serve, uses.
func BenchmarkServe(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	envs := catchUpEnvelopes(b, n)
	gethStock := newBenchGethServerOn(b, "geth-stock", envs, true)
	geth := newBenchGethServer(b, envs)
	sqlite := newBenchHushServer(b, envs, mailserver.Config{RateLimit: -1})
	pgArchive, err := pgarchive.Open(pg.Database(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pgArchive.Close)
	postgres := newBenchHushServerOn(b, "hush-postgres", pgArchive, envs, mailserver.Config{RateLimit: -1})

	b.Run("geth-stock", func(b *testing.B) { benchServe(b, gethStock, n) })
	b.Run("geth", func(b *testing.B) { benchServe(b, geth, n) })
	b.Run("hush-sqlite", func(b *testing.B) { benchServe(b, sqlite, n) })
	b.Run("hush-postgres", func(b *testing.B) { benchServe(b, postgres, n) })
}
