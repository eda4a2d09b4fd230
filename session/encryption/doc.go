// Package encryption is the end-to-end layer between the Whisper transport
// and the chat payload (PROTOCOL.md §7): the 2019 Status scheme of X3DH
// over signed prekey bundles, a double ratchet on secp256k1, and a DH
// fallback for peers whose bundle is unknown.
//
// It owns the wire types (protocol_message.proto, generated code committed),
// the key agreement and ratchet, bundle signing and rotation, and the
// per-installation sessions, which it keeps sealed in a KV given by the
// caller. It never imports session, ui or store; the session calls Encrypt
// before sealing an envelope and Decrypt after opening one.
package encryption
