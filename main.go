// Command hush is a terminal chat client for the Status protocol (2019,
// over Whisper v6). "hush" runs the chat UI on an embedded whisper node;
// "hush serve" runs the same node headless as a relay and mailserver;
// "hush whoami" prints the identity's public key.
package main

import (
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/gdamore/tcell/v2"

	"hush/codec"
	"hush/keys"
	"hush/session"
	"hush/store"
	"hush/ui"
	"hush/whisper"
	"hush/whisper/mailserver"
)

const usage = `hush: a terminal chat client for the Status protocol over Whisper v6

Usage:
  hush [flags]          start the chat client
  hush serve [flags]    run a headless relay and mailserver; prints its enode URL first
  hush whoami [flags]   print your public key and exit

Flags:
`

// options are the parsed command line.
type options struct {
	command       string
	dataDir       string
	listen        string
	peers         listFlag
	mailservers   listFlag
	passwordFile  string
	importKey     string
	mailPassword  string
	archive       bool
	maxRange      time.Duration
	rateLimit     time.Duration
	retention     time.Duration
	maxPeers      int
	logLevel      string
	logFile       string
	mailserverPoW float64
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hush:", err)
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "hush:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	opts := options{command: "chat"}
	if len(args) > 0 && (args[0] == "serve" || args[0] == "whoami") {
		opts.command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("hush", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.dataDir, "data-dir", defaultDataDir(), "directory for the identity, database and hush.log")
	fs.StringVar(&opts.listen, "listen", ":30303", "TCP address the whisper node listens on (\"\" to not listen)")
	fs.Var(&opts.peers, "peer", "enode://… URL of a node to connect to and redial (repeatable)")
	fs.Var(&opts.mailservers, "mailserver", "enode://… URL of a mailserver for offline history (repeatable; first reachable wins; add ?format=geth for a geth mailserver)")
	fs.StringVar(&opts.passwordFile, "password-file", "", "read the identity passphrase from this file instead of prompting")
	fs.StringVar(&opts.importKey, "import-key", "", "create the identity from a file holding a hex private key")
	fs.StringVar(&opts.mailPassword, "mailserver-password", session.DefaultMailserverPassword, "password whose key encrypts history requests")
	fs.BoolVar(&opts.archive, "archive", true, "serve: archive envelopes and answer history requests")
	fs.DurationVar(&opts.maxRange, "max-range", 7*24*time.Hour, "serve: longest time range one history request may ask for")
	fs.DurationVar(&opts.rateLimit, "rate-limit", time.Second, "serve: a peer regains one history request per this interval (the next page of a request is free)")
	fs.DurationVar(&opts.retention, "retention", 30*24*time.Hour, "serve: archived envelopes older than this are dropped (negative: keep all)")
	fs.IntVar(&opts.maxPeers, "max-peers", 50, "maximum number of whisper peers")
	fs.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&opts.logFile, "log-file", "", "log file (default DATA-DIR/hush.log)")
	fs.Float64Var(&opts.mailserverPoW, "mailserver-pow", 0.002, "serve: minimum PoW of history requests")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q (see hush --help)", fs.Arg(0))
	}
	return opts, nil
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
	logger, closeLog, err := openLog(opts)
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
	case "whoami":
		id, err := keys.Unlock(opts.dataDir, opts.passwordFile, os.Stdin, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Println(codec.PublicKeyHex(&id.PublicKey))
		return nil
	case "serve":
		return serve(opts, logger, crash)
	default:
		return chat(opts, logger, crash)
	}
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
	pass, err := passphrase(opts, true)
	if err != nil {
		return nil, err
	}
	id, err := keys.ImportHex(opts.dataDir, opts.importKey, pass, keys.Standard)
	if err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	fmt.Fprintf(os.Stderr, "imported %s into %s\n", codec.ShortKey(codec.PublicKeyHex(&id.PublicKey)), opts.dataDir)
	return id, nil
}

