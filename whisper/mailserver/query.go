package mailserver

import (
	"fmt"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// plainEnvelope has whisperv6.Envelope's fields without its DecodeRLP.
type plainEnvelope whisperv6.Envelope

// Query answers a history request from the server's own archive for a
// client in the same process (hush serve's RPC, PROTOCOL.md §10): fn gets
// each matching envelope in key order, as a peer would get them with code
// 127, and the completion names the last one and the cursor of the next
// page. The range and page limits of peer requests apply; the rate limit
// does not, as the caller already passed the RPC's access check.
func (s *Server) Query(r mailformat.Request, fn func(*whisperv6.Envelope) error) (mailformat.Completion, error) {
	if err := mailformat.CheckRequest(r); err != nil {
		return mailformat.Completion{}, fmt.Errorf("query archive: %w", err)
	}
	lower, upper, err := s.timeRange(r, s.cfg.Now())
	if err != nil {
		return mailformat.Completion{}, fmt.Errorf("query archive: %w", err)
	}
	p, err := s.sendPage(r, lower, upper, s.pageLimit(r.Limit), func(raw []byte) error {
		// Decoded as the plain struct: whisperv6's own decoder would also
		// hash the envelope, which the caller may not need.
		var env whisperv6.Envelope
		if err := rlp.DecodeBytes(raw, (*plainEnvelope)(&env)); err != nil {
			return fmt.Errorf("archived envelope: %w", err)
		}
		return fn(&env)
	})
	if err != nil {
		return mailformat.Completion{}, fmt.Errorf("query archive: %w", err)
	}
	return mailformat.Completion{LastEnvelope: p.last, Cursor: p.cursor}, nil
}
