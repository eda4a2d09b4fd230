package codec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EncodeMessage writes m as the c4 text record SR writes, byte for byte:
//
//	["~#c4",[text,"text/plain","~:<message-type>",clock,timestamp,["^ ","~:chat-id",chat-id,"~:text",text]]]
//
// The content-type is a plain string, the message-type a keyword, and the
// content map keys come in the order chat-id, text. One record never repeats
// a cacheable string, so no cache references appear. Only text messages can
// be encoded; an empty ContentType means text. Timestamp 0 is written as nil.
func EncodeMessage(m Message) ([]byte, error) {
	if m.ContentType != "" && m.ContentType != ContentTypeText {
		return nil, fmt.Errorf("encode message: content-type %q: only %s can be sent", m.ContentType, ContentTypeText)
	}
	if !isMessageType(m.MessageType) {
		return nil, fmt.Errorf("encode message: unknown message-type %q", m.MessageType)
	}
	if err := checkText(m.Text); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	if !utf8.ValidString(m.ChatID) {
		return nil, errors.New("encode message: chat-id is not valid UTF-8")
	}
	if m.Clock <= 0 {
		return nil, fmt.Errorf("encode message: clock %d is not positive", m.Clock)
	}
	if m.Timestamp < 0 {
		return nil, fmt.Errorf("encode message: timestamp %d is negative", m.Timestamp)
	}

	text := transitString(m.Text)
	b := make([]byte, 0, 96+2*len(text)+len(m.ChatID))
	b = append(b, `["~#c4",[`...)
	b = appendJSString(b, text)
	b = append(b, `,"text/plain","~:`...)
	b = append(b, m.MessageType...) // one of three fixed ASCII names
	b = append(b, `",`...)
	b = strconv.AppendInt(b, m.Clock, 10)
	b = append(b, ',')
	if m.Timestamp == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, m.Timestamp, 10)
	}
	b = append(b, `,["^ ","~:chat-id",`...)
	b = appendJSString(b, transitString(m.ChatID))
	b = append(b, `,"~:text",`...)
	b = appendJSString(b, text)
	b = append(b, "]]]"...)
	return b, nil
}

func isMessageType(t string) bool {
	return t == MessageTypePublic || t == MessageTypePrivate || t == MessageTypeGroup
}

// checkText holds the rules text must meet on both send and receive.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("text is blank")
	}
	if len(text) > MaxTextBytes {
		return fmt.Errorf("text is %d bytes, limit %d", len(text), MaxTextBytes)
	}
	if !utf8.ValidString(text) {
		return errors.New("text is not valid UTF-8")
	}
	return nil
}

// transitString escapes a string value as transit does: a leading "~", "^" or
// "`" would otherwise be read as a tag or cache code, so it gets a "~".
func transitString(s string) string {
	if s != "" && (s[0] == '~' || s[0] == '^' || s[0] == '`') {
		return "~" + s
	}
	return s
}

// AppendJSONString appends s as a JSON string the way JavaScript's
// JSON.stringify writes it (see appendJSString). Signatures over JSON that
// status-react computed need exactly these bytes.
func AppendJSONString(b []byte, s string) []byte { return appendJSString(b, s) }

// appendJSString appends s as JavaScript's JSON.stringify writes it, which is
// what transit-js (and so SR) produces: only '"', '\\' and control characters
// below U+0020 are escaped, with the short forms \b \f \n \r \t and otherwise
// \u00xx in lower case. Unlike encoding/json it leaves <, >, &, U+2028 and
// U+2029 alone. s must be valid UTF-8.
func appendJSString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
