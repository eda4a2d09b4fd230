package main

import (
	"bufio"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// TestServeLogsToStderr: serve logs to stderr by default, a peer's
// connection included, every line in the one slog text format.
func TestServeLogsToStderr(t *testing.T) {
	cmd := hush(t, "serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var (
		mu    sync.Mutex
		lines []string
	)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			mu.Lock()
			lines = append(lines, s.Text())
			mu.Unlock()
		}
	}()
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no enode: %v", err)
	}
	server, err := enode.Parse(enode.ValidSchemes, strings.TrimSpace(first))
	if err != nil {
		t.Fatal(err)
	}
	peerWith(t, server)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(lines, "\n")
		mu.Unlock()
		if strings.Contains(got, `msg="whisper peer connected"`) {
			for _, l := range strings.Split(got, "\n") {
				if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " level=") {
					t.Fatalf("a stderr line not in the slog format: %q", l)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection logged on stderr:\n%s", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGethLinesThroughSlog: go-ethereum's own log records come out of the
// same slog handler, filtered by its level.
func TestGethLinesThroughSlog(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := gethHandler(logger)
	geth := log.New()
	geth.SetHandler(h)
	geth.Info("Started P2P networking", "self", "enode://x")
	geth.Debug("too chatty")
	out := buf.String()
	if !strings.HasPrefix(out, "time=") || !strings.Contains(out, `level=INFO msg="Started P2P networking" self=enode://x`) {
		t.Fatalf("geth line came out as %q", out)
	}
	if strings.Contains(out, "too chatty") {
		t.Fatal("a debug line passed an info-level handler")
	}
	if !logger.Enabled(context.Background(), gethLevel(log.LvlWarn)) || logger.Enabled(context.Background(), gethLevel(log.LvlTrace)) {
		t.Fatal("geth levels map wrongly")
	}
}
