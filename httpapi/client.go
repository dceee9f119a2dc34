package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/statstore/statstore"
)

// defaultIdleConns is how many idle connections to the server a Client
// created without an http.Client keeps.
const defaultIdleConns = 64

// ClientOptions configure a Client.
type ClientOptions struct {
	// Token is sent as "Authorization: Bearer <token>" when set.
	Token string
	// HTTPClient makes the requests; nil means a client of its own with
	// http.DefaultTransport's settings.
	HTTPClient *http.Client
}

// Client is a statstore.StatsStore over HTTP: each method is one request to
// a statstore server, and errors the server answers match the same sentinel
// errors as a local store's (errors.Is(err, statstore.ErrOutOfOrder), ...;
// corrupt data is a *statstore.CorruptError). It is safe for concurrent use.
type Client struct {
	base   *url.URL
	token  string
	hc     *http.Client
	owned  bool // hc is ours: Close releases its connections
	closed atomic.Bool
}

var _ statstore.StatsStore = (*Client)(nil)

// NewClient returns a client of the server at baseURL (e.g.
// "http://127.0.0.1:8080"; the API's /api/v1 is added).
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("httpapi: server URL %q: %v: %w", baseURL, err, statstore.ErrInvalidArgument)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpapi: server URL %q: want http://host:port or https://host:port: %w", baseURL, statstore.ErrInvalidArgument)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	c := &Client{base: u, token: opts.Token, hc: opts.HTTPClient}
	if c.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Training jobs share one client across goroutines: keep enough
		// connections to the one server alive instead of dialling anew.
		tr.MaxIdleConnsPerHost = defaultIdleConns
		c.hc = &http.Client{Transport: tr}
		c.owned = true
	}
	return c, nil
}

// runURL returns the URL of a run's resource ("" for the run itself), with
// the run name escaped as one path segment.
func (c *Client) runURL(run, resource string, q url.Values) (string, error) {
	if err := statstore.ValidateRunName(run); err != nil {
		return "", fmt.Errorf("httpapi: %w", err)
	}
	p := "/api/v1/runs/" + url.PathEscape(run)
	if resource != "" {
		p += "/" + resource
	}
	return c.url(p, q), nil
}

func (c *Client) url(p string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	q.Set(queryExactNaN, "exact") // ask for NaNs bit-exactly
	s := c.base.String() + p
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// do sends one request and returns the body of a 2xx answer; other answers
// become errors matching the server's sentinel.
func (c *Client) do(ctx context.Context, method, u string, body []byte) ([]byte, error) {
	data, _, err := c.doAccept(ctx, method, u, body, "application/json")
	return data, err
}

// doAccept is do with the Accept header given; it also returns the
// answer's media type.
func (c *Client) doAccept(ctx context.Context, method, u string, body []byte, accept string) ([]byte, string, error) {
	if c.closed.Load() {
		return nil, "", fmt.Errorf("httpapi: client: %w", statstore.ErrClosed)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, "", fmt.Errorf("httpapi: %s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("httpapi: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", fmt.Errorf("httpapi: %s %s: %w", method, u, decodeError(resp))
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("httpapi: %s %s: reading the answer: %w", method, u, err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return data, mt, nil
}

// getTraining fetches a history (or a range) in the binary form, reading
// the rows when the server answers them (a server older than the form).
func (c *Client) getTraining(ctx context.Context, u string) (*statstore.TrainingStats, error) {
	data, mt, err := c.doAccept(ctx, http.MethodGet, u, nil, TrainingBinaryMediaType+", application/json;q=0.5")
	if err != nil {
		return nil, err
	}
	decode := decodeTraining
	if mt == TrainingBinaryMediaType {
		decode = decodeTrainingBinary
	}
	t, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("httpapi: GET %s: the server's answer does not decode: %w", u, err)
	}
	return t, nil
}

func getAs[T any](c *Client, ctx context.Context, u string, decode func([]byte) (T, error)) (T, error) {
	data, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := decode(data)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("httpapi: GET %s: the server's answer does not decode: %w", u, err)
	}
	return v, nil
}

// StoreTrainingStats sends stats as one POST .../training.
func (c *Client) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	if stats == nil {
		return fmt.Errorf("httpapi: store training stats of run %q: stats are nil: %w", run, statstore.ErrInvalidArgument)
	}
	u, err := c.runURL(run, "training", nil)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, u, appendTrainingJSON(nil, run, stats.IterationStats, true))
	return err
}

// RetrieveTrainingStats returns the run's whole training history.
func (c *Client) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	u, err := c.runURL(run, "training", nil)
	if err != nil {
		return nil, err
	}
	return c.getTraining(ctx, u)
}

