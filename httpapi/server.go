package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/statstore/statstore"
)

// DefaultMaxBodyBytes is the request body limit when ServerOptions gives none:
// enough for a full 1,000,000-iteration training history.
const DefaultMaxBodyBytes = 128 << 20

// ServerOptions configure a Server.
type ServerOptions struct {
	// Logger receives one structured line per request and the store's
	// warnings; nil discards.
	Logger *slog.Logger
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every write (POST, DELETE).
	Token string
	// TokenForReads requires the token on reads too (the API, the event
	// stream and /metrics; not the UI's static files). A browser's
	// EventSource cannot send headers, so reads also accept it as the
	// access_token query parameter.
	TokenForReads bool
	// MaxBodyBytes limits request bodies (413 beyond it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UI, when set, is served at / (the dashboard).
	UI                  http.Handler
	AllowedHosts        []string
	MaxStreamsPerClient int
	MaxClientBodyBytes  int64
	MaxTotalBodyBytes   int64
}

// Server answers the JSON API under /api/v1 (see docs/api.md), /metrics and,
// when configured, the UI at /. It is an http.Handler; serve it with
// NewHTTPServer. The store's methods are called with each request's context
// (writes with a context that the client leaving does not cancel, so a write
// that started completes); the store is not closed by the server.
type Server struct {
	store        *publishingStore
	opts         ServerOptions
	logger       *slog.Logger
	broker       *broker
	feed         *feed // GET /api/v1/events
	budget       *bodyBudget
	metrics      *metrics
	mux          *http.ServeMux
	allowedHosts []string // lower case, without ports
	anyHost      bool     // AllowedHosts holds "*"
}

var _ http.Handler = (*Server)(nil)

// NewServer returns a server over store.
func NewServer(store statstore.StatsStore, opts ServerOptions) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxStreamsPerClient <= 0 {
		opts.MaxStreamsPerClient = DefaultMaxStreamsPerClient
	}
	if opts.MaxClientBodyBytes <= 0 {
		opts.MaxClientBodyBytes = opts.MaxBodyBytes
	}
	if opts.MaxTotalBodyBytes <= 0 {
		opts.MaxTotalBodyBytes = totalBodyFactor * opts.MaxBodyBytes
	}
	b := newBroker(opts.MaxStreamsPerClient, maxSubscribers)
	f := newFeed(store, logger)
	budget := newBodyBudget(opts.MaxTotalBodyBytes, opts.MaxClientBodyBytes)
	s := &Server{
		store:   &publishingStore{StatsStore: store, broker: b, logger: logger, feed: f},
		feed:    f,
		opts:    opts,
		logger:  logger,
		broker:  b,
		budget:  budget,
		metrics: newMetrics(b.subscribers, budget.inFlight),
		mux:     http.NewServeMux(),
	}
	for _, h := range opts.AllowedHosts {
		if h = strings.TrimSpace(h); h == "*" {
			s.anyHost = true
		} else if h != "" {
			s.allowedHosts = append(s.allowedHosts, hostName(h))
		}
	}
	s.routes()
	return s
}

// routes registers every route; the patterns are the route labels of the
// metrics and logs.
func (s *Server) routes() {
	const run = "/api/v1/runs/{run}"
	s.mux.HandleFunc("GET /api/v1/runs", s.handleListRuns)
	s.mux.HandleFunc("GET "+run+"/training", s.handleGetTraining)
	s.mux.HandleFunc("GET "+run+"/training/buckets", s.handleTrainingBuckets)
	s.mux.HandleFunc("POST "+run+"/training", s.handlePostTraining)
	s.mux.HandleFunc("DELETE "+run+"/training", s.handleDeleteTraining)
	s.mux.HandleFunc("GET "+run+"/validation", s.handleGetValidation)
	s.mux.HandleFunc("POST "+run+"/validation", s.handlePostValidation)
	s.mux.HandleFunc("DELETE "+run+"/validation", s.handleDeleteValidation)
	s.mux.HandleFunc("GET "+run+"/best", s.handleBest)
	s.mux.HandleFunc("GET "+run+"/keep", s.handleKeep)
	s.mux.HandleFunc("GET "+run+"/grid", s.handleGrid)
	s.mux.HandleFunc("GET "+run+"/select", s.handleSelect)
	s.mux.HandleFunc("GET "+run+"/plan-validation", s.handlePlanValidation)
	s.mux.HandleFunc("GET "+run+"/check", s.handleCheck)
	s.mux.HandleFunc("GET /api/v1/check", s.handleCheckAll)
	s.mux.HandleFunc("GET /api/v1/leaderboard", s.handleLeaderboard)
	s.mux.HandleFunc("DELETE "+run, s.handleDeleteRun)
	s.mux.HandleFunc("GET "+run+"/config", s.handleGetConfig)
	s.mux.HandleFunc("PUT "+run+"/config", s.handlePutConfig)
	s.mux.HandleFunc("DELETE "+run+"/config", s.handleDeleteConfig)
	s.mux.HandleFunc("GET "+run+"/tags", s.handleGetTags)
	s.mux.HandleFunc("PATCH "+run+"/tags", s.handlePatchTags)
	s.mux.HandleFunc("GET /api/v1/trash", s.handleListTrash)
	s.mux.HandleFunc("POST /api/v1/trash/{id}/restore", s.handleRestore)
	s.mux.HandleFunc("POST /api/v1/trash/purge", s.handlePurge)
	s.mux.HandleFunc("GET "+run+"/events", s.handleEvents)
	s.mux.HandleFunc("POST /api/v1/compare/training", s.handleCompareTraining)
	s.mux.HandleFunc("POST /api/v1/compare/training/buckets", s.handleCompareBuckets)
	s.mux.HandleFunc("POST /api/v1/compare/validation", s.handleCompareValidation)
	s.mux.HandleFunc("GET /api/v1/events", s.handleFeed)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("/api/", s.handleNoRoute)
	if s.opts.UI != nil {
		s.mux.Handle("/", s.opts.UI)
	} else {
		s.mux.HandleFunc("/", s.handleNoRoute)
	}
}

