package codec

import (
	"container/list"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/russolsen/transit"
)

// canonical renders a decoded transit value, from this package's reader or
// from russolsen/transit, in one comparable form: maps sorted by key, tags
// and sets spelled out.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case bool:
		return fmt.Sprint(x)
	case int64:
		return fmt.Sprintf("i:%d", x)
	case *big.Int:
		return "i:" + x.String()
	case float64:
		return fmt.Sprintf("f:%v", x)
	case string:
		return fmt.Sprintf("s:%q", x)
	case keyword:
		return "k:" + string(x)
	case transit.Keyword:
		return "k:" + string(x)
	case symbol:
		return "y:" + string(x)
	case transit.Symbol:
		return "y:" + string(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case transitMap:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e.key) + "=>" + canonical(e.value)
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, " ") + "}"
	case map[any]any:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, canonical(k)+"=>"+canonical(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, " ") + "}"
	case tagged:
		return "#" + x.tag + "(" + canonical(x.rep) + ")"
	case transit.TaggedValue:
		return "#" + string(x.Tag) + "(" + canonical(x.Value) + ")"
	case *transit.Set:
		return "#set(" + canonical(x.Contents) + ")"
	case *list.List:
		var elems []any
		for e := x.Front(); e != nil; e = e.Next() {
			elems = append(elems, e.Value)
		}
		return "#list(" + canonical(elems) + ")"
	case extScalar:
		return "~" + x.tag + x.text
	case time.Time:
		return fmt.Sprintf("~m%d", x.UnixMilli())
	default:
		return fmt.Sprintf("?%T:%v", v, v)
	}
}

// russolsenDecode runs russolsen/transit, turning its panics into errors.
func russolsenDecode(payload string) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("russolsen panicked: %v", p)
		}
	}()
	return transit.DecodeFromString(payload)
}

// TestReaderAgreesWithRussolsen cross-checks the transit reader against
// russolsen/transit (the decoder CC used) on every valid vector, including
// the cache-reference ones. russolsen resolves "^n" references, a cached
// tag included, and returns unknown tags as transit.TaggedValue.
func TestReaderAgreesWithRussolsen(t *testing.T) {
	// russolsen panics on these valid inputs; that is why codec has its own
	// reader.
	russolsenPanics := map[string]bool{"array as a map key": true}

	var v decodeVectors
	loadVectors(t, "decode.json", &v)
	payloads := map[string]string{"two records": v.TwoRecords.Payload}
	for _, tc := range v.OK {
		payloads[tc.Name] = tc.Payload
	}
	for name, payload := range payloads {
		theirs, err := russolsenDecode(payload)
		if russolsenPanics[name] {
			if err == nil {
				t.Errorf("%s: russolsen no longer panics; drop it from the list", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: russolsen: %v", name, err)
			continue
		}
		ours, err := readTransit([]byte(payload))
		if err != nil {
			t.Errorf("%s: readTransit: %v", name, err)
			continue
		}
		if a, b := canonical(ours), canonical(theirs); a != b {
			t.Errorf("%s:\n ours      %s\n russolsen %s", name, a, b)
		}
	}
	if _, ok := mustRussolsen(t, v.TwoRecords.Payload).([]any)[1].(transit.TaggedValue); !ok {
		t.Error("russolsen did not give the cached-tag record as a TaggedValue")
	}
}

func mustRussolsen(t *testing.T, payload string) any {
	t.Helper()
	v, err := russolsenDecode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
