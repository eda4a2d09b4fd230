package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// TestServeRPCAndBot runs the binary as `hush serve --rpc-ws … --ipc …
// --api …` (a relay with its RPC and a headless bot): it prints where each
// listens, the sockets are 0600, the WebSocket answers shh_*, and the bot's
// API answers hush_whoami.
func TestServeRPCAndBot(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ipc, apiSock := filepath.Join(dir, "shh.ipc"), filepath.Join(dir, "api.sock")
	cmd := hush(t, "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--password-file", pass,
		"--rpc-ws", "127.0.0.1:0", "--ipc", ipc, "--api", apiSock)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 8)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var got []string
	deadline := time.After(60 * time.Second)
	for len(got) < 4 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended after printing %q", got)
			}
			got = append(got, l)
		case <-deadline:
			t.Fatalf("serve printed only %q", got)
		}
	}
	if !strings.HasPrefix(got[0], "enode://") || !strings.HasPrefix(got[1], "rpc ws://127.0.0.1:") ||
		got[2] != "rpc "+ipc || got[3] != "api "+apiSock {
		t.Fatalf("serve printed %q", got)
	}
	for _, sock := range []string{ipc, apiSock} {
		if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want mode 0600", sock, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, err := rpc.DialWebsocket(ctx, strings.TrimPrefix(got[1], "rpc "), "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var info struct {
		Enode string `json:"enode"`
	}
	if err := ws.CallContext(ctx, &info, "admin_nodeInfo"); err != nil || info.Enode != got[0] {
		t.Fatalf("admin_nodeInfo over the WebSocket: %+v, %v; want %s", info, err, got[0])
	}
	bot, err := rpc.DialIPC(ctx, apiSock)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	var me struct {
		PublicKey string `json:"publicKey"`
		Enode     string `json:"enode"`
	}
	if err := bot.CallContext(ctx, &me, "hush_whoami"); err != nil || !strings.HasPrefix(me.PublicKey, "0x04") || me.Enode != got[0] {
		t.Fatalf("hush_whoami: %+v, %v", me, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}
