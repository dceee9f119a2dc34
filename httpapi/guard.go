package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// This file holds the checks every request passes before a handler runs
// (Server.admit): the Host name (against DNS rebinding), the origin (against
// cross-site requests), the token, the body's media type, and the body's
// size and share of the bytes in flight. A refused request's body is never
// read.

// Defaults of the per-client limits (ServerOptions).
const (
	// DefaultMaxStreamsPerClient is how many event streams one client (one
	// remote IP address) may hold open when ServerOptions gives no limit:
	// a dashboard follows one run per tab.
	DefaultMaxStreamsPerClient = 16
	// totalBodyFactor times MaxBodyBytes is the default cap on the body
	// bytes in flight over all clients.
	totalBodyFactor = 4
	// chunkReservation is the step in which a body of unknown length
	// (chunked) reserves its bytes while it is read.
	chunkReservation = 64 << 10
	// retryAfterSeconds is the Retry-After of 429 and 503 answers.
	retryAfterSeconds = 5
)

// requestIDKey is the context key of a request's id.
type requestIDKey struct{}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// requestID returns the id the server gave r, or "" outside a request.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// clientOf returns the key of the per-client limits: the remote IP address.
// Behind a reverse proxy every client is the proxy.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isSafeMethod reports whether method only reads.
func isSafeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// admit runs the checks of a request before its handler, in order: Host,
// origin, token, media type, body size and body budget. On success it has
// limited r.Body and returns a function that releases the body's
// reservation once the request is answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, route string) (release func(), err error) {
	if err := s.checkHost(r); err != nil {
		return nil, err
	}
	if err := s.checkOrigin(r); err != nil {
		return nil, err
	}
	if err := s.authorize(r); err != nil {
		return nil, err
	}
	// Only the write routes read bodies; the others (404, 405) leave them.
	routed := strings.HasPrefix(route, r.Method+" ")
	if isSafeMethod(r.Method) || !routed || r.Body == nil || r.Body == http.NoBody && r.Method == http.MethodDelete {
		return func() {}, nil
	}
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: s.opts.MaxBodyBytes}
	}
	client := clientOf(r)
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	if r.ContentLength >= 0 {
		n := r.ContentLength
		if err := s.budget.reserve(client, n); err != nil {
			return nil, err
		}
		r.Body = body
		return func() { s.budget.release(client, n) }, nil
	}
	// Unknown length: reserve as the bytes arrive.
	rb := &reservingBody{ReadCloser: body, budget: s.budget, client: client}
	r.Body = rb
	return rb.releaseAll, nil
}

// checkHost refuses a Host header that is not a name of this server, which
// is how DNS rebinding reaches a server from a browser: the attacker's name
// resolves to the server's address. A connection to a loopback address
// accepts loopback names (localhost, *.localhost, 127.0.0.0/8, ::1); one to
// another address also accepts IP literals (a rebinding attack needs a
// name). ServerOptions.AllowedHosts adds names ("*" accepts any).
func (s *Server) checkHost(r *http.Request) error {
	if r.Host == "" || s.anyHost {
		return nil
	}
	name := hostName(r.Host)
	if isLoopbackName(name) || s.hostAllowed(name) {
		return nil
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	loopback := true // unknown: the strict rule
	if tcp, ok := local.(*net.TCPAddr); ok {
		loopback = tcp.IP.IsLoopback()
	}
	if !loopback && net.ParseIP(name) != nil {
		return nil
	}
	what := "this server listens on a loopback address and answers only the names localhost, 127.0.0.1 and [::1]"
	if !loopback {
		what = "this server answers IP addresses, localhost and the names it is given"
	}
	return newRequestError(codeMisdirected, "Host %q is not a name of this server: %s (a foreign name is how a DNS rebinding attack reaches a server); to serve it under this name, start it with --allowed-hosts %s",
		truncateString(r.Host, 100), what, truncateString(name, 100))
}

// hostName returns the lower-case name of a Host header, without port,
// brackets or trailing dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// isLoopbackName reports whether name is a loopback IP address, localhost
// or a name under .localhost (which browsers resolve to loopback themselves).
func isLoopbackName(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// hostAllowed reports whether name matches AllowedHosts: a name, or
// "*.domain" for the names under domain.
func (s *Server) hostAllowed(name string) bool {
	for _, h := range s.allowedHosts {
		if suffix, ok := strings.CutPrefix(h, "*."); ok {
			if strings.HasSuffix(name, "."+suffix) {
				return true
			}
		} else if name == h {
			return true
		}
	}
	return false
}

// checkOrigin refuses requests a browser sends on behalf of another site.
// Writes must come from no browser (no Sec-Fetch-Site and no Origin), or be
// same-origin by the browser's word (Sec-Fetch-Site: same-origin or none)
// or, from browsers without Sec-Fetch-Site, by their Origin. Reads of the API,
// the event streams and the metrics are refused when cross-site or from a
// foreign Origin; the dashboard's pages are not (a link from another site
// opens it).
func (s *Server) checkOrigin(r *http.Request) error {
	site := r.Header.Get("Sec-Fetch-Site")
	origin := r.Header.Get("Origin")
	if isSafeMethod(r.Method) {
		if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" {
			return nil // the dashboard's pages: a link from another site opens them
		}
		if site == "cross-site" {
			return newRequestError(codeCrossOrigin, "cross-site request refused (Sec-Fetch-Site: cross-site): the API answers the dashboard of its own origin and clients that are not browsers")
		}
		if site != "same-origin" && site != "none" && origin != "" && !sameOrigin(origin, r.Host) {
			return newRequestError(codeCrossOrigin, "request from origin %q refused: the API answers only its own origin", truncateString(origin, 100))
		}
		return nil
	}
	switch site {
	case "", "same-origin", "none":
	default:
		return newRequestError(codeCrossOrigin, "%s %s refused: a browser sent it for another site (Sec-Fetch-Site: %s); writes are accepted from this server's own origin and from clients that are not browsers",
			r.Method, r.URL.Path, truncateString(site, 40))
	}
	if site == "" && origin != "" && !sameOrigin(origin, r.Host) {
		return newRequestError(codeCrossOrigin, "%s %s from origin %q refused: writes are accepted from this server's own origin and from clients that are not browsers",
			r.Method, r.URL.Path, truncateString(origin, 100))
	}
	return nil
}

// sameOrigin reports whether the Origin header names the server reached as
// host (the Host header): same name, and same port (a Host without port
// stands for the scheme's default).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false // "null" and other opaque origins are foreign
	}
	defaultPort := "80"
	if u.Scheme == "https" {
		defaultPort = "443"
	}
	oport := u.Port()
	if oport == "" {
		oport = defaultPort
	}
	hport := defaultPort
	if _, p, err := net.SplitHostPort(host); err == nil {
		hport = p
	}
	return hostName(u.Host) == hostName(host) && oport == hport
}

