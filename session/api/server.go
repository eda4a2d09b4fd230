package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"hush/session"
)

// Session is what the API needs of a session; *session.Manager has it.
type Session interface {
	Self() session.Identity
	Chats() []session.Chat
	JoinPublic(name string) (session.Chat, error)
	OpenPrivate(keyOrName string) (session.Chat, error)
	Leave(chatID string) error
	Send(chatID, text string) error
	Latest(chatID string, n int) ([]session.Message, error)
	Before(chatID string, before session.Message, n int) ([]session.Message, error)
	Message(id string) (session.Message, bool, error)
}

var _ Session = (*session.Manager)(nil)

// subBuffer is how many events wait for one subscriber before it loses
// some.
const subBuffer = 1024

// Config configures a Server.
type Config struct {
	Session Session
	Events  *session.Fanout // the session's events, shared with the UI if any
	Logger  *slog.Logger
}

// Server serves the API. Create it with New, Listen, then Close.
type Server struct {
	cfg Config
	log *slog.Logger
	rpc *rpc.Server

	mu        sync.Mutex
	listener  net.Listener
	quit      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Session == nil || cfg.Events == nil {
		return nil, errors.New("api: a session and its events are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, rpc: rpc.NewServer(), quit: make(chan struct{})}
	// Two receivers: hush_messages (a call) and hush_subscribe("messages")
	// share a name, which one Go type cannot have twice.
	for _, api := range []any{&calls{s}, &subscriptions{s}} {
		if err := s.rpc.RegisterName("hush", api); err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
	}
	return s, nil
}

// Listen serves the API on a Unix socket at path, mode 0600. A stale
// socket left by a killed process is replaced; a live one is an error.
func (s *Server) Listen(path string) error {
	if err := clearStaleSocket(path); err != nil {
		return err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("api socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("api socket: %w", err)
	}
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.rpc.ServeListener(l); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("api socket stopped", "err", err)
		}
	}()
	s.log.Info("api listening", "path", path)
	return nil
}

// Close stops listening and ends every connection and subscription.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		l := s.listener
		s.mu.Unlock()
		if l != nil {
			l.Close()
		}
		close(s.quit)
		s.rpc.Stop()
		s.wg.Wait()
	})
}

// clearStaleSocket removes a socket at path that nobody answers on.
func clearStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("api socket: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("api socket: %s exists and is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("api socket: %s is in use by another process", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("api socket: remove stale %s: %w", path, err)
	}
	return nil
}
