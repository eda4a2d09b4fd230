package rpcserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
	"hush/whisper/mailserver"
)

// Config configures a Server.
type Config struct {
	Node *whisper.Node // started; the server reads its Received()
	// Mailserver is the node's own archive, which answers history requests
	// naming this node (or no node); nil when it keeps none.
	Mailserver *mailserver.Server
	// Token, when set, must be presented by every WebSocket caller, as
	// "Authorization: Bearer TOKEN" or as the password of ws://user:TOKEN@….
	Token string
	// AllowRemote admits WebSocket callers from other hosts; it needs a
	// Token.
	AllowRemote bool
	// Passthrough keeps the node's deliveries for subscriptions that are
	// not the RPC's on Received(), for a session in the same process (hush
	// serve --api); without it they are dropped.
	Passthrough bool
	Logger      *slog.Logger
}

// Server is the RPC front of a node. Create it with New; Close ends it.
type Server struct {
	cfg    Config
	log    *slog.Logger
	rpc    *rpc.Server
	shh    *whisperv6.Whisper
	router *router

	mu        sync.Mutex
	closers   []func()
	closed    bool
	quit      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds the server and starts routing the node's deliveries; nothing
// listens until ListenWS or ListenIPC.
func New(cfg Config) (*Server, error) {
	if cfg.Node == nil {
		return nil, errors.New("rpc server: a node is required")
	}
	if cfg.AllowRemote && cfg.Token == "" {
		return nil, errors.New("rpc server: remote callers need a token")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:  cfg,
		log:  cfg.Logger,
		rpc:  rpc.NewServer(),
		shh:  cfg.Node.Whisper(),
		quit: make(chan struct{}),
	}
	s.router = newRouter(cfg.Node, cfg.Passthrough, s.log)
	// whisperv6's API first; the methods registered after it under the
	// same name replace its own (go-ethereum's registry merges them).
	apis := []struct {
		name string
		api  any
	}{
		{"shh", whisperv6.NewPublicWhisperAPI(s.shh)},
		{"shh", &shhAPI{s}},
		{"shhext", &shhextAPI{s}},
		{"admin", &adminAPI{s}},
	}
	for _, a := range apis {
		if err := s.rpc.RegisterName(a.name, a.api); err != nil {
			return nil, fmt.Errorf("rpc server: register %s: %w", a.name, err)
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.router.run(s.quit)
	}()
	return s, nil
}

// Received yields the node's deliveries for subscriptions that are not
// the RPC's (Config.Passthrough), in the node's order.
func (s *Server) Received() <-chan whisper.Received { return s.router.pass }

// ListenWS serves JSON-RPC over WebSocket on addr (host:port; an empty
// host is 127.0.0.1) and returns the address it listens on. A host that
// is not loopback needs AllowRemote.
func (s *Server) ListenWS(addr string) (net.Addr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("rpc websocket %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !s.cfg.AllowRemote && !loopbackHost(host) {
		return nil, fmt.Errorf("rpc websocket %q: not a loopback address; remote callers need --rpc-allow-remote and --rpc-token-file", addr)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("rpc websocket: %w", err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if !s.add(func() { hs.Close() }) {
		l.Close()
		return nil, errors.New("rpc websocket: server closed")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("rpc websocket stopped", "err", err)
		}
	}()
	s.log.Info("rpc websocket listening", "addr", l.Addr().String(), "remote", s.cfg.AllowRemote, "token", s.cfg.Token != "")
	return l.Addr(), nil
}

// ListenIPC serves JSON-RPC on a Unix socket at path, readable and
// writable by its owner only. A stale socket left by a killed process is
// replaced; a live one is an error.
func (s *Server) ListenIPC(path string) error {
	if err := clearStaleSocket(path); err != nil {
		return err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("rpc socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("rpc socket: %w", err)
	}
	if !s.add(func() { l.Close() }) {
		l.Close()
		return errors.New("rpc socket: server closed")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.rpc.ServeListener(l); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("rpc socket stopped", "err", err)
		}
	}()
	s.log.Info("rpc socket listening", "path", path)
	return nil
}

// clearStaleSocket removes a socket at path that nobody answers on.
func clearStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rpc socket: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("rpc socket: %s exists and is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("rpc socket: %s is in use by another process", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("rpc socket: remove stale %s: %w", path, err)
	}
	return nil
}

// add registers a closer; false when the server closed already.
func (s *Server) add(closer func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closers = append(s.closers, closer)
	return true
}

// Close stops listening, ends every connection and subscription, and
// stops routing. It does not stop the node.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		closers := s.closers
		s.mu.Unlock()
		for _, c := range closers {
			c()
		}
		s.rpc.Stop()
		close(s.quit)
		s.wg.Wait()
		s.router.closeAll()
	})
}
