package encryption

import "errors"

// Errors of Decrypt; they are wrapped with the reason, so test with errors.Is.
var (
	// ErrNotForThisDevice: the message has no entry for our installation nor
	// a DH fallback entry. The caller may answer with BundleMessage
	// (rate-limited, PROTOCOL.md §7.9).
	ErrNotForThisDevice = errors.New("message not encrypted for this device")
	// ErrReplay: the message key was used already, or is older than the
	// chain and was not kept as skipped.
	ErrReplay = errors.New("message already received")
	// ErrTampered: authentication failed.
	ErrTampered = errors.New("message failed authentication")
	// ErrNoSession: a double ratchet header for a session we do not have.
	ErrNoSession = errors.New("no session for the message")
	// ErrTooManySkipped: more than MaxSkip messages would be skipped.
	ErrTooManySkipped = errors.New("too many skipped messages")
	// ErrBadBundle: a bundle that is malformed or whose signature does not
	// verify.
	ErrBadBundle = errors.New("bad bundle")
	// ErrMalformed: a ProtocolMessage whose headers or keys are the wrong
	// shape or size.
	ErrMalformed = errors.New("malformed encrypted message")
)