// checkContentType requires a JSON body: browsers send text/plain, form and
// multipart bodies to any site without asking (a "simple" request), never
// application/json.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	// TrainingColumnsMediaType is JSON too, and no more a "simple" request
	// type than application/json; the handlers other than the training POST
	// refuse it.
	if err == nil && (mt == "application/json" || mt == TrainingColumnsMediaType) {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	if ct == "" {
		return newRequestError(codeUnsupportedMediaType, "%s %s has no Content-Type: want Content-Type: application/json", r.Method, r.URL.Path)
	}
	return newRequestError(codeUnsupportedMediaType, "%s %s has Content-Type %q: want application/json (UTF-8)", r.Method, r.URL.Path, truncateString(ct, 100))
}

// truncateString shortens s to at most n bytes for a message.
func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// bodyBudget caps the request body bytes in flight, per client and in total,
// so that many or large bodies cannot take the server's memory.
type bodyBudget struct {
	mu        sync.Mutex
	total     int64 // cap over all clients
	perClient int64 // cap of one client
	used      int64
	clients   map[string]int64
}

func newBodyBudget(total, perClient int64) *bodyBudget {
	return &bodyBudget{total: total, perClient: perClient, clients: map[string]int64{}}
}

// reserve takes n bytes for client, or returns a too_many_requests error
// (the client's share is taken) or an unavailable one (the server's is).
func (b *bodyBudget) reserve(client string, n int64) error {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.clients[client]+n > b.perClient {
		return newRequestError(codeTooManyRequests, "this client is already sending %d bytes of request bodies, and %d more would exceed its limit of %d: send fewer requests at once, or retry later",
			b.clients[client], n, b.perClient)
	}
	if b.used+n > b.total {
		return newRequestError(codeUnavailable, "the server is receiving %d bytes of request bodies, its limit; retry later", b.used)
	}
	b.clients[client] += n
	b.used += n
	return nil
}

// release returns n bytes reserved for client.
func (b *bodyBudget) release(client string, n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.clients[client] -= n; b.clients[client] <= 0 {
		delete(b.clients, client)
	}
}

// inFlight returns the bytes reserved.
func (b *bodyBudget) inFlight() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reservingBody reserves the bytes of a body of unknown length as they are
// read, chunkReservation at a time.
type reservingBody struct {
	io.ReadCloser
	budget   *bodyBudget
	client   string
	mu       sync.Mutex
	read     int64
	reserved int64
	err      error
}

func (b *reservingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.read+int64(len(p)) > b.reserved {
		if err := b.budget.reserve(b.client, chunkReservation); err != nil {
			b.err = err
			return 0, err
		}
		b.reserved += chunkReservation
	}
	if max := b.reserved - b.read; int64(len(p)) > max {
		p = p[:max]
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	return n, err
}

// releaseAll returns the body's reservation.
func (b *reservingBody) releaseAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.budget.release(b.client, b.reserved)
	b.reserved = 0
}

// retryAfter is the Retry-After value of 429 and 503 answers.
func retryAfter() string { return strconv.Itoa(retryAfterSeconds) }

// withRequestID returns r with id in its context (a shallow copy: the
// server's own request, whose body net/http drains, is left alone).
func withRequestID(r *http.Request, id string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}
