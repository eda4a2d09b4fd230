package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hush/keys"
	"hush/store"
)

// A real enode URL (alice's node key from the test vectors) for the
// tests that need one.
const testEnode = "enode://5eed5fa3a67696c334762bb4823e585e2ee579aba3558d9955296d6c04541b426078dbd48d74af1fd0c72aa1a05147cf17be6b60bdbed6ba19b08ec28445b0ca@127.0.0.1:30400"

func TestFlagsParse(t *testing.T) {
	opts, err := parseFlags([]string{"serve", "--peer", testEnode, "--peer", testEnode, "--listen", ":1"})
	if err != nil || opts.command != cmdServe || len(opts.peerNodes) != 2 || opts.listen != ":1" {
		t.Fatalf("parseFlags: %+v %v", opts, err)
	}
	// Flags before the command are accepted, and mixed with those after.
	opts, err = parseFlags([]string{"--data-dir", "/x", "serve", "--archive=false"})
	if err != nil || opts.command != cmdServe || opts.dataDir != "/x" || opts.archive {
		t.Fatalf("flags before serve: %+v %v", opts, err)
	}
	opts, err = parseFlags([]string{"--data-dir=/y", "whoami"})
	if err != nil || opts.command != cmdWhoami || opts.dataDir != "/y" {
		t.Fatalf("flags before whoami: %+v %v", opts, err)
	}
	// Listening: the client only dials out unless told; serve listens.
	if opts, _ := parseFlags(nil); opts.command != cmdChat || opts.listen != "" {
		t.Fatalf("client listens on %q by default", opts.listen)
	}
	if opts, _ := parseFlags([]string{"serve"}); opts.listen != serveListen {
		t.Fatalf("serve listens on %q by default", opts.listen)
	}
	if opts, _ := parseFlags([]string{"serve", "--listen", ""}); opts.listen != "" {
		t.Fatalf("serve --listen \"\" listens on %q", opts.listen)
	}
	// Where the log goes: the client's file, serve's stderr, "-" for stderr.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-dir", "/d"}, "/d/hush.log"},
		{[]string{"serve", "--data-dir", "/d"}, logToStderr},
		{[]string{"serve", "--log-file", "-"}, logToStderr},
		{[]string{"serve", "--log-file", "/l"}, "/l"},
		{[]string{"--log-file", "/l"}, "/l"},
	} {
		opts, err := parseFlags(c.args)
		if got := logPath(opts); err != nil || got != c.want {
			t.Errorf("%q: log to %q (%v), want %q", c.args, got, err, c.want)
		}
	}
	opts, err = parseFlags([]string{"--mailserver", testEnode + "?format=geth"})
	if err != nil || len(opts.parsedMailservers) != 1 {
		t.Fatalf("--mailserver: %+v %v", opts, err)
	}
}

func TestFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--peer", "garbage"}, `--peer "garbage": not an enode URL`},
		{[]string{"serve", "--peer", "enode://abc@1.2.3.4:1"}, "not 128"},
		{[]string{"--peer", testEnode[:len(testEnode)-6]}, "invalid port"},
		{[]string{"--mailserver", "garbage"}, `--mailserver "garbage": not an enode URL`},
		{[]string{"--mailserver", testEnode + "?format=x"}, `format "x"`},
		{[]string{"--max-peers", "-1"}, "--max-peers -1: must be 0 or more"},
		{[]string{"--max-peers", "many"}, `--max-peers "many": want a whole number`},
		{[]string{"serve", "--archive=maybe"}, `--archive "maybe": want true or false`},
		{[]string{"--data-dir"}, "--data-dir needs a value"},
		{[]string{"--listen", "30303"}, "--listen \"30303\": want HOST:PORT"},
		{[]string{"--log-level", "loud"}, "--log-level \"loud\""},
		{[]string{"--log-file", "-"}, "the client draws on the terminal"},
		{[]string{"serve", "--rpc-ws", "127.0.0.1:1", "--rpc-allow-remote"}, "--rpc-allow-remote needs --rpc-token-file"},
		{[]string{"serve", "--rpc-token-file", "/t"}, "apply to --rpc-ws, which is not given"},
		{[]string{"serve", "--rpc-ws", "8546"}, `--rpc-ws "8546": want HOST:PORT`},
		{[]string{"--node", "ws://127.0.0.1:1", "--listen", ":1"}, "with --node, hush runs no node of its own"},
		{[]string{"--node", "http://127.0.0.1:1"}, "want ws://HOST:PORT"},
		{[]string{"--rpc-ws", "127.0.0.1:1"}, "--rpc-ws is a flag of hush serve"},
		{[]string{"serve", "--mailserver", testEnode}, "only for the session of --api"},
		{[]string{"serve", "--max-range", "0s"}, "--max-range 0s: must be positive"},
		{[]string{"serve", "--mailserver-pow", "-1"}, "must not be negative"},
		// A flag of another command is refused by name.
		{[]string{"--archive=false"}, "--archive is a flag of hush serve, not of chat"},
		{[]string{"--mailserver-pow", "1"}, "--mailserver-pow is a flag of hush serve, not of chat"},
		{[]string{"--retention", "1h"}, "--retention is a flag of hush serve"},
		{[]string{"serve", "--node", "ws://127.0.0.1:1"}, "--node is a flag of hush chat, not of serve"},
		{[]string{"whoami", "--peer", testEnode}, "--peer is a flag of hush chat and hush serve, not of whoami"},
		{[]string{"--listen", ":1", "whoami"}, "--listen is a flag of hush chat and hush serve, not of whoami"},
		// Words that are not commands.
		{[]string{"stray"}, `unknown command "stray"`},
		{[]string{"serve", "whoami"}, "two commands given"},
		{[]string{"serve", "extra"}, `unexpected argument "extra" after serve`},
		{[]string{"--nope"}, "unknown flag --nope"},
	} {
		_, err := parseFlags(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want it to say %q", c.args, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "enr:") {
			t.Errorf("%q: geth jargon in %q", c.args, err)
		}
	}
}

