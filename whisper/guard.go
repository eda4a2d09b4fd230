package whisper

import "fmt"

// Why a guard: whisperv6 v1.9.15's ReceivedMessage.ValidateAndParse slices
// the decrypted plaintext by its declared payload size without checking
// the size fits (flags 0x01, size 5, four bytes of payload panics). It runs
// on whisperv6's queue goroutine, where nobody can recover, whenever a
// whisperv6 filter opens an envelope. Public chat keys are public and
// anyone can encrypt to our key, so anyone could crash a node that gives
// whisperv6 its keys with one envelope.
//
// hush therefore gives whisperv6 no key and no filter: it opens envelopes
// itself and reads plaintexts with plaintextProblem and readPlaintext
// (open.go), whichever way and whenever they arrive (receive.go). An
// envelope whose plaintext under one of our keys is malformed is not
// delivered and, when the screen sees it first, not relayed either.

// signedFlag and sizeFieldMask are whisperv6's plaintext flag bits.
const (
	signedFlag      = 0x04
	sizeFieldMask   = 0x03
	signatureLength = 65
)

// plaintextProblem checks the layout flags(1) ‖ size(n LE) ‖ payload ‖
// padding ‖ [signature(65)] the way ValidateAndParse reads it, and says
// what is wrong, or "" when it is well formed (and ValidateAndParse could
// read it safely).
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
