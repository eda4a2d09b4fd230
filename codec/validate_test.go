package codec

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

type validateVectors struct {
	Source string `json:"_source"`
	Cases  []struct {
		Name    string  `json:"name"`
		Message Message `json:"message"`
		NowMS   int64   `json:"now_ms"`
		Err     string  `json:"err"`
	} `json:"cases"`
}

func TestValidate(t *testing.T) {
	var v validateVectors
	loadVectors(t, "validate.json", &v)
	for _, tc := range v.Cases {
		err := Validate(&tc.Message, unixMilli(tc.NowMS))
		switch {
		case tc.Err == "" && err != nil:
			t.Errorf("%s: Validate: %v", tc.Name, err)
		case tc.Err != "" && (err == nil || !strings.Contains(err.Error(), tc.Err)):
			t.Errorf("%s: Validate = %v, want error containing %q", tc.Name, err, tc.Err)
		}
	}
	if err := Validate(nil, unixMilli(0)); err == nil {
		t.Error("Validate(nil) passed")
	}
}

func TestValidateTextLimit(t *testing.T) {
	now := unixMilli(1545930773682)
	m := Message{ContentType: ContentTypeSticker, MessageType: MessageTypePublic, Clock: 1, StickerURI: "u"}
	m.Text = strings.Repeat("x", MaxTextBytes)
	if err := Validate(&m, now); err != nil {
		t.Errorf("text of MaxTextBytes: %v", err)
	}
	m.Text += "x"
	if err := Validate(&m, now); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("text of MaxTextBytes+1: %v", err)
	}
}

type nameVectors struct {
	Source string `json:"_source"`
	Cases  []struct {
		In   string `json:"in"`
		Want string `json:"want"`
	} `json:"cases"`
}

func TestCleanName(t *testing.T) {
	var v nameVectors
	loadVectors(t, "names.json", &v)
	for _, tc := range v.Cases {
		if got := CleanName(tc.In); got != tc.Want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.In, got, tc.Want)
		}
	}
	if got := CleanName("ok\xffname\xc3"); got != "okname" {
		t.Errorf("CleanName with invalid UTF-8 = %q", got)
	}
}

// TestCleanNameProperties checks the promises of CleanName over every code
// point up to U+30000 placed between letters.
func TestCleanNameProperties(t *testing.T) {
	for r := rune(0); r < 0x30000; r++ {
		got := CleanName("a" + string(r) + "b")
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxNameRunes {
			t.Fatalf("CleanName(a %U b) = %q", r, got)
		}
		for _, c := range got {
			if unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Co, unicode.Cs) || (unicode.IsSpace(c) && c != ' ') {
				t.Fatalf("CleanName(a %U b) kept %U", r, c)
			}
		}
		if strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Fatalf("CleanName(a %U b) = %q has stray spaces", r, got)
		}
	}
}