// Close ends the open event streams and refuses new ones, so that
// http.Server.Shutdown, which waits for active requests, can complete; writes
// in flight are not interrupted. NewHTTPServer registers it with
// RegisterOnShutdown. It does not close the store.
func (s *Server) Close() error {
	s.broker.close()
	s.feed.close()
	return nil
}

// ServeHTTP implements http.Handler: it gives the request an id (the
// X-Request-Id header of the answer), checks it (Host, origin, token, media
// type, body limits; see admit) before any of its body is read, and records
// metrics and a log line for each request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.metrics.inFlight.Add(1)
	defer s.metrics.inFlight.Add(-1)
	id := newRequestID()
	w.Header().Set("X-Request-Id", id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	r = withRequestID(r, id)
	_, route := s.mux.Handler(r) // the route label, also of refused requests
	if release, err := s.admit(rec, r, route); err != nil {
		if r.ContentLength != 0 {
			// The body is not read: close the connection rather than
			// wait for it, or take it for the next request.
			rec.Header().Set("Connection", "close")
		}
		s.writeError(rec, r, err)
	} else {
		func() {
			defer release() // also when a handler panics
			s.mux.ServeHTTP(rec, r)
		}()
	}
	if route == "" {
		route = "unmatched"
	}
	d := time.Since(start)
	if !strings.HasSuffix(route, "/events") {
		s.metrics.observe(route, r.Method, rec.status, d)
	}
	level := slog.LevelInfo
	if rec.status >= 500 {
		level = slog.LevelError
	}
	s.logger.Log(r.Context(), level, "http request", "request_id", id,
		"method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
		"bytes", rec.bytes, "duration", d, "remote", r.RemoteAddr)
}

// authorize checks the bearer token when one is configured.
func (s *Server) authorize(r *http.Request) error {
	if s.opts.Token == "" {
		return nil
	}
	// The compare routes are reads that take their run list as a body.
	read := isSafeMethod(r.Method) || r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/compare/")
	if read && (!s.opts.TokenForReads || s.isUI(r)) {
		return nil
	}
	got, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok && read {
		got, ok = r.URL.Query().Get("access_token"), r.URL.Query().Has("access_token")
	}
	if !ok {
		return newRequestError(codeUnauthorized, "this server needs a token: send \"Authorization: Bearer <token>\"")
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.opts.Token)) != 1 {
		return newRequestError(codeUnauthorized, "the bearer token is not this server's token")
	}
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 7235 §2.1).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// isUI reports whether r asks for the UI's static files rather than the API
// or the metrics.
func (s *Server) isUI(r *http.Request) bool {
	p := r.URL.Path
	return s.opts.UI != nil && !strings.HasPrefix(p, "/api/") && p != "/metrics"
}

// handleNoRoute answers paths outside the routes: 405 with Allow when the
// path exists for other methods, else 404, both in the API's error shape.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, newRequestError(codeMethodNotAllowed, "method %s is not allowed on %s, want %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
		return
	}
	s.writeError(w, r, newRequestError(codeNotFound, "no API route %s %s; see docs/api.md for the routes under /api/v1", r.Method, r.URL.Path))
}

// statusRecorder remembers the status and size of a response. It unwraps to
// the underlying writer, so http.ResponseController (flushing, deadlines)
// reaches it.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap returns the underlying writer for http.ResponseController.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
