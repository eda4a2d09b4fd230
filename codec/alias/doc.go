// Package alias owns the three-word names Status derived from a public key
// ("Hard Tame Brownbutterfly"): two adjectives and an animal picked by a
// linear-feedback shift register seeded with the key (PROTOCOL.md §9.1),
// and the identicon, a small picture from the key's md5 (§9.4).
//
// The name never goes on the wire; it is a local fingerprint that every
// Status client computes the same way, so people can tell keys apart by
// something they can read aloud. The word lists are embedded data from
// status-protocol-go under MPL-2.0 (LICENSE-words.md).
package alias
