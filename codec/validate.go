package codec

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on the fields besides the text that a message shows.
const (
	maxURIBytes     = 2048
	maxCommandBytes = 64
)

// Validate applies SR's spec check on receive (status-react transport/db.cljs)
// plus the text size limit. The error names the rule that failed. now bounds
// the clock: SR refuses clocks more than 31 days ahead of its own time.
func Validate(m *Message, now time.Time) error {
	if m == nil {
		return errors.New("invalid message: nil")
	}
	switch m.ContentType {
	case ContentTypeText, ContentTypeSticker, ContentTypeCommand, contentTypeCommandRequest:
	default:
		return fmt.Errorf("invalid message: content-type %.40q is not one of text/plain, sticker, command, command-request", m.ContentType)
	}
	if !isMessageType(m.MessageType) {
		return fmt.Errorf("invalid message: message-type %.40q is not one of user-message, public-group-user-message, group-user-message", m.MessageType)
	}
	if m.Clock <= 0 {
		return fmt.Errorf("invalid message: clock %d is not positive", m.Clock)
	}
	if limit := MaxClock(now); m.Clock > limit {
		return fmt.Errorf("invalid message: clock %d is beyond %d (31 days ahead)", m.Clock, limit)
	}
	if m.Timestamp < 0 {
		return fmt.Errorf("invalid message: timestamp %d is negative", m.Timestamp)
	}
	if len(m.Text) > MaxTextBytes {
		return fmt.Errorf("invalid message: text is %d bytes, limit %d", len(m.Text), MaxTextBytes)
	}
	// The sticker URI and command name are shown as the message's text, so
	// they get limits of their own: without them a "sticker" could carry a
	// megabyte past the text limit.
	if len(m.StickerURI) > maxURIBytes {
		return fmt.Errorf("invalid message: sticker uri is %d bytes, limit %d", len(m.StickerURI), maxURIBytes)
	}
	if len(m.CommandPath) > maxCommandBytes {
		return fmt.Errorf("invalid message: command path is %d bytes, limit %d", len(m.CommandPath), maxCommandBytes)
	}
	switch m.ContentType {
	case ContentTypeText:
		if strings.TrimSpace(m.Text) == "" {
			return errors.New("invalid message: text content has blank :text")
		}
	case ContentTypeSticker:
		if m.StickerURI == "" {
			return errors.New("invalid message: sticker content has no :uri")
		}
	default:
		if m.CommandPath == "" {
			return errors.New("invalid message: command content has no :command-path")
		}
	}
	return nil
}

// MaxNameRunes bounds a name shown from the network; Status's generated
// three-word names are far shorter.
const MaxNameRunes = 40

// CleanName makes a name received from the network safe to show in a
// terminal: invalid UTF-8, control and format characters (which include the
// bidi overrides and isolates that could reorder the surrounding line),
// private-use and surrogate code points are removed; runs of white space
// become one space; the result is trimmed and cut to 40 runes.
func CleanName(s string) string {
	var b strings.Builder
	runes := 0
	pendingSpace := false
	for i := 0; i < len(s) && runes < MaxNameRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		}
		if pendingSpace {
			if runes == MaxNameRunes-1 {
				break
			}
			b.WriteByte(' ')
			runes++
			pendingSpace = false
		}
		b.WriteRune(r)
		runes++
	}
	return b.String()
}
