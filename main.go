// Command hush is a terminal chat client for the Status protocol (2019,
// over Whisper v6). "hush" runs the chat UI on an embedded whisper node;
// "hush serve" runs the same node headless as a relay and mailserver;
// "hush whoami" prints the identity's public key. Flags are in flags.go.
package main

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gdamore/tcell/v2"

	"hush/codec"
	"hush/keys"
	"hush/session"
	"hush/store"
	"hush/ui"
	"hush/whisper"
	"hush/whisper/mailserver"
)

func main() {
	os.Exit(mainStatus(os.Args[1:], os.Stdout, os.Stderr))
}

// mainStatus runs hush with args and returns its exit status: 0, 1 for a
// failure while running, 2 for a command-line mistake (printed once, with
// where to read the usage).
func mainStatus(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args)
	switch {
	case errors.Is(err, errHelp):
		printUsage(stdout, opts.command)
		return 0
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "hush", version())
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "hush: %v\nRun 'hush help' for the commands and flags.\n", err)
		return 2
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(stderr, "hush:", err)
		return 1
	}
	return 0
}

// defaultDataDir follows the XDG base directory rules.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "hush")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "hush")
	}
	return "hush-data"
}

func run(opts options) error {
	if opts.command == cmdWhoami && opts.importKey == "" {
		return whoami(opts)
	}
	loosened, err := store.PrivateDir(opts.dataDir)
	if err != nil {
		return err
	}
	// Before any prompt or key creation: a second process on this data dir
	// fails here at once.
	lock, err := store.LockDir(opts.dataDir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	logger, closeLog, err := openLog(opts, os.Stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	if loosened != 0 {
		logger.Warn("tightened the data dir's mode", "dir", opts.dataDir, "was", fmt.Sprintf("%#o", loosened), "now", "0700")
	}
	crash := &crasher{dataDir: opts.dataDir, log: logger, stderr: os.Stderr, exit: os.Exit}

	if opts.importKey != "" {
		if _, err := importKey(opts); err != nil {
			return err
		}
	}
	switch opts.command {
	case cmdWhoami:
		return printKey(opts)
	case cmdServe:
		return serve(opts, logger, crash)
	default:
		return chat(opts, logger, crash)
	}
}

// whoami prints the identity's public key. It only reads the keystore
// file, which is never rewritten, so it needs neither the data dir's lock
// (it works while a client runs there) nor the log. It never makes an
// identity: a new or mistyped data dir is said to hold none and is left
// uncreated.
func whoami(opts options) error {
	if _, err := keys.Find(opts.dataDir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no identity in %s: hush makes one on its first start there (or give --import-key); check --data-dir", opts.dataDir)
	} else if err != nil {
		return err
	}
	return printKey(opts)
}

func printKey(opts options) error {
	id, err := keys.Unlock(opts.dataDir, opts.passwordFile, os.Stdin, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(codec.PublicKeyHex(&id.PublicKey))
	return nil
}

// stopSignals are the signals that end hush cleanly: the store is flushed
// and the terminal restored before it exits with status 0.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// damageWarning is the one line that tells the user the page check found
// database file name damaged; "" when it found nothing.
func damageWarning(name string, problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return fmt.Sprintf("%s is damaged: %d problems, first: %s (see hush.log)", name, len(problems), problems[0])
}

func importKey(opts options) (*ecdsa.PrivateKey, error) {
	pass, err := newPassphrase(opts)
	if err != nil {
		return nil, err
	}
	// ImportHex's errors start with "import key".
	id, err := keys.ImportHex(opts.dataDir, opts.importKey, pass, keys.Standard)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "imported %s into %s\n", codec.ShortKey(codec.PublicKeyHex(&id.PublicKey)), opts.dataDir)
	return id, nil
}

func newPassphrase(opts options) (string, error) {
	if opts.passwordFile != "" {
		return keys.ReadPasswordFile(opts.passwordFile)
	}
	return keys.PromptNew(os.Stdin, os.Stderr)
}

// startNode builds and starts the embedded whisper node.
func startNode(opts options, logger *slog.Logger, crash *crasher, ms *mailserver.Config, archive mailserver.Archive) (*whisper.Node, *mailserver.Server, error) {
	nodeKey, err := keys.LoadOrCreateNodeKey(opts.dataDir)
	if err != nil {
		return nil, nil, err
	}
	node, err := whisper.New(whisper.Config{
		ListenAddr: opts.listen,
		NodeKey:    nodeKey,
		Peers:      opts.peerNodes,
		MaxPeers:   opts.maxPeers,
		// A relay is dialed, never dials: every slot takes inbound peers.
		InboundOnly: opts.command == cmdServe,
		Logger:      logger.With("part", "whisper"),
		OnPanic:     crash.crash,
	})
	if err != nil {
		return nil, nil, err
	}
	var server *mailserver.Server
	if ms != nil {
		cfg := *ms
		cfg.PeerCount = node.PeerCount
		server = mailserver.New(cfg, archive, node)
		node.RegisterMailServer(server)
		server.Start()
	}
	if err := node.Start(); err != nil {
		if server != nil {
			server.Stop()
		}
		return nil, nil, fmt.Errorf("start node: %w", err)
	}
	return node, server, nil
}

// serve runs a headless relay (and mailserver) until SIGINT, SIGTERM or
// SIGHUP.
func serve(opts options, logger *slog.Logger, crash *crasher) error {
	var (
		msCfg *mailserver.Config
		arch  mailserver.Archive
	)
	if opts.archive {
		var (
			closeArchive func()
			err          error
		)
		if arch, closeArchive, err = openArchive(opts, logger.With("part", "archive")); err != nil {
			return err
		}
		defer closeArchive()
		msCfg = &mailserver.Config{
			SymKey:    codec.SymKeyFromPassword(opts.mailPassword),
			MinPoW:    opts.mailserverPoW,
			RateLimit: opts.rateLimit,
			MaxRange:  opts.maxRange,
			Retention: opts.retention,
			Logger:    logger.With("part", "mailserver"),
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, stopSignals...)
	defer signal.Stop(sig)
	node, server, err := startNode(opts, logger, crash, msCfg, arch)
	if err != nil {
		return err
	}
	fmt.Println(node.Enode().URLv4())
	logger.Info("serving", "enode", node.Enode().URLv4(), "archive", opts.archive)
	if opts.metrics != "" && server != nil {
		stopMetrics, err := serveMetrics(opts.metrics, server, logger.With("part", "metrics"))
		if err != nil {
			node.Stop()
			server.Stop()
			return err
		}
		defer stopMetrics()
	}
	rpcSrv, err := startRPC(opts, node, server, logger, opts.apiPath != "")
	stopBot := func() {}
	if err == nil && opts.apiPath != "" {
		stopBot, err = headless(opts, node, rpcSrv, logger, crash)
	}
	if err != nil {
		if rpcSrv != nil {
			rpcSrv.Close()
		}
		node.Stop()
		if server != nil {
			server.Stop()
		}
		return err
	}

	got := <-sig
	// A second signal ends the process at once if stopping hangs.
	signal.Stop(sig)
	logger.Info("stopping", "signal", got.String())
	stopBot()
	if rpcSrv != nil {
		rpcSrv.Close()
	}
	node.Stop()
	if server != nil {
		server.Stop()
	}
	return nil
}

// chat runs the interactive client.
func chat(opts options, logger *slog.Logger, crash *crasher) error {
	// The store opens before the passphrase is asked: its page check runs
	// in the background meanwhile.
	dbPath := filepath.Join(opts.dataDir, "hush.db")
	st, err := store.Open(dbPath, logger.With("part", "store"))
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := keys.Unlock(opts.dataDir, opts.passwordFile, os.Stdin, os.Stderr)
	if err != nil {
		return err
	}
	// Only after the prompt, which handles interrupts itself. A signal from
	// here on is held until the UI runs, which then stops at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, stopSignals...)
	defer signal.Stop(sigs)

	var node session.Node
	mailservers := opts.parsedMailservers
	if opts.nodeURL != "" {
		remote, ms, err := startRemote(opts, logger)
		if err != nil {
			return err
		}
		defer remote.Stop()
		node, mailservers = remote, ms
	} else {
		embedded, _, err := startNode(opts, logger, crash, nil, nil)
		if err != nil {
			return err
		}
		defer embedded.Stop()
		node = embedded
	}
	mgr, err := session.New(session.Config{
		Identity:           id,
		Node:               node,
		Store:              st,
		Mailservers:        mailservers,
		MailserverPassword: opts.mailPassword,
		Logger:             logger.With("part", "session"),
		OnPanic:            crash.crash,
	})
	if err != nil {
		return err
	}
	if err := mgr.Start(); err != nil {
		return err
	}
	defer mgr.Stop()

	// The page check may still be running on a large store: its finding
	// goes to the status line when it comes.
	warnings := make(chan string, 1)
	go func() {
		if w := damageWarning(filepath.Base(dbPath), st.Problems()); w != "" {
			warnings <- w
		}
	}()
	screen, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	var uiSession ui.Session = mgr
	if opts.apiPath != "" {
		fan, stopAPI, err := startAPI(opts, mgr, true, logger)
		if err != nil {
			return err
		}
		// Deferred after mgr.Stop, so it runs before it: the API's
		// callers are gone before the session stops.
		defer stopAPI()
		uiSession = fannedSession{Manager: mgr, events: fan.Events()}
	}
	err = ui.New(ui.Config{
		Session:  uiSession,
		Screen:   crash.wrap(screen),
		Logger:   logger.With("part", "ui"),
		DataDir:  opts.dataDir,
		Signals:  sigs,
		Warnings: warnings,
	}).Run()
	// The terminal is back in cooked mode: a Ctrl+C or second signal
	// while the deferred shutdown below runs ends the process at once.
	signal.Stop(sigs)
	// And, once the terminal is back, to stderr, where it stays.
	select {
	case <-st.Checked():
		if w := damageWarning(filepath.Base(dbPath), st.Problems()); w != "" {
			fmt.Fprintln(os.Stderr, "hush: warning:", w)
		}
	default:
	}
	return err
}
