package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type decodeVectors struct {
	Source     string `json:"_source"`
	TwoRecords struct {
		Note    string  `json:"_note"`
		Payload string  `json:"payload"`
		Message Message `json:"message"`
	} `json:"two_records"`
	OK []struct {
		Name        string       `json:"name"`
		Payload     string       `json:"payload"`
		Message     *Message     `json:"message"`
		Contact     *ContactInfo `json:"contact"`
		Seen        []string     `json:"seen"`
		Unknown     string       `json:"unknown"`
		Tag         string       `json:"tag"` // a record of its own type with this tag
		NowMS       int64        `json:"now_ms"`
		ValidateErr string       `json:"validate_err"`
	} `json:"ok"`
	Bad []struct {
		Name    string `json:"name"`
		Payload string `json:"payload"`
		Err     string `json:"err"`
	} `json:"bad"`
}

func TestDecodeVectors(t *testing.T) {
	var v decodeVectors
	loadVectors(t, "decode.json", &v)
	for _, tc := range v.OK {
		t.Run(tc.Name, func(t *testing.T) {
			rec, err := Decode([]byte(tc.Payload))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			switch {
			case tc.Message != nil:
				m, ok := rec.(*Message)
				if !ok {
					t.Fatalf("Decode = %#v, want a *Message", rec)
				}
				if *m != *tc.Message {
					t.Errorf("Decode =\n %#v\nwant\n %#v", *m, *tc.Message)
				}
				err := Validate(m, unixMilli(tc.NowMS))
				switch {
				case tc.ValidateErr == "" && err != nil:
					t.Errorf("Validate: %v", err)
				case tc.ValidateErr != "" && (err == nil || !strings.Contains(err.Error(), tc.ValidateErr)):
					t.Errorf("Validate = %v, want error containing %q", err, tc.ValidateErr)
				}
			case tc.Contact != nil:
				if c, ok := rec.(*ContactInfo); !ok || *c != *tc.Contact || c.Tag() != tc.Contact.Kind {
					t.Errorf("Decode = %#v, want %#v", rec, *tc.Contact)
				}
			case tc.Seen != nil:
				if s, ok := rec.(*Seen); !ok || !reflect.DeepEqual(s.IDs, tc.Seen) || s.Tag() != TagSeen {
					t.Errorf("Decode = %#v, want Seen %q", rec, tc.Seen)
				}
			case tc.Tag != "":
				if _, unknown := rec.(*Unknown); unknown || rec.Tag() != tc.Tag {
					t.Errorf("Decode = %#v, want a %s record", rec, tc.Tag)
				}
			case tc.Unknown != "":
				if u, ok := rec.(*Unknown); !ok || u.Tag() != tc.Unknown {
					t.Errorf("Decode = %#v, want Unknown %q", rec, tc.Unknown)
				}
			default:
				t.Fatal("vector has no expectation")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	var v decodeVectors
	loadVectors(t, "decode.json", &v)
	for _, tc := range v.Bad {
		rec, err := Decode([]byte(tc.Payload))
		if err == nil || !strings.Contains(err.Error(), tc.Err) {
			t.Errorf("%s: Decode = %#v, %v; want error containing %q", tc.Name, rec, err, tc.Err)
		}
		if errors.Is(err, errPanic) {
			t.Errorf("%s: Decode panicked: %v", tc.Name, err)
		}
	}
}

// TestDecodeHostileSizes covers inputs too large to keep in the vector files.
func TestDecodeHostileSizes(t *testing.T) {
	text := func(s string) string {
		return fmt.Sprintf(`["~#c4",[%q,"text/plain","~:user-message",1,2,["^ ","~:chat-id","c","~:text",%q]]]`, s, s)
	}
	cases := []struct {
		name, payload, err string
	}{
		{"text one byte over the limit", text(strings.Repeat("a", MaxTextBytes+1)), "limit"},
		{"deep arrays", `["~#c4",` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "]", "nested deeper"},
		{"deep maps", `["~#c4",` + strings.Repeat(`["^ ","~:a",`, 100) + "1" + strings.Repeat("]", 100) + "]", "nested deeper"},
		{"nesting past the JSON limit", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "bad JSON"},
		{"payload over 1 MiB", text(strings.Repeat("b", MaxPayloadBytes)), "limit"},
	}
	for _, tc := range cases {
		rec, err := Decode([]byte(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, errPanic) {
			t.Errorf("%s: Decode = %T, %v; want error containing %q", tc.name, rec, err, tc.err)
		}
	}
	rec, err := Decode([]byte(text(strings.Repeat("a", MaxTextBytes))))
	if m, ok := rec.(*Message); err != nil || !ok || len(m.Text) != MaxTextBytes {
		t.Errorf("text of exactly MaxTextBytes: %T, %v", rec, err)
	}
}

// TestCacheAcrossRecords reads the PROTOCOL.md §1.1 example of two c4 records
// in one transit write, where the second refers to the first's tag, keyword
// and keys as ^0..^3.
func TestCacheAcrossRecords(t *testing.T) {
	var v decodeVectors
	loadVectors(t, "decode.json", &v)
	val, err := readTransit([]byte(v.TwoRecords.Payload))
	if err != nil {
		t.Fatalf("readTransit: %v", err)
	}
	records, ok := val.([]any)
	if !ok || len(records) != 2 {
		t.Fatalf("read %s, want an array of two records", typeName(val))
	}
	for i, r := range records {
		rec, err := recordFrom(r)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if m, ok := rec.(*Message); !ok || *m != v.TwoRecords.Message {
			t.Errorf("record %d = %#v, want %#v", i, rec, v.TwoRecords.Message)
		}
	}
	// Alone, the second record's references are undefined.
	second := v.TwoRecords.Payload[strings.Index(v.TwoRecords.Payload, `["^0"`) : len(v.TwoRecords.Payload)-1]
	if _, err := Decode([]byte(second)); err == nil || !strings.Contains(err.Error(), "before it was defined") {
		t.Errorf("second record alone: err = %v", err)
	}
}

// TestCacheRollsOver fills the cache: the entry after 44*44 clears it and
// becomes ^0 again, as transit writers number it.
func TestCacheRollsOver(t *testing.T) {
	var b strings.Builder
	b.WriteString(`["~#zz",["^ "`) // the tag is entry ^0
	for i := 1; i < cacheCapacity; i++ {
		fmt.Fprintf(&b, `,"~:k%04d",1`, i)
	}
	b.WriteString(`,"~:again",2,"^0",3]]`)
	val, err := readTransit([]byte(b.String()))
	if err != nil {
		t.Fatalf("readTransit: %v", err)
	}
	m := val.(tagged).rep.(transitMap)
	if got := m[len(m)-1].key; got != keyword("again") {
		t.Errorf("^0 after roll-over = %#v, want :again", got)
	}
	if _, err := readTransit([]byte(strings.Replace(b.String(), `"^0",3`, `"^1",3`, 1))); err == nil {
		t.Error("^1 after roll-over resolved, want an undefined reference")
	}
	// Without the roll-over, the last code is two digits: "^" + '0'+43 twice.
	short := strings.Replace(b.String(), `,"~:again",2,"^0",3`, `,"^[[",3`, 1)
	if val, err = readTransit([]byte(short)); err != nil {
		t.Fatalf("readTransit with ^[[: %v", err)
	}
	m = val.(tagged).rep.(transitMap)
	if got := m[len(m)-1].key; got != keyword(fmt.Sprintf("k%04d", cacheCapacity-1)) {
		t.Errorf("^[[ = %#v, want the last entry", got)
	}
}
