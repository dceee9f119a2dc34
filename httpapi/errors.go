package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	"github.com/statstore/statstore"
)

// ErrUnauthorized is returned (by the client) and answered with 401 (by the
// server) when a request lacks the bearer token the server requires, or
// carries a wrong one.
var ErrUnauthorized = errors.New("unauthorized")

// errorCode is one line of the table that maps errors to HTTP statuses and
// back: the server answers an error matching sentinel with status and a body
// {"error": {"code": code, "message": ...}}; the client turns that body back
// into an error that matches sentinel with errors.Is.
type errorCode struct {
	code     string
	status   int
	sentinel error // nil: no sentinel to match
}

// The codes of the API's error bodies.
const (
	codeInvalidRunName       = "invalid_run_name"
	codeOutOfOrder           = "out_of_order"
	codeDuplicateIteration   = "duplicate_iteration"
	codeShapeMismatch        = "shape_mismatch"
	codeMetadataMismatch     = "metadata_mismatch"
	codeUnknownDirection     = "unknown_direction"
	codeInvalidArgument      = "invalid_argument"
	codeMalformedJSON        = "malformed_json"
	codeBodyTooLarge         = "body_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeNotFound             = "not_found"
	codeRunExists            = "run_exists"
	codeMethodNotAllowed     = "method_not_allowed"
	codeReadOnly             = "read_only"
	codeUnauthorized         = "unauthorized"
	codeCrossOrigin          = "cross_origin"
	codeMisdirected          = "misdirected_request"
	codeTooManyRequests      = "too_many_requests"
	codeCorrupt              = "corrupt"
	codeUnavailable          = "unavailable"
	codeStorageFull          = "storage_full"
	codeInternal             = "internal"
)

// errorTable is the one mapping between errors and HTTP statuses, used by the
// server to answer and by the client to map answers back. fromError takes the
// first line whose sentinel the error matches, so the most specific come
// first; the client maps a code to the sentinel of its first line (a closed
// store on the server is "unavailable" to its clients: retry later).
func errorTable() []errorCode {
	return []errorCode{
		{codeInvalidRunName, http.StatusBadRequest, statstore.ErrInvalidRunName},
		{codeOutOfOrder, http.StatusUnprocessableEntity, statstore.ErrOutOfOrder},
		{codeDuplicateIteration, http.StatusUnprocessableEntity, statstore.ErrDuplicateIteration},
		{codeShapeMismatch, http.StatusUnprocessableEntity, statstore.ErrShapeMismatch},
		{codeMetadataMismatch, http.StatusConflict, statstore.ErrMetadataMismatch},
		{codeUnknownDirection, http.StatusConflict, statstore.ErrUnknownDirection},
		{codeNotFound, http.StatusNotFound, statstore.ErrNotFound},
		{codeRunExists, http.StatusConflict, statstore.ErrRunExists},
		{codeReadOnly, http.StatusForbidden, statstore.ErrReadOnly},
		{codeUnauthorized, http.StatusUnauthorized, ErrUnauthorized},
		{codeCorrupt, http.StatusInternalServerError, statstore.ErrCorrupt},
		{codeUnavailable, http.StatusServiceUnavailable, statstore.ErrUnavailable},
		{codeUnavailable, http.StatusServiceUnavailable, statstore.ErrClosed},
		{codeStorageFull, http.StatusInsufficientStorage, statstore.ErrStorageFull},
		{codeInvalidArgument, http.StatusBadRequest, statstore.ErrInvalidArgument},
		// Codes the server chooses itself.
		{codeMalformedJSON, http.StatusBadRequest, statstore.ErrInvalidArgument},
		{codeBodyTooLarge, http.StatusRequestEntityTooLarge, statstore.ErrInvalidArgument},
		{codeUnsupportedMediaType, http.StatusUnsupportedMediaType, statstore.ErrInvalidArgument},
		{codeMethodNotAllowed, http.StatusMethodNotAllowed, statstore.ErrInvalidArgument},
		{codeTooManyRequests, http.StatusTooManyRequests, statstore.ErrUnavailable},
		{codeCrossOrigin, http.StatusForbidden, nil},
		{codeMisdirected, http.StatusMisdirectedRequest, nil},
		{codeInternal, http.StatusInternalServerError, nil},
	}
}

// lookupCode returns the table line of code.
func lookupCode(code string) (errorCode, bool) {
	for _, e := range errorTable() {
		if e.code == code {
			return e, true
		}
	}
	return errorCode{}, false
}

// fromError returns the table line of err: the first whose sentinel err
// matches, else "internal".
func fromError(err error) errorCode {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		c, _ := lookupCode(codeBodyTooLarge)
		return c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c, _ := lookupCode(codeUnavailable)
		return c
	}
	if errors.Is(err, syscall.ENOSPC) {
		c, _ := lookupCode(codeStorageFull)
		return c
	}
	for _, e := range errorTable() {
		if e.sentinel != nil && errors.Is(err, e.sentinel) {
			return e
		}
	}
	c, _ := lookupCode(codeInternal)
	return c
}

// requestError is an error the server raises itself with a chosen code (for
// example malformed JSON), wrapping the sentinel of that code.
type requestError struct {
	code string
	msg  string
}

func (e *requestError) Error() string { return e.msg }

// Unwrap returns the sentinel of the error's code.
func (e *requestError) Unwrap() error {
	c, _ := lookupCode(e.code)
	return c.sentinel
}

// newRequestError returns an error with the given code and message.
func newRequestError(code, format string, args ...any) error {
	return &requestError{code: code, msg: fmt.Sprintf(format, args...)}
}

// codeOf returns the table line for err, honouring a code chosen by the server.
func codeOf(err error) errorCode {
	var re *requestError
	if errors.As(err, &re) {
		if c, ok := lookupCode(re.code); ok {
			return c
		}
	}
	return fromError(err)
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error answered by the server, as the client returns it. It
// matches (errors.Is) the sentinel error the server's code maps to, so
// errors.Is(err, statstore.ErrNotFound) works through HTTP as it does on a
// local store.
type Error struct {
	Status  int    // HTTP status
	Code    string // the API's error code, e.g. "out_of_order"
	Message string // the server's message
	err     error  // the sentinel of Code, or nil
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("httpapi: server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the sentinel error of the code.
func (e *Error) Unwrap() error { return e.err }

// decodeError turns an error response into an *Error, or into a
// *statstore.CorruptError (which matches statstore.ErrCorrupt and carries the
// server's message) for corrupt data.
func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		// Not one of ours (a proxy, or the mux's own redirect): map by status.
		e := &Error{Status: resp.StatusCode, Code: codeInternal, Message: string(body)}
		for _, c := range errorTable() {
			if c.status == resp.StatusCode {
				e.Code, e.err = c.code, c.sentinel
				break
			}
		}
		return e
	}
	e := &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	if c, ok := lookupCode(eb.Error.Code); ok {
		e.err = c.sentinel
	}
	if e.Code == codeCorrupt {
		return &statstore.CorruptError{Path: resp.Request.URL.Redacted(), Offset: -1, Err: e}
	}
	return e
}
