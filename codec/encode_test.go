package codec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/crypto"
)

type payloadVectors struct {
	Source   string `json:"_source"`
	Payloads []struct {
		Name      string  `json:"name"`
		Length    int     `json:"length"`
		Payload   string  `json:"payload"`
		Message   Message `json:"message"`
		Sender    string  `json:"sender"`
		MessageID string  `json:"message_id"`
	} `json:"payloads"`
	Encode []struct {
		Name    string  `json:"name"`
		Message Message `json:"message"`
		Payload string  `json:"payload"`
	} `json:"encode"`
	EncodeErrors []struct {
		Name    string  `json:"name"`
		Message Message `json:"message"`
		Err     string  `json:"err"`
	} `json:"encode_errors"`
}

// TestPayloadVectors checks the PROTOCOL.md §6 payloads byte for byte in
// both directions, and their message ids.
func TestPayloadVectors(t *testing.T) {
	var v payloadVectors
	loadVectors(t, "payloads.json", &v)
	for _, tc := range v.Payloads {
		t.Run(tc.Name, func(t *testing.T) {
			if len(tc.Payload) != tc.Length {
				t.Fatalf("vector payload is %d bytes, file says %d", len(tc.Payload), tc.Length)
			}
			got, err := EncodeMessage(tc.Message)
			if err != nil {
				t.Fatalf("EncodeMessage: %v", err)
			}
			if string(got) != tc.Payload {
				t.Errorf("EncodeMessage =\n %s\nwant\n %s", got, tc.Payload)
			}
			rec, err := Decode([]byte(tc.Payload))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m, ok := rec.(*Message); !ok || *m != tc.Message {
				t.Errorf("Decode = %#v, want %#v", rec, tc.Message)
			}
			if tc.MessageID == "" {
				return
			}
			pub := senderKey(t, tc.Sender)
			id := MessageID(pub, []byte(tc.Payload))
			if got := "0x" + hex.EncodeToString(id[:]); got != tc.MessageID {
				t.Errorf("MessageID = %s, want %s", got, tc.MessageID)
			}
		})
	}
}

// senderKey gives the 65-byte public key of a test identity (private key =
// keccak256(name)).
func senderKey(t *testing.T, name string) []byte {
	t.Helper()
	priv, err := crypto.ToECDSA(crypto.Keccak256([]byte(name)))
	if err != nil {
		t.Fatal(err)
	}
	return crypto.FromECDSAPub(&priv.PublicKey)
}

func TestEncodeVectors(t *testing.T) {
	var v payloadVectors
	loadVectors(t, "payloads.json", &v)
	for _, tc := range v.Encode {
		got, err := EncodeMessage(tc.Message)
		if err != nil {
			t.Errorf("%s: EncodeMessage: %v", tc.Name, err)
			continue
		}
		if string(got) != tc.Payload {
			t.Errorf("%s: EncodeMessage =\n %q\nwant\n %q", tc.Name, got, tc.Payload)
		}
		rec, err := Decode(got)
		if err != nil {
			t.Errorf("%s: Decode: %v", tc.Name, err)
			continue
		}
		want := tc.Message
		want.ContentType = ContentTypeText
		if m, ok := rec.(*Message); !ok || *m != want {
			t.Errorf("%s: round trip = %#v, want %#v", tc.Name, rec, want)
		}
	}
	for _, tc := range v.EncodeErrors {
		got, err := EncodeMessage(tc.Message)
		if err == nil || !strings.Contains(err.Error(), tc.Err) {
			t.Errorf("%s: EncodeMessage = %q, %v; want error containing %q", tc.Name, got, err, tc.Err)
		}
	}
}

func TestEncodeTextLimit(t *testing.T) {
	m := Message{MessageType: MessageTypePublic, Clock: 1, Timestamp: 1, ChatID: "status"}
	m.Text = strings.Repeat("a", MaxTextBytes)
	if _, err := EncodeMessage(m); err != nil {
		t.Errorf("text of exactly MaxTextBytes: %v", err)
	}
	m.Text += "a"
	if _, err := EncodeMessage(m); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("text of MaxTextBytes+1: err = %v, want size error", err)
	}
	m.Text = "bad \xff utf8"
	if _, err := EncodeMessage(m); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8 text: err = %v", err)
	}
	m.Text, m.ChatID = "ok", "\xfe"
	if _, err := EncodeMessage(m); err == nil || !strings.Contains(err.Error(), "chat-id") {
		t.Errorf("invalid UTF-8 chat-id: err = %v", err)
	}
}

// TestJSStringAgainstEncodingJSON compares the JSON.stringify-style escaper
// with encoding/json on every rune class they treat alike: they must agree
// except on <, >, & and U+2028/U+2029, which JSON.stringify leaves raw.
func TestJSStringAgainstEncodingJSON(t *testing.T) {
	var sample strings.Builder
	for r := rune(0); r < 0x300; r++ {
		sample.WriteRune(r)
	}
	sample.WriteString("\u2027\u202a\U0001F4AC\uFFFD")
	s := sample.String()

	var std bytes.Buffer
	enc := json.NewEncoder(&std)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(std.String(), "\n")
	if got := string(appendJSString(nil, s)); got != want {
		t.Errorf("appendJSString differs from encoding/json:\n got %q\nwant %q", got, want)
	}

	for _, r := range []rune{'<', '>', '&', '\u2028', '\u2029'} {
		in := string(r)
		if got := string(appendJSString(nil, in)); got != `"`+in+`"` {
			t.Errorf("appendJSString(%q) = %q, want it unescaped as JSON.stringify does", in, got)
		}
	}
	// Whatever is escaped must read back as the same string.
	var back string
	raw := appendJSString(nil, s+"<>&\u2028\u2029")
	if err := json.Unmarshal(raw, &back); err != nil || back != s+"<>&\u2028\u2029" || !utf8.Valid(raw) {
		t.Errorf("appendJSString output does not read back: %v", err)
	}
}
