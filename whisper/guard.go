package whisper

import (
	"fmt"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// Why a guard: whisperv6 v1.9.15's ReceivedMessage.ValidateAndParse slices
// the decrypted plaintext by its declared payload size without checking
// the size fits (flags 0x01, size 5, four bytes of payload panics). It runs
// on whisperv6's queue goroutine, where nobody can recover, whenever one of
// our filters opens an envelope. Public chat keys are public and anyone can
// encrypt to our key, so anyone could crash hush with one envelope.
// Envelopes on our topics are therefore opened here first, and those a key
// of ours opens to a malformed plaintext are never handed to whisperv6
// (nor forwarded).
//
// Known gap: an envelope that passed the guard just before a new
// subscription on its topic, and was still in whisperv6's queue when the
// filter was installed, is opened unchecked. whisperv6 offers no way to
// wait for its queue to drain.

// signedFlag and sizeMask are whisperv6's plaintext flag bits.
const (
	signedFlag      = 0x04
	sizeFieldMask   = 0x03
	signatureLength = 65
)

// poisoned opens env with each key subscribed to its topic; when one opens
// it, it returns why the plaintext must not reach whisperv6 ("" if fine).
func (s *subscriptions) poisoned(env *whisperv6.Envelope) string {
	for _, sub := range s.forTopic(env.Topic) {
		var (
			msg *whisperv6.ReceivedMessage
			err error
		)
		if sub.key != nil {
			msg, err = env.OpenAsymmetric(sub.key)
		} else {
			msg, err = env.OpenSymmetric(sub.symKey)
		}
		if err != nil || msg == nil {
			continue // not for this key
		}
		return plaintextProblem(msg.Raw)
	}
	return ""
}

// plaintextProblem checks the layout flags(1) ‖ size(n LE) ‖ payload ‖
// padding ‖ [signature(65)] the way ValidateAndParse reads it, and says
// what is wrong, or "" when ValidateAndParse can read it safely.
func plaintextProblem(raw []byte) string {
	if len(raw) == 0 {
		return "empty plaintext"
	}
	end := len(raw)
	if raw[0]&signedFlag != 0 {
		end -= signatureLength
		if end <= 1 {
			return fmt.Sprintf("signed plaintext of %d bytes", len(raw))
		}
	}
	sizeLen := int(raw[0] & sizeFieldMask)
	if sizeLen == 0 {
		return ""
	}
	if 1+sizeLen > end {
		return fmt.Sprintf("size field of %d bytes does not fit %d bytes", sizeLen, end)
	}
	size := 0
	for i := sizeLen; i >= 1; i-- {
		size = size<<8 | int(raw[i])
	}
	if 1+sizeLen+size > end {
		return fmt.Sprintf("declared payload of %d bytes does not fit %d bytes", size, end)
	}
	return ""
}
