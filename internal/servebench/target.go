package servebench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Target is a tracking server under test.
type Target interface {
	// Name says what the target is in the result ("statstore", "mlflow").
	Name() string
	// CreateRun makes a new run and returns the id later calls use.
	CreateRun(ctx context.Context, name string) (string, error)
	// EncodeAppend returns the requests that store iterations
	// [from, from+n) of run id, encoded ahead of the measurement.
	EncodeAppend(id string, from, n int) []Request
	// ReadAll reads run id's whole history in the given form and returns
	// the number of iterations it holds and the bytes received.
	ReadAll(ctx context.Context, id, form string) (iterations int, bytes int64, err error)
	// Forms lists the read forms the target answers, the default first.
	Forms() []string
	// Send sends one encoded request.
	Send(ctx context.Context, r Request) error
}

// Request is one encoded HTTP request of a workload.
type Request struct {
	Method, Path, ContentType string
	Body                      []byte
}

// ErrBadAnswer: the server answered a request with an error status or a
// history that does not hold what was written.
var ErrBadAnswer = errors.New("bad answer from the server")

// client sends requests to one base URL.
type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(base, token string) client {
	return client{
		base:  strings.TrimRight(base, "/"),
		token: token,
		http:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, DisableCompression: true}},
	}
}

// do sends one request and returns the answer's body; statuses other than
// 2xx are ErrBadAnswer with the body's start.
func (c client) do(ctx context.Context, method, path, contentType, accept string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		snippet := string(data)
		if len(snippet) > 300 {
			snippet = snippet[:300] + "…"
		}
		return nil, fmt.Errorf("%s %s: %s: %s: %w", method, path, resp.Status, snippet, ErrBadAnswer)
	}
	return data, nil
}

// send sends an encoded request and discards the answer.
func (c client) send(ctx context.Context, r Request) error {
	_, err := c.do(ctx, r.Method, r.Path, r.ContentType, "", r.Body)
	return err
}

// loss and stepTime are the synthetic values of iteration i: finite, so
// every server's JSON carries them.
func loss(i int) float64     { return 1 / float64(i+1) }
func stepTime(i int) float64 { return 0.25 + float64(i%7)/100 }
