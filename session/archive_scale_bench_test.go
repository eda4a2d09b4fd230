package session

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
	"github.com/jackc/pgx/v5"

	"hush/codec"
	"hush/store/pgarchive"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// scaleEnv turns BenchmarkArchiveAtScale on; scaleSizeEnv overrides its
// 10,000,000 envelopes (for a quicker look).
const (
	scaleEnv     = "HUSH_BENCH_ARCHIVE_SCALE"
	scaleSizeEnv = "HUSH_BENCH_ARCHIVE_SIZE"
)

// BenchmarkArchiveAtScale: a PostgreSQL archive of 10,000,000 envelopes
// sent over 30 days on 1,000 topics, one of them busy (a tenth of all
// traffic, about 33,000 envelopes a day) and the rest quiet (about 330 a
// day each). Each iteration is a request for one topic's last 24 hours
// through the server (mailserver.Server.Query: range checks, the bloom
// matched against the stored topics, reads of 500 rows, each envelope
// handed over): busy asks the busy topic and gets a full first page of
// 2,000, quiet asks a quiet one and gets its ~330. ms/page is the mean time
// to the whole first page, worst-ms the slowest (the first, on a cold cache).
//
// The archive is bulk-loaded with generate_series in SQL (keys BE32(sent) ‖
// sha256(i) ‖ topic, every row holding the same real sealed envelope), not
// through ArchivePut; the topic index is built after the load. Loading takes
// minutes and about 5 GB, so it runs only with HUSH_BENCH_ARCHIVE_SCALE=1.
func BenchmarkArchiveAtScale(b *testing.B) {
	if os.Getenv(scaleEnv) == "" {
		b.Skipf("set %s=1 to load 10,000,000 envelopes into a PostgreSQL test cluster (minutes, about 5 GB)", scaleEnv)
	}
	n := int64(10_000_000)
	if s := os.Getenv(scaleSizeEnv); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 100_000 {
			b.Fatalf("%s=%q: want a count of at least 100000", scaleSizeEnv, s)
		}
		n = v
	}
	url := pg.Database(b)
	archive, err := pgarchive.Open(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(archive.Close)
	now := time.Now()
	busy, quiet := [4]byte{0xb0, 0, 0, 0}, [4]byte{0xa0, 0, 0, 7}
	loadScaleArchive(b, url, n, now, scaleTemplate(b, now))

	server := mailserver.New(mailserver.Config{RateLimit: -1}, archive, nopSender{})
	defer server.Stop()
	for _, c := range []struct {
		name  string
		topic [4]byte
		want  int
	}{
		{"busy", busy, int(min(mailserver.DefaultRequestLimit, n/10/30*8/10))},
		{"quiet", quiet, int(n / 10 * 9 / 999 / 30 * 8 / 10)}, // at least 80% of a quiet topic's day
	} {
		b.Run(c.name, func(b *testing.B) {
			r := mailformat.Request{Lower: uint32(now.Add(-24 * time.Hour).Unix()), Upper: uint32(now.Unix()),
				Bloom: whisperv6.TopicToBloom(c.topic), Limit: mailserver.DefaultRequestLimit}
			var total, worst time.Duration
			b.ResetTimer()
			for range b.N {
				got := 0
				start := time.Now()
				_, err := server.Query(r, func(env *whisperv6.Envelope) error { got++; return nil })
				took := time.Since(start)
				total, worst = total+took, max(worst, took)
				if err != nil {
					b.Fatal(err)
				}
				if got < c.want || got > mailserver.DefaultRequestLimit {
					b.Fatalf("first page of %d envelopes, want %d to %d", got, c.want, mailserver.DefaultRequestLimit)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}

// scaleTemplate is one real sealed chat envelope, stored in every row.
func scaleTemplate(b *testing.B, now time.Time) []byte {
	b.Helper()
	env := benchSealAll(b, []*whisperv6.MessageParams{{
		TTL: whisper.DefaultTTL, Src: benchKey(b), KeySym: codec.SymKeyFromPassword("bench-a"),
		Topic:   whisperv6.TopicType(codec.TopicFor("bench-a")),
		Payload: benchPayload(b, 1, codec.MessageTypePublic, "bench-a", now),
	}})[0]
	raw, err := rlp.EncodeToBytes(env)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// loadScaleArchive fills the archive with n envelopes sent over the 30 days
// before now, in rising key order, in batches of a million.
func loadScaleArchive(b *testing.B, url string, n int64, now time.Time, raw []byte) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	for _, sql := range []string{
		`SET maintenance_work_mem = '1GB'`,
		`DROP INDEX archive_envelopes_topic_key`,
		`INSERT INTO archive_topics (topic) VALUES ('\xb0000000'::bytea)`,
		`INSERT INTO archive_topics (topic) SELECT '\xa000'::bytea || int2send(t::int2) FROM generate_series(1, 999) AS t`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	newest := now.Add(-time.Minute).Unix()
	const span = 30 * 24 * 3600
	const batch = 1_000_000
	for hi := n - 1; hi >= 0; hi -= batch {
		lo := max(hi-batch+1, 0)
		// Row i was sent i*span/n seconds before the newest; i falls, so keys rise.
		_, err := conn.Exec(ctx, `INSERT INTO archive_envelopes (key, topic, raw)
			SELECT int4send(($1 - i * $2 / $3)::int) || sha256(int8send(i)) || tp, tp, $4::bytea
			FROM (SELECT i, CASE WHEN i % 10 = 0 THEN '\xb0000000'::bytea
			                     ELSE '\xa000'::bytea || int2send((1 + i % 999)::int2) END AS tp
			      FROM generate_series($5::bigint, $6::bigint, -1) AS i) AS s`,
			newest, int64(span), n, raw, hi, lo)
		if err != nil {
			b.Fatalf("bulk load: %v", err)
		}
		b.Logf("loaded %d of %d envelopes in %v", n-lo, n, time.Since(start).Round(time.Second))
	}
	for _, sql := range []string{
		`CREATE INDEX archive_envelopes_topic_key ON archive_envelopes (topic, key)`,
		`VACUUM ANALYZE archive_envelopes`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	var size string
	if err := conn.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('archive_envelopes'))`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	b.Logf("archive of %d envelopes (%s with indexes) ready in %v", n, size, time.Since(start).Round(time.Second))
}

// nopSender drops what a server sends.
type nopSender struct{}

func (nopSender) SendArchived(peerID []byte, raw []byte) error       { return nil }
func (nopSender) SendCompletion(peerID []byte, payload []byte) error { return nil }