func passphrase(opts options, confirm bool) (string, error) {
	if opts.passwordFile != "" {
		return keys.ReadPasswordFile(opts.passwordFile)
	}
	return keys.Prompt(os.Stdin, os.Stderr, "New passphrase (empty for none): ", confirm)
}

// openLog sends hush's and go-ethereum's logs to a file: never to the
// terminal the UI draws on.
func openLog(opts options) (*slog.Logger, func(), error) {
	path := opts.logFile
	if path == "" {
		path = filepath.Join(opts.dataDir, "hush.log")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	// The log names chats and peers: an existing one left readable by
	// others is tightened (PrivateFile leaves /dev/null and pipes alone).
	if _, err := store.PrivateFile(path); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	gethLevel := log.LvlInfo
	switch {
	case level <= slog.LevelDebug:
		gethLevel = log.LvlDebug
	case level >= slog.LevelError:
		gethLevel = log.LvlError
	case level >= slog.LevelWarn:
		gethLevel = log.LvlWarn
	}
	log.Root().SetHandler(log.LvlFilterHandler(gethLevel, log.StreamHandler(f, log.LogfmtFormat())))
	logger := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
	return logger, func() { f.Close() }, nil
}

// startNode builds and starts the embedded whisper node.
func startNode(opts options, logger *slog.Logger, crash *crasher, ms *mailserver.Config, archive mailserver.Archive) (*whisper.Node, *mailserver.Server, error) {
	nodeKey, err := keys.LoadOrCreateNodeKey(opts.dataDir)
	if err != nil {
		return nil, nil, err
	}
	var peers []*enode.Node
	for _, raw := range opts.peers {
		n, err := enode.Parse(enode.ValidSchemes, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("--peer %q: %w", raw, err)
		}
		peers = append(peers, n)
	}
	node, err := whisper.New(whisper.Config{
		ListenAddr: opts.listen,
		NodeKey:    nodeKey,
		Peers:      peers,
		MaxPeers:   opts.maxPeers,
		// A relay is dialed, never dials: every slot takes inbound peers.
		InboundOnly: opts.command == "serve",
		Logger:      logger.With("part", "whisper"),
		OnPanic:     crash.crash,
	})
	if err != nil {
		return nil, nil, err
	}
	var server *mailserver.Server
	if ms != nil {
		server = mailserver.New(*ms, archive, node)
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
		msCfg   *mailserver.Config
		archive *store.Store
	)
	if opts.archive {
		var err error
		if archive, err = store.Open(filepath.Join(opts.dataDir, "archive.db"), logger.With("part", "archive")); err != nil {
			return err
		}
		defer archive.Close()
		go func() {
			// The check runs while the node serves; a damaged archive
			// still serves what it can read.
			if w := damageWarning("archive.db", archive.Problems()); w != "" {
				fmt.Fprintln(os.Stderr, "hush: warning:", w)
			}
		}()
		msCfg = &mailserver.Config{
			SymKey:    codec.SymKeyFromPassword(opts.mailPassword),
			MinPoW:    opts.mailserverPoW,
			RateLimit: opts.rateLimit,
			MaxRange:  opts.maxRange,
			Retention: opts.retention,
			Logger:    logger.With("part", "mailserver"),
		}
	}
	var arch mailserver.Archive
	if archive != nil {
		arch = archive
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

	got := <-sig
	// A second signal ends the process at once if stopping hangs.
	signal.Stop(sig)
	logger.Info("stopping", "signal", got.String())
	node.Stop()
	if server != nil {
		server.Stop()
	}
	return nil
}

// chat runs the interactive client.
func chat(opts options, logger *slog.Logger, crash *crasher) error {
	var mailservers []session.Mailserver
	for _, raw := range opts.mailservers {
		ms, err := session.ParseMailserver(raw)
		if err != nil {
			return fmt.Errorf("--mailserver: %w", err)
		}
		mailservers = append(mailservers, ms)
	}
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

	node, _, err := startNode(opts, logger, crash, nil, nil)
	if err != nil {
		return err
	}
	defer node.Stop()
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
	err = ui.New(ui.Config{
		Session:  mgr,
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