// TestBadFlagPrintedOnce: a mistake is one line plus where to read the
// usage, not the error, the usage and the error again.
func TestBadFlagPrintedOnce(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := mainStatus([]string{"--max-peers", "-1"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	want := "hush: --max-peers -1: must be 0 or more\nRun 'hush help' for the commands and flags.\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Fatalf("stderr %q stdout %q, want stderr %q", stderr.String(), stdout.String(), want)
	}
	stderr.Reset()
	mainStatus([]string{"--bogus"}, &stdout, &stderr)
	if n := strings.Count(stderr.String(), "bogus"); n != 1 {
		t.Fatalf("--bogus named %d times: %q", n, stderr.String())
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}, {"help", "serve"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		if code := mainStatus(args, &stdout, &stderr); code != 0 || stderr.Len() != 0 || stdout.Len() == 0 {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		var all bytes.Buffer
		mainStatus(args, &all, &all)
		var opts options
		for _, d := range flagTable(&opts) {
			if !strings.Contains(all.String(), "--"+d.name+" ") && !strings.Contains(all.String(), "--"+d.name+"\n") {
				t.Errorf("hush %s does not show --%s", args[0], d.name)
			}
		}
	}
	var all bytes.Buffer
	mainStatus([]string{"help"}, &all, &all)
	for _, word := range []string{"serve", "whoami", "--version", "hush help"} {
		if !strings.Contains(all.String(), word) {
			t.Errorf("hush help does not mention %s", word)
		}
	}
	// One command's help shows its flags only.
	var serve bytes.Buffer
	mainStatus([]string{"help", "serve"}, &serve, &serve)
	if !strings.Contains(serve.String(), "--archive") || strings.Contains(serve.String(), "--node ") {
		t.Fatalf("hush help serve:\n%s", serve.String())
	}
	var v bytes.Buffer
	mainStatus([]string{"--version"}, &v, &v)
	if !strings.HasPrefix(v.String(), "hush ") || strings.Count(v.String(), "\n") != 1 {
		t.Fatalf("--version printed %q", v.String())
	}
}

// TestFlagsCheckedBeforeIdentity: a bad flag stops hush before it creates
// a data dir, an identity or asks a passphrase.
func TestFlagsCheckedBeforeIdentity(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cmd := hush(t, "--data-dir", data, "--peer", "garbage")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	var exit interface{ ExitCode() int }
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v, output %q", err, out)
	}
	if strings.Contains(string(out), "passphrase") || strings.Contains(string(out), "enr:") {
		t.Fatalf("output %q", out)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("the data dir was created: %v", err)
	}
}

// TestWhoamiWithoutIdentity: whoami on a new or mistyped data dir says
// there is no identity and creates nothing.
func TestWhoamiWithoutIdentity(t *testing.T) {
	for _, data := range []string{filepath.Join(t.TempDir(), "typo"), t.TempDir()} {
		cmd := hush(t, "whoami", "--data-dir", data)
		cmd.Stdin = strings.NewReader("\n\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit interface{ ExitCode() int }
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("%s: exit %v", data, err)
		}
		if want := "hush: no identity in " + data; !strings.HasPrefix(stderr.String(), want) || stdout.Len() != 0 {
			t.Fatalf("stderr %q stdout %q, want %q…", stderr.String(), stdout.String(), want)
		}
		entries, _ := os.ReadDir(data)
		if len(entries) != 0 {
			t.Fatalf("whoami wrote %d files into %s", len(entries), data)
		}
	}
}

// repeatedPrefix returns the first word that starts two ": "-separated
// parts of an error message ("import key: import key: …"), or "".
func repeatedPrefix(msg string) string {
	seen := map[string]bool{}
	for _, part := range strings.Split(msg, ": ") {
		word, _, _ := strings.Cut(strings.TrimLeft(part, "-"), " ")
		word = strings.ToLower(word)
		if word == "" {
			continue
		}
		if seen[word] {
			return word
		}
		seen[word] = true
	}
	return ""
}

// TestErrorsDoNotRepeatPrefixes runs the command-line mistakes whose
// messages used to stack the same prefix twice.
func TestErrorsDoNotRepeatPrefixes(t *testing.T) {
	if w := repeatedPrefix("import key: import key: x"); w != "import" {
		t.Fatalf("repeatedPrefix missed %q", w)
	}
	for _, args := range [][]string{
		{"--mailserver", "enode://x?format=y"},
		{"--mailserver", testEnode + "?format=y"},
		{"--peer", "garbage"},
		{"serve", "--archive", "--mailserver", testEnode},
	} {
		_, err := parseFlags(args)
		if err == nil || repeatedPrefix(err.Error()) != "" {
			t.Errorf("%q: %v", args, err)
		}
	}
	// Importing over an existing identity.
	dir := t.TempDir()
	if _, err := keys.Create(dir, "", keys.Light); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.hex")
	if err := os.WriteFile(keyFile, []byte(alicePriv), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := hush(t, "whoami", "--data-dir", dir, "--import-key", keyFile, "--password-file", keyFile)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "already exists") || repeatedPrefix(strings.TrimPrefix(stderr.String(), "hush: ")) != "" {
		t.Fatalf("import over an identity: %v, stderr %q", err, stderr.String())
	}
}

// TestWhoamiWhileLocked: whoami reads the identity of a data dir another
// process holds (the README's demo runs it next to a client).
func TestWhoamiWhileLocked(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "key.hex")
	if err := os.WriteFile(keyFile, []byte(alicePriv), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.ImportHex(dir, keyFile, "", keys.Light); err != nil {
		t.Fatal(err)
	}
	lock, err := store.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	cmd := hush(t, "whoami", "--data-dir", dir)
	cmd.Stdin = strings.NewReader("") // an empty passphrase is not asked
	out, err := cmd.Output()
	if err != nil || string(out) != alicePub+"\n" {
		t.Fatalf("whoami beside a lock holder: %v, %q", err, out)
	}
}
