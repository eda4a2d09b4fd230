package codec

import (
	"testing"
	"time"
)

func TestOrderClock(t *testing.T) {
	now := time.UnixMilli(1545930773682)
	nowClock := now.UnixMilli() * 100
	for _, tc := range []struct {
		name    string
		msg     int64
		want    int64
		clamped bool
	}{
		{"one", 1, 1, false},
		{"now", nowClock, nowClock, false},
		{"edge of the window", nowClock + FutureWindow.Milliseconds()*100, nowClock + FutureWindow.Milliseconds()*100, false},
		{"just past the window", nowClock + FutureWindow.Milliseconds()*100 + 1, nowClock, true},
		{"31 days ahead", MaxClock(now), nowClock, true},
		{"huge", 1<<63 - 1, nowClock, true},
	} {
		got, clamped := OrderClock(tc.msg, now)
		if got != tc.want || clamped != tc.clamped {
			t.Errorf("%s: OrderClock(%d) = %d, %v; want %d, %v", tc.name, tc.msg, got, clamped, tc.want, tc.clamped)
		}
	}
}

func TestShownTimestamp(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	sent := now.Add(-time.Hour)
	year287168 := int64(9000000000000000) // unix ms in the year 287168
	for _, tc := range []struct {
		name    string
		ts      int64
		sent    time.Time
		want    int64
		clamped bool
	}{
		{"honest", sent.UnixMilli() - 300, sent, sent.UnixMilli() - 300, false},
		{"resent a week later", sent.Add(-7 * 24 * time.Hour).UnixMilli(), sent, sent.Add(-7 * 24 * time.Hour).UnixMilli(), false},
		{"nil", 0, sent, sent.UnixMilli(), false},
		{"year 287168", year287168, sent, sent.UnixMilli(), true},
		{"1970", 1, sent, sent.UnixMilli(), true},
		{"an hour ahead of its envelope", sent.Add(time.Hour).UnixMilli(), sent, sent.UnixMilli(), true},
		{"no envelope time", year287168, time.Time{}, now.UnixMilli(), true},
		{"envelope from the future", now.Add(time.Hour).UnixMilli(), now.Add(time.Hour), now.UnixMilli(), true},
	} {
		got, clamped := ShownTimestamp(tc.ts, tc.sent, now)
		if got != tc.want || clamped != tc.clamped {
			t.Errorf("%s: ShownTimestamp(%d) = %d, %v; want %d, %v", tc.name, tc.ts, got, clamped, tc.want, tc.clamped)
		}
	}
}

func TestValidateFieldLimits(t *testing.T) {
	now := time.UnixMilli(1545930773682)
	sticker := Message{ContentType: ContentTypeSticker, MessageType: MessageTypePublic, Clock: 1, StickerURI: string(make([]byte, maxURIBytes+1))}
	if err := Validate(&sticker, now); err == nil {
		t.Error("a sticker URI past the limit passed")
	}
	cmd := Message{ContentType: ContentTypeCommand, MessageType: MessageTypePrivate, Clock: 1, CommandPath: string(make([]byte, maxCommandBytes+1))}
	if err := Validate(&cmd, now); err == nil {
		t.Error("a command path past the limit passed")
	}
}
