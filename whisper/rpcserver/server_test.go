package rpcserver

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// A wrong token, no token and a caller not on loopback are refused before
// any JSON-RPC is read; the right token is let in.
func TestAccessRefused(t *testing.T) {
	sn := startServed(t, Config{Token: "s3cret", AllowRemote: true}, false)
	if _, err := sn.dialWS(t, "hush:wrong@"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: got %v, want a 401 refusal", err)
	}
	if _, err := sn.dialWS(t, ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no token: got %v, want a 401 refusal", err)
	}
	c, err := sn.dialWS(t, "hush:s3cret@")
	if err != nil {
		t.Fatalf("right token refused: %v", err)
	}
	var version string
	if err := c.Call(&version, "shh_version"); err != nil || version != whisperv6.ProtocolVersionStr {
		t.Fatalf("shh_version = %q, %v", version, err)
	}

	// Without --rpc-allow-remote a caller from another host is refused,
	// whatever it presents; one on loopback is not.
	local := startServed(t, Config{}, false)
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"192.0.2.7:4321", http.StatusForbidden},
		{"[2001:db8::1]:4321", http.StatusForbidden},
		{"127.0.0.1:4321", http.StatusBadRequest}, // let through; not a WebSocket upgrade
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("Authorization", "Bearer anything")
		rec := httptest.NewRecorder()
		local.server.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("caller %s: status %d, want %d", tc.remote, rec.Code, tc.want)
		}
	}
	// Nor can it listen off loopback, or allow remote callers without a token.
	if _, err := local.server.ListenWS("0.0.0.0:0"); err == nil {
		t.Error("listening on 0.0.0.0 without AllowRemote was allowed")
	}
	if _, err := New(Config{Node: local.node, AllowRemote: true}); err == nil {
		t.Error("AllowRemote without a token was allowed")
	}
}

// The Unix socket is its owner's only, and serves the same API.
func TestIPCSocketMode(t *testing.T) {
	sn := startServed(t, Config{}, false)
	path := filepath.Join(t.TempDir(), "shh.ipc")
	if err := sn.server.ListenIPC(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket mode %#o, want 0600", perm)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := rpc.DialIPC(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var info map[string]any
	if err := c.Call(&info, "admin_nodeInfo"); err != nil {
		t.Fatal(err)
	}
	if enode, _ := info["enode"].(string); enode != sn.node.Enode().URLv4() {
		t.Fatalf("admin_nodeInfo enode %q, want %q", enode, sn.node.Enode().URLv4())
	}
	// A second server on the same live socket is refused.
	other := startServed(t, Config{}, false)
	if err := other.server.ListenIPC(path); err == nil {
		t.Fatal("a second server took a live socket")
	}
}

// A message posted through shh_post reaches a shh_subscribe of the same
// key, opened by hush's node (no whisperv6 filter is installed).
func TestSubscribeAndPost(t *testing.T) {
	sn := startServed(t, Config{}, false)
	c, err := sn.dialWS(t, "")
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	if err := c.Call(&keyID, "shh_generateSymKeyFromPassword", "status"); err != nil {
		t.Fatal(err)
	}
	var sigID string
	if err := c.Call(&sigID, "shh_newKeyPair"); err != nil {
		t.Fatal(err)
	}
	topic := hexutil.Bytes{1, 2, 3, 4}
	msgs := make(chan *whisperv6.Message, 8)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	sub, err := c.ShhSubscribe(ctx, msgs, "messages", map[string]any{"symKeyID": keyID, "topics": []hexutil.Bytes{topic}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var hash hexutil.Bytes
	if err := c.Call(&hash, "shh_post", map[string]any{
		"symKeyID": keyID, "sig": sigID, "ttl": 10, "topic": topic, "payload": hexutil.Bytes("hello"),
		"powTime": 2, "powTarget": 0.002,
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if string(m.Payload) != "hello" || hex.EncodeToString(m.Hash) != hex.EncodeToString(hash) || len(m.Sig) != 65 {
			t.Fatalf("got payload %q hash %x sig %d bytes; want hello, %x, 65", m.Payload, m.Hash, len(m.Sig), hash)
		}
	case err := <-sub.Err():
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	var id string
	if err := c.Call(&id, "shh_newMessageFilter", map[string]any{"symKeyID": keyID, "topics": []hexutil.Bytes{topic}}); err == nil {
		t.Fatal("a polling filter was installed")
	}
}

// shhext_requestMessagesSync naming the node itself answers from its
// archive: the envelopes reach the caller's subscription before the
// answer, which counts them.
func TestRequestMessagesLocalArchive(t *testing.T) {
	sn := startServed(t, Config{}, true)
	c, err := sn.dialWS(t, "")
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	if err := c.Call(&keyID, "shh_generateSymKeyFromPassword", "status"); err != nil {
		t.Fatal(err)
	}
	topic := hexutil.Bytes{9, 9, 9, 9}
	const sent = 5
	for i := range sent {
		if err := c.Call(nil, "shh_post", map[string]any{
			"symKeyID": keyID, "ttl": 60, "topic": topic, "payload": hexutil.Bytes{byte(i)},
			"powTime": 2, "powTarget": 0.002,
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the archive to hold the posts", func() bool { return sn.archive.len() == sent })

	msgs := make(chan *whisperv6.Message, 2*sent)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	sub, err := c.ShhSubscribe(ctx, msgs, "messages", map[string]any{
		"symKeyID": keyID, "topics": []hexutil.Bytes{topic}, "allowP2P": true, "hushTag": "t1",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var res MessagesResponse
	now := uint32(time.Now().Unix())
	if err := c.CallContext(ctx, &res, "shhext_requestMessagesSync", map[string]any{}, map[string]any{
		"mailServerPeer": sn.node.Enode().URLv4(), "from": now - 600, "to": now + 60,
		"topics": []hexutil.Bytes{topic}, "limit": 3, "hushSubscriptions": []string{"t1"},
	}); err != nil {
		t.Fatal(err)
	}
	if res.Envelopes != 3 || res.Cursor == "" || res.Notified["t1"] != 3 {
		t.Fatalf("first page: %+v; want 3 envelopes, a cursor, 3 notified", res)
	}
	if err := c.CallContext(ctx, &res, "shhext_requestMessagesSync", map[string]any{}, map[string]any{
		"from": now - 600, "to": now + 60, "topics": []hexutil.Bytes{topic}, "limit": 3,
		"cursor": res.Cursor, "hushSubscriptions": []string{"t1"},
	}); err != nil {
		t.Fatal(err)
	}
	// The page's last envelope starts the next page (PROTOCOL.md §4.4).
	if res.Envelopes != 3 || res.Cursor != "" || res.Notified["t1"] != 6 {
		t.Fatalf("second page: %+v; want 3 envelopes, no cursor, 6 notified", res)
	}
	seen := make(map[byte]bool)
	for len(seen) < sent {
		select {
		case m := <-msgs:
			seen[m.Payload[0]] = true
		case <-ctx.Done():
			t.Fatalf("got %d of %d messages", len(seen), sent)
		}
	}
	// Without allowP2P a subscription does not see history.
	var id hexutil.Bytes
	if err := c.CallContext(ctx, &id, "shhext_requestMessages", map[string]any{"topics": []hexutil.Bytes{topic}}); err != nil || len(id) != 32 {
		t.Fatalf("requestMessages: id %x, %v", id, err)
	}
}
