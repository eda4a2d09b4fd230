package main

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"hush/keys"
	"hush/session"
	"hush/session/api"
	"hush/store"
	"hush/whisper"
	"hush/whisper/rpcserver"
)

// fannedSession is the session as the UI sees it when the scripting API
// shares its events: the UI reads the fan-out's primary channel.
type fannedSession struct {
	*session.Manager
	events <-chan session.Event
}

func (s fannedSession) Events() <-chan session.Event { return s.events }

// startAPI serves --api over mgr. With primary, the returned fan-out's
// Events channel is the UI's; stop runs after the session stopped.
func startAPI(opts options, mgr *session.Manager, primary bool, logger *slog.Logger) (fan *session.Fanout, stop func(), err error) {
	fan = session.NewFanout(mgr.Events(), primary)
	srv, err := api.New(api.Config{Session: mgr, Events: fan, Logger: logger.With("part", "api")})
	if err == nil {
		err = srv.Listen(opts.apiPath)
	}
	if err != nil {
		fan.Stop()
		return nil, nil, err
	}
	return fan, func() {
		srv.Close()
		fan.Stop()
	}, nil
}

// passNode is serve's node as its headless session sees it when the RPC
// server also reads the node: the session gets the deliveries the RPC's
// subscriptions do not take.
type passNode struct {
	*whisper.Node
	received <-chan whisper.Received
}

func (n passNode) Received() <-chan whisper.Received { return n.received }

// headless runs hush serve --api's session (no UI) on the serve node until
// stop is called: a bot's session, with its own identity and hush.db.
func headless(opts options, node *whisper.Node, rpcSrv *rpcserver.Server, logger *slog.Logger, crash *crasher) (stop func(), err error) {
	st, err := store.Open(filepath.Join(opts.dataDir, "hush.db"), logger.With("part", "store"))
	if err != nil {
		return nil, err
	}
	var id *ecdsa.PrivateKey
	if id, err = keys.Unlock(opts.dataDir, opts.passwordFile, os.Stdin, os.Stderr); err != nil {
		st.Close()
		return nil, err
	}
	var sn session.Node = node
	if rpcSrv != nil {
		sn = passNode{Node: node, received: rpcSrv.Received()}
	}
	mgr, err := session.New(session.Config{
		Identity:           id,
		Node:               sn,
		Store:              st,
		Mailservers:        opts.parsedMailservers,
		MailserverPassword: opts.mailPassword,
		Logger:             logger.With("part", "session"),
		OnPanic:            crash.crash,
	})
	if err == nil {
		err = mgr.Start()
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	_, stopAPI, err := startAPI(opts, mgr, false, logger)
	if err != nil {
		mgr.Stop()
		st.Close()
		return nil, err
	}
	fmt.Printf("api %s\n", opts.apiPath)
	logger.Info("headless session", "key", mgr.Self().PublicKey, "api", opts.apiPath)
	return func() {
		mgr.Stop()
		stopAPI()
		st.Close()
	}, nil
}
