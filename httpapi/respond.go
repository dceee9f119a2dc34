package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/statstore/statstore"
)

// writeError answers err in the API's error shape with the status of its code.
// A 5xx answer carries a generic message and the request id; the error
// itself, which may name server paths or database details, goes to the log
// under that id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	c := codeOf(err)
	msg := err.Error()
	if c.status >= 500 {
		id := requestID(r)
		s.logger.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "code", c.code, "err", err)
		var own *requestError
		if !errors.As(err, &own) {
			msg = publicMessage(c.code)
		}
		msg += " (request id " + id + ")"
	}
	switch c.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="statstore"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		w.Header().Set("Retry-After", retryAfter())
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		msg = fmt.Sprintf("request body is larger than the limit of %d bytes; send fewer entries per request", tooLarge.Limit)
		w.Header().Set("Connection", "close") // the rest of the body is not read
	}
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: c.code, Message: msg}}) // strings always marshal
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(c.status)
	w.Write(append(body, '\n'))
}

// publicMessage is what a 5xx answer says instead of the error's own words.
func publicMessage(code string) string {
	switch code {
	case codeCorrupt:
		return "stored data of this run is corrupt; the server's log names the file and offset (statstore fsck on the server reports the damage, statstore repair keeps every intact chunk after a backup)"
	case codeUnavailable:
		return "the store is unavailable right now (nothing was written); retry later"
	case codeStorageFull:
		return "the store has no room left (nothing was written); retry once space is freed"
	}
	return "internal server error; the server's log has the details"
}

// writeJSON answers v as JSON with status 200.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	s.writeRaw(w, append(body, '\n'))
}

// writeRaw answers body, already JSON, with status 200.
func (s *Server) writeRaw(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// runName returns the {run} path value, validated.
func runName(r *http.Request) (string, error) {
	run := r.PathValue("run")
	if err := statstore.ValidateRunName(run); err != nil {
		return "", err
	}
	return run, nil
}

// wantsExact reports whether the request asks for exact NaNs (nan=exact).
func wantsExact(r *http.Request) bool {
	return r.URL.Query().Get(queryExactNaN) == "exact"
}

// boolQuery reads the query parameter name as a boolean ("true", "1",
// "false", "0"; false when absent); another value wraps
// statstore.ErrInvalidArgument.
func boolQuery(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("query parameter %s=%q: want true or false: %w", name, v, statstore.ErrInvalidArgument)
	}
	return b, nil
}
