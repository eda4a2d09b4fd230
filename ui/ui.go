package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"hush/session"
)

// Config is what New needs.
type Config struct {
	Session Session
	Screen  tcell.Screen // injected; main passes tcell.NewScreen(), tests a tcell.SimulationScreen
	Logger  *slog.Logger // nil discards
	DataDir string       // where a panic trace file goes
	// Signals stops the UI like /quit when a value arrives: main passes
	// signal.Notify's channel for SIGTERM, SIGHUP and SIGINT, so those end
	// hush with the terminal restored. nil: no signals.
	Signals <-chan os.Signal
	// Warnings are shown in the status line as they arrive (e.g. a damaged
	// database, found by the check that runs while hush starts).
	Warnings <-chan string
}

// UI is the terminal user interface. Create it with New, then call Run.
type UI struct {
	session  Session
	log      *slog.Logger
	dataDir  string
	signals  <-chan os.Signal
	warnings <-chan string
	screen   *initOnceScreen
	app      *tview.Application

	root     *layout
	list     *chatList
	pane     *messagePane
	input    *inputBox
	status   *statusLine
	commands []command

	// State below is owned by the event loop goroutine.
	self        session.Identity
	chats       []session.Chat
	current     string // ID of the chat shown in the pane; "" for none
	currentIdx  int    // its index in chats when it was last looked up
	peers       int
	outbox      session.OutboxChanged // our messages waiting for the network
	sync        syncState
	notice      notice
	noticeTimer *time.Timer
	notices     noticeLog // every notice shown, for /log
	sheet       *sheet    // drawn over the chats when not nil
	lastSearch  *sheet    // the last /search results, for /search alone
	openNext    string    // a chat to show once it is listed (nothing was on screen)
	stopQueued  bool      // the loop was stopped by stopWhenAsked
	bell        bellLimit
	title       string // the terminal title last set

	// Cross-goroutine plumbing.
	mu       sync.Mutex
	inbox    []session.Event // batches from the pump, not yet applied
	failure  error           // a helper goroutine panicked
	space    chan struct{}   // the loop emptied the inbox
	wake     chan struct{}   // capacity 1: "apply the inbox and redraw"
	quit     chan struct{}   // closed by Stop
	stopOnce sync.Once
	started  atomic.Bool
	loopDone atomic.Bool
	workers  sync.WaitGroup
}

// New builds the UI. It does not touch the terminal; Run does.
func New(cfg Config) *UI {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u := &UI{
		session:    cfg.Session,
		log:        logger,
		dataDir:    cfg.DataDir,
		signals:    cfg.Signals,
		warnings:   cfg.Warnings,
		app:        tview.NewApplication(),
		currentIdx: -1,
		space:      make(chan struct{}, 1),
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
	}
	if cfg.Screen != nil {
		u.screen = &initOnceScreen{Screen: cfg.Screen}
	}
	u.list = newChatList(u)
	u.pane = newMessagePane(cfg.Session, u.showError)
	u.input = newInputBox()
	u.status = newStatusLine(u)
	u.root = newLayout(u)
	u.commands = u.commandTable()
	u.app.SetInputCapture(u.onKey)
	return u
}

