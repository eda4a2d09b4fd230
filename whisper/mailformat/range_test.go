package mailformat

import (
	"testing"
	"time"
)

func TestIsRangeTooLong(t *testing.T) {
	for _, tc := range []struct {
		reason string
		limit  time.Duration
		ok     bool
	}{
		{"time range too long: 604880s, at most 604800s", 7 * 24 * time.Hour, true},
		{"history: request history: mailserver refused request: time range too long: 90000s, at most 86400s", 24 * time.Hour, true},
		{"time range too long: 604880s", 0, true},
		{"time range too long: 604880s, at most s", 0, true},
		{"time range too long: 604880s, at most 604800", 0, true},
		{"time range too long: 604880s, at most 0s", 0, true},
		{"time range too long: 1s, at most 99999999999999999999s", 0, true},
		{"rate limited", 0, false},
		{"invalid time range: lower 5 above upper 4", 0, false},
		{"", 0, false},
	} {
		limit, ok := IsRangeTooLong(tc.reason)
		if limit != tc.limit || ok != tc.ok {
			t.Errorf("IsRangeTooLong(%q) = %v, %v; want %v, %v", tc.reason, limit, ok, tc.limit, tc.ok)
		}
	}
}

func FuzzIsRangeTooLong(f *testing.F) {
	f.Add("time range too long: 604880s, at most 604800s")
	f.Add("time range too long: at most 9s")
	f.Fuzz(func(t *testing.T, reason string) {
		limit, ok := IsRangeTooLong(reason)
		if limit < 0 || (limit != 0 && !ok) {
			t.Fatalf("IsRangeTooLong(%q) = %v, %v", reason, limit, ok)
		}
	})
}
