package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/whisper"
)

// TestMain lets the tests run this test binary as the hush command.
func TestMain(m *testing.M) {
	if os.Getenv("HUSH_RUN_MAIN") == "1" {
		os.Args = append([]string{"hush"}, strings.Fields(os.Getenv("HUSH_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hush returns a command running hush with args.
func hush(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "HUSH_RUN_MAIN=1", "HUSH_ARGS="+strings.Join(args, " "))
	return cmd
}

// alice's key and public key, from the protocol notes' test vectors.
const (
	alicePriv = "0x9c0257114eb9399a2985f8e75dad7600c5d89fe3824ffa99ec1c3eb8bf3b0501"
	alicePub  = "0x045eed5fa3a67696c334762bb4823e585e2ee579aba3558d9955296d6c04541b426078dbd48d74af1fd0c72aa1a05147cf17be6b60bdbed6ba19b08ec28445b0ca"
)

func TestImportKeyThenWhoami(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "alice.hex")
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(keyFile, []byte(alicePriv+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(passFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := hush(t, "whoami", "--data-dir", data, "--password-file", passFile, "--import-key", keyFile).Output()
	if err != nil {
		t.Fatalf("whoami --import-key: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != alicePub {
		t.Fatalf("whoami printed %q, want alice's key", got)
	}
	// Again, from the keystore alone; stdout holds only the key.
	out, err = hush(t, "whoami", "--data-dir", data, "--password-file", passFile).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != alicePub+"\n" {
		t.Fatalf("whoami printed %q", out)
	}
	// A wrong passphrase is refused with a one-line error.
	if err := os.WriteFile(passFile, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := hush(t, "whoami", "--data-dir", data, "--password-file", passFile)
	errOut, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(errOut), "passphrase") || strings.Count(strings.TrimSpace(string(errOut)), "\n") != 0 {
		t.Fatalf("wrong passphrase: err %v, output %q", err, errOut)
	}
	// The key file on disk is encrypted: the private key does not appear.
	raw, err := os.ReadFile(filepath.Join(data, "identity.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), strings.TrimPrefix(alicePriv, "0x")) {
		t.Fatal("identity file holds the private key in the clear")
	}
}

// TestServePrintsEnodeAndStops: the first stdout line is a usable enode URL;
// SIGTERM stops the node cleanly.
func TestServePrintsEnodeAndStops(t *testing.T) {
	cmd := hush(t, "serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
	}()
	var url string
	select {
	case url = <-line:
	case <-time.After(20 * time.Second):
		t.Fatal("serve printed nothing")
	}
	server, err := enode.Parse(enode.ValidSchemes, url)
	if err != nil || server.TCP() == 0 {
		t.Fatalf("first line %q is not an enode URL with a port: %v", url, err)
	}

	key, _ := crypto.GenerateKey()
	client, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key, Peers: []*enode.Node{server}})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	defer client.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for client.PeerCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("could not peer with hush serve")
		}
		time.Sleep(20 * time.Millisecond)
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
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func TestFlags(t *testing.T) {
	out, _ := hush(t, "--help").CombinedOutput()
	for _, flag := range []string{"-data-dir", "-listen", "-peer", "-password-file", "-mailserver", "-import-key", "serve", "whoami"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("--help does not mention %s", flag)
		}
	}
	opts, err := parseFlags([]string{"serve", "--peer", "a", "--peer", "b", "--listen", ":1"})
	if err != nil || opts.command != "serve" || len(opts.peers) != 2 || opts.listen != ":1" {
		t.Fatalf("parseFlags: %+v %v", opts, err)
	}
	if _, err := parseFlags([]string{"stray"}); err == nil {
		t.Fatal("a stray argument was accepted")
	}
}
