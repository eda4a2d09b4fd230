// Package keys owns the user's identity on disk: the secp256k1 chat key kept
// as a passphrase-encrypted keystore v3 file in the data dir, the devp2p node
// key kept next to it, and reading the passphrase from a file or a terminal.
//
// The chat key is the user's Status identity: losing it or leaking it cannot
// be undone, so files holding key material are written 0600, never
// overwritten, and only appear on disk once completely written.
package keys