// RetrieveTrainingRange returns the training entries with iteration in r.
func (c *Client) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	q := url.Values{"from": {strconv.Itoa(r.From)}}
	if r.To != 0 {
		q.Set("to", strconv.Itoa(r.To))
	}
	u, err := c.runURL(run, "training", q)
	if err != nil {
		return nil, err
	}
	return c.getTraining(ctx, u)
}

// SubsampleTraining returns the server's subsample (statstore.Subsample).
func (c *Client) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	r, err := c.SubsampleTrainingReport(ctx, run, opts)
	if err != nil {
		return nil, err
	}
	return r.Points, nil
}

// SubsampleTrainingReport returns the server's subsample with the
// non-finite losses of its range (statstore.SubsampleTrainingReport, run on
// the server: one request, whatever the mode).
func (c *Client) SubsampleTrainingReport(ctx context.Context, run string, opts statstore.SubsampleOptions) (*statstore.TrainingSubsample, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	q := url.Values{"max_points": {strconv.Itoa(opts.MaxPoints)}, "mode": {opts.Mode.String()}, "from": {strconv.Itoa(opts.Range.From)}}
	if opts.Range.To != 0 {
		q.Set("to", strconv.Itoa(opts.Range.To))
	}
	u, err := c.runURL(run, "training", q)
	if err != nil {
		return nil, err
	}
	return getAs(c, ctx, u, decodeSubsample)
}

// DeleteTrainingStats removes the run's training stats.
func (c *Client) DeleteTrainingStats(ctx context.Context, run string) error {
	return c.delete(ctx, run, "training")
}

// StoreValidationIterationScores sends scores with their metadata as one
// POST .../validation (MergeValidationScores without its report).
func (c *Client) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := c.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores sends scores with their metadata as one POST
// .../validation, in the order given (the server merges them by iteration),
// and returns the server's report of what it did.
func (c *Client) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	var result statstore.ValidationMerge
	if scores == nil {
		return result, fmt.Errorf("httpapi: store validation scores of run %q: scores are nil: %w", run, statstore.ErrInvalidArgument)
	}
	u, err := c.runURL(run, "validation", nil)
	if err != nil {
		return result, err
	}
	body, err := json.Marshal(toWireValidation(run, scores, true))
	if err != nil {
		return result, fmt.Errorf("httpapi: store validation scores of run %q: %v: %w", run, err, statstore.ErrInvalidArgument)
	}
	answer, err := c.do(ctx, http.MethodPost, u, body)
	if err != nil {
		return result, err
	}
	if err := json.Unmarshal(answer, &result); err != nil {
		return result, fmt.Errorf("httpapi: store validation scores of run %q: the scores were stored but the answer does not read: %v: %w",
			run, err, statstore.ErrUnavailable)
	}
	return result, nil
}

// DeleteValidationAfter removes the run's validation entries with
// iteration >= iteration (DELETE .../validation?from=N).
func (c *Client) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	if iteration < 0 {
		return fmt.Errorf("httpapi: delete validation scores of run %q from iteration %d: %w", run, iteration, statstore.ErrInvalidArgument)
	}
	u, err := c.runURL(run, "validation", url.Values{"from": {strconv.Itoa(iteration)}})
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, u, nil)
	return err
}

// RetrieveValidationScores returns the run's scores with their metadata.
func (c *Client) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	u, err := c.runURL(run, "validation", nil)
	if err != nil {
		return nil, err
	}
	return getAs(c, ctx, u, decodeValidation)
}

// RetrieveValidationIterationScores returns the run's validation entries.
func (c *Client) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	v, err := c.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	return v.Scores, nil
}

// DeleteValidationScores removes the run's validation scores and metadata.
func (c *Client) DeleteValidationScores(ctx context.Context, run string) error {
	return c.delete(ctx, run, "validation")
}

func (c *Client) delete(ctx context.Context, run, resource string) error {
	u, err := c.runURL(run, resource, nil)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, u, nil)
	return err
}

// ListRuns returns every stored run, sorted by name.
func (c *Client) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	return getAs(c, ctx, c.url("/api/v1/runs", nil), func(data []byte) ([]statstore.RunInfo, error) {
		var resp runsResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return nil, err
		}
		out := make([]statstore.RunInfo, len(resp.Runs))
		for i, r := range resp.Runs {
			out[i] = statstore.RunInfo{Run: r.Run, TrainedUntil: r.TrainedUntil, TrainingIterations: r.TrainingIterations,
				ValidatedUntil: r.ValidatedUntil, ValidationIterations: r.ValidationIterations}
			if r.LastWrite != nil {
				out[i].LastWrite = *r.LastWrite
			}
		}
		return out, nil
	})
}

// Close marks the client closed (later calls fail with statstore.ErrClosed)
// and releases the idle connections of a client it created itself. It does
// not affect the server.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.owned {
		c.hc.CloseIdleConnections()
	}
	return nil
}