// Run shows the UI and blocks until /quit or Stop. It restores the terminal
// before returning. A panic in the UI restores the terminal too, writes a
// trace file (hush-panic-<time>.txt) into the data directory and comes back
// as an error naming that file. A signal on Config.Signals ends it like
// /quit: the terminal is restored and Run returns nil.
func (u *UI) Run() (err error) {
	if !u.started.CompareAndSwap(false, true) {
		return errors.New("ui: Run called more than once")
	}
	if u.session == nil {
		return errors.New("ui: no session")
	}
	if u.screen == nil {
		return errors.New("ui: no screen")
	}
	if err := u.screen.init(); err != nil {
		return fmt.Errorf("start terminal: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			u.screen.Fini()
			u.Stop()
			err = u.crashed(p, debug.Stack())
		}
	}()
	u.app.SetScreen(u.screen)
	u.app.EnablePaste(true)
	u.app.SetRoot(u.root, true)
	u.loadInitialState()

	stopperDone := make(chan struct{})
	u.workers.Add(3)
	go u.pump(u.session.Events())
	go u.redrawLoop()
	go u.showWarnings()
	go u.stopWhenAsked(stopperDone)
	go u.stopOnSignal()

	runErr := u.app.Run()
	u.loopDone.Store(true)
	// The loop is over: its state can be read here.
	u.saveLastChat()
	u.Stop()
	if u.stopQueued {
		<-stopperDone
	}
	if u.noticeTimer != nil {
		u.noticeTimer.Stop()
	}
	u.mu.Lock()
	failure := u.failure
	u.mu.Unlock()
	if failure != nil {
		return failure
	}
	if runErr != nil {
		return fmt.Errorf("terminal: %w", runErr)
	}
	return nil
}

// Stop makes Run return. It is safe from any goroutine, any number of times.
func (u *UI) Stop() {
	u.stopOnce.Do(func() { close(u.quit) })
}

// stopWhenAsked stops the event loop once Stop was called and the helper
// goroutines have finished: they hand work to the loop with QueueUpdate, which
// would block forever if the loop had already gone.
func (u *UI) stopWhenAsked(done chan<- struct{}) {
	defer close(done)
	<-u.quit
	u.workers.Wait()
	if u.loopDone.Load() {
		return
	}
	u.app.QueueUpdate(func() {
		u.stopQueued = true
		u.app.Stop()
	})
}

// stopOnSignal stops the UI when a signal arrives. tcell leaves the
// terminal in raw mode and the alternate screen when the process dies of a
// signal; stopping the loop instead lets Run restore it and lets main's
// deferred shutdown flush the store.
func (u *UI) stopOnSignal() {
	select {
	case sig := <-u.signals:
		u.log.Info("stopping on signal", "signal", sig.String())
		u.Stop()
	case <-u.quit:
	}
}

// showWarnings puts each line from Config.Warnings into the status line.
func (u *UI) showWarnings() {
	defer u.workers.Done()
	defer u.guard()
	for {
		select {
		case <-u.quit:
			return
		case w, ok := <-u.warnings:
			if !ok {
				return
			}
			u.log.Warn("warning shown", "text", w)
			u.app.QueueUpdateDraw(func() { u.showNotice(sanitizeText(firstLine(w), false), true) })
		}
	}
}

// loadInitialState fills the UI from the session before the loop starts, so
// the first frame already shows the chats.
func (u *UI) loadInitialState() {
	u.self = u.session.Self()
	u.pane.selfKey = u.self.PublicKey
	u.peers = u.session.PeerCount()
	u.chats = u.session.Chats()
	if last := u.loadLastChat(); u.chatIndex(last) >= 0 {
		u.openChat(last)
	} else if len(u.chats) > 0 {
		u.openChat(u.chats[0].ID)
	}
}

// guard turns a panic in a helper goroutine into a trace file and an error
// returned by Run.
func (u *UI) guard() {
	p := recover()
	if p == nil {
		return
	}
	err := u.crashed(p, debug.Stack())
	u.mu.Lock()
	if u.failure == nil {
		u.failure = err
	}
	u.mu.Unlock()
	u.Stop()
}

// initOnceScreen lets Run initialise the terminal itself and see the error,
// which tview's SetScreen would ignore; tview's own Init call then does
// nothing.
type initOnceScreen struct {
	tcell.Screen
	initDone bool
	initErr  error
}

func (s *initOnceScreen) init() error {
	s.initErr = s.Screen.Init()
	s.initDone = true
	return s.initErr
}

// Init implements tcell.Screen.
func (s *initOnceScreen) Init() error {
	if s.initDone {
		return s.initErr
	}
	return s.init()
}
