package rpcserver

import (
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
)

// Handler is the WebSocket endpoint with its access check: a caller that
// is not on loopback (unless AllowRemote) gets 403, one without the token
// (when there is one) 401, before any JSON-RPC is read.
func (s *Server) Handler() http.Handler {
	ws := s.rpc.WebsocketHandler(nil) // browsers: localhost origins only
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if !s.cfg.AllowRemote && !loopbackHost(host) {
			s.log.Warn("rpc: refused a caller that is not on loopback", "remote", r.RemoteAddr)
			http.Error(w, "hush rpc: loopback callers only", http.StatusForbidden)
			return
		}
		if s.cfg.Token != "" && !tokenMatches(r, s.cfg.Token) {
			s.log.Warn("rpc: refused a caller without the right token", "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="hush"`)
			http.Error(w, "hush rpc: token required", http.StatusUnauthorized)
			return
		}
		ws.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether host is a loopback IP or "localhost".
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tokenMatches accepts "Bearer TOKEN", or Basic credentials whose password
// is TOKEN (what go-ethereum's DialWebsocket sends for ws://user:TOKEN@…).
func tokenMatches(r *http.Request, token string) bool {
	auth := r.Header.Get("Authorization")
	var got string
	switch {
	case strings.HasPrefix(auth, "Bearer "):
		got = strings.TrimPrefix(auth, "Bearer ")
	case strings.HasPrefix(auth, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
		if err != nil {
			return false
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return false
		}
		got = pass
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
