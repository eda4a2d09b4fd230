// Package mailserver owns the server side of Whisper offline messaging
// (codes 125/126/127 inside shh/6): the archive key layout (Key,
// BloomMatch) and the Server behind `hush serve` that archives every
// envelope the node sees and answers history requests from peers.
//
// The wire formats it reads and writes (requests, cursors, completions)
// live in package mailformat, which the client side shares; no client code
// imports this package. The Server plugs into whisperv6 as its MailServer
// and reaches peers through a Sender.
//
// The Server keeps envelopes in an Archive: hush's SQLite store by default,
// or store/pgarchive's PostgreSQL database, which several servers may share
// (PROTOCOL.md §11). It reads a page with row limits, through the archive's
// topic index when the request's bloom selects some of the stored topics,
// and sends each envelope as stored, without decoding it.
//
// Requests come from any peer and are treated as hostile. A request is
// refused, with an ERROR= completion, when its envelope's proof of work is
// below Config.MinPoW or is no number of work at all (whisperv6 divides by
// the TTL, so TTL 0 would score infinite), when it does not decrypt with
// the server key, is unsigned or malformed, when the peer is past its rate
// limit, or when its time range is inverted or longer than MaxRange plus
// RangeTolerance. Each peer has one request in flight; more are dropped.
// Refusals are logged as the first of each peer's minute and then one line
// of counts per kind, so a flood costs two lines a minute.
//
// A fresh request spends a rate-limit token; the next page of it (the same
// range and topics with the cursor the server last issued to that peer) is
// free. Cursors only move forward, so a chain of pages ends.
//
// The archive never drops an envelope whisperv6 accepted: when its writer
// falls behind, Archive waits, slowing the sending peer (a node's batch
// acknowledgement may tell a sender its envelopes are stored). Write
// failures are logged as errors and counted; Server.Stats has the counters
// and the archive's size, which the server also logs once a minute when
// they change and Stats.WritePrometheus writes for a metrics endpoint.
package mailserver
