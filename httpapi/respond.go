package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/statstore/statstore"
)

// writeError answers err in the API's error shape with the status of its code.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	c := codeOf(err)
	if c.status >= 500 {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if c.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="statstore"`)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = fmt.Errorf("request body is larger than the limit of %d bytes; send fewer entries per request", tooLarge.Limit)
	}
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: c.code, Message: err.Error()}}) // strings always marshal
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(c.status)
	w.Write(append(body, '\n'))
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

// readBody reads the whole (size-limited) request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, newRequestError(codeMalformedJSON, "the request has no body, want JSON")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, newRequestError(codeMalformedJSON, "reading the request body: %v", err)
	}
	if len(data) == 0 {
		return nil, newRequestError(codeMalformedJSON, "the request body is empty, want JSON")
	}
	return data, nil
}

// wantsExact reports whether the request asks for exact NaNs (nan=exact).
func wantsExact(r *http.Request) bool {
	return r.URL.Query().Get(queryExactNaN) == "exact"
}
