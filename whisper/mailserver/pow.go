package mailserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// maxRequestTTL is the longest TTL a request envelope may carry. Clients
// seal requests with TTLs of tens of seconds (status-go uses 50); a request
// is answered at once and never relayed, so nothing needs more.
const maxRequestTTL = 24 * 60 * 60

// errPoW starts every refusal for the request's proof of work, so that
// they share one line in the refusal summary.
var errPoW = errors.New("PoW too low")

// requestPoW is the Whisper v6 proof of work of a request envelope, as
// whisperv6 scores envelopes (2^leading zero bits of keccak256(rlp without
// nonce ‖ nonce) divided by that RLP's length and the TTL), but refusing
// the values whose score is no number of work: whisperv6 divides by the
// TTL, so a TTL of 0 scores +Inf and would pass any minimum.
func requestPoW(env *whisperv6.Envelope) (float64, error) {
	if env.TTL == 0 {
		return 0, fmt.Errorf("%w: TTL 0 gives no PoW", errPoW)
	}
	if env.TTL > maxRequestTTL {
		return 0, fmt.Errorf("%w: TTL %ds above %ds", errPoW, env.TTL, maxRequestTTL)
	}
	body, err := rlp.EncodeToBytes([]interface{}{env.Expiry, env.TTL, env.Topic, env.Data})
	if err != nil {
		return 0, fmt.Errorf("%w: envelope does not encode: %v", errPoW, err)
	}
	buf := make([]byte, len(body)+8)
	copy(buf, body)
	binary.BigEndian.PutUint64(buf[len(body):], env.Nonce)
	zeros := 256 - new(big.Int).SetBytes(crypto.Keccak256(buf)).BitLen()
	pow := math.Ldexp(1, zeros) / float64(len(body)) / float64(env.TTL)
	if math.IsNaN(pow) || math.IsInf(pow, 0) || pow <= 0 {
		return 0, fmt.Errorf("%w: PoW %v is not a positive number", errPoW, pow)
	}
	return pow, nil
}

// checkPoW refuses a request envelope below min.
func checkPoW(env *whisperv6.Envelope, min float64) error {
	pow, err := requestPoW(env)
	if err != nil {
		return err
	}
	if pow < min {
		return fmt.Errorf("%w: %.6f < %.6f", errPoW, pow, min)
	}
	return nil
}
