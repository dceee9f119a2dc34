package httpapi

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/statstore/statstore"
)

// The run metadata routes (statstore.RunMetaStore over HTTP; see
// docs/api.md):
//
//	GET    /api/v1/runs/{run}/config   200 and the configuration object; 204 when the run has none
//	PUT    /api/v1/runs/{run}/config   body: a JSON object; 204
//	DELETE /api/v1/runs/{run}/config   204 (also when there was none)
//	GET    /api/v1/runs/{run}/tags     200 {"tags": {"key": "value"}}
//	PATCH  /api/v1/runs/{run}/tags     body {"set": {"key": "value"}, "remove": ["key"]}; 200 {"tags": ...} after the change
//
// A server whose store keeps no metadata answers 400 (invalid_argument).

const tagsPatchShape = `{"set": {"key": "value"}, "remove": ["key"]}`

// tagsResponse is the answer of the tags routes.
type tagsResponse struct {
	Tags map[string]string `json:"tags"`
}

// tagsPatch is the body of PATCH .../tags.
type tagsPatch struct {
	Set    map[string]string `json:"set,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// decodeTagsPatch decodes a PATCH .../tags body strictly and checks it.
func decodeTagsPatch(rd io.Reader) (tagsPatch, error) {
	var p tagsPatch
	if err := json.UnmarshalRead(rd, &p, strict()); err != nil {
		return p, bodyError(err, tagsPatchShape)
	}
	if _, err := statstore.ApplyTags(nil, p.Set, p.Remove); err != nil {
		return p, err
	}
	return p, nil
}

// metaStore returns the server's store as a statstore.RunMetaStore, or an
// error saying that it keeps no metadata.
func (s *Server) metaStore() (statstore.RunMetaStore, error) {
	ms, ok := s.store.StatsStore.(statstore.RunMetaStore)
	if !ok {
		return nil, fmt.Errorf("this server's store keeps no run metadata: %w", statstore.ErrInvalidArgument)
	}
	return ms, nil
}

// metaRequest returns the run of the request and the metadata store, or
// answers the error and returns ok false.
func (s *Server) metaRequest(w http.ResponseWriter, r *http.Request) (string, statstore.RunMetaStore, bool) {
	run, err := runName(r)
	if err == nil {
		var ms statstore.RunMetaStore
		if ms, err = s.metaStore(); err == nil {
			return run, ms, true
		}
	}
	s.writeError(w, r, err)
	return "", nil, false
}

// handleGetConfig answers the run's configuration, or 204 without one.
func (s *Server) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	run, ms, ok := s.metaRequest(w, r)
	if !ok {
		return
	}
	m, err := ms.RetrieveRunMeta(r.Context(), run)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.Config == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeRaw(w, append(append([]byte(nil), m.Config...), '\n'))
}

// handlePutConfig replaces the run's configuration with the body, a JSON
// object.
func (s *Server) handlePutConfig(w http.ResponseWriter, r *http.Request) {
	run, ms, ok := s.metaRequest(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		s.writeError(w, r, fmt.Errorf("the request body is empty: want the run's configuration, a JSON object (DELETE removes it): %w", statstore.ErrInvalidArgument))
		return
	}
	if err := ms.SetRunConfig(context.WithoutCancel(r.Context()), run, body); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDeleteConfig removes the run's configuration.
func (s *Server) handleDeleteConfig(w http.ResponseWriter, r *http.Request) {
	run, ms, ok := s.metaRequest(w, r)
	if !ok {
		return
	}
	if err := ms.SetRunConfig(context.WithoutCancel(r.Context()), run, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGetTags answers the run's tags ({} when it has none).
func (s *Server) handleGetTags(w http.ResponseWriter, r *http.Request) {
	run, ms, ok := s.metaRequest(w, r)
	if !ok {
		return
	}
	s.answerTags(w, r, ms, run)
}

// handlePatchTags sets and removes tags in one step and answers the tags.
func (s *Server) handlePatchTags(w http.ResponseWriter, r *http.Request) {
	run, ms, ok := s.metaRequest(w, r)
	if !ok {
		return
	}
	p, err := decodeTagsPatch(r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := ms.SetRunTags(context.WithoutCancel(r.Context()), run, p.Set, p.Remove); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerTags(w, r, ms, run)
}

func (s *Server) answerTags(w http.ResponseWriter, r *http.Request, ms statstore.RunMetaStore, run string) {
	m, err := ms.RetrieveRunMeta(r.Context(), run)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.Tags == nil {
		m.Tags = map[string]string{}
	}
	s.writeJSON(w, r, tagsResponse{Tags: m.Tags})
}

var _ statstore.RunMetaStore = (*Client)(nil)

// RetrieveRunMeta returns the run's configuration and tags (two requests,
// not one snapshot: a change between them may show in one part only).
func (c *Client) RetrieveRunMeta(ctx context.Context, run string) (statstore.RunMeta, error) {
	u, err := c.runURL(run, "config", nil)
	if err != nil {
		return statstore.RunMeta{}, err
	}
	data, err := c.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return statstore.RunMeta{}, err
	}
	var m statstore.RunMeta
	if len(bytes.TrimSpace(data)) > 0 {
		if m.Config, err = statstore.CompactRunConfig(bytes.TrimSpace(data)); err != nil {
			return statstore.RunMeta{}, fmt.Errorf("httpapi: GET %s: the server's answer is not a configuration: %w", u, err)
		}
	}
	u, err = c.runURL(run, "tags", nil)
	if err != nil {
		return statstore.RunMeta{}, err
	}
	if m.Tags, err = c.tags(ctx, http.MethodGet, u, nil); err != nil {
		return statstore.RunMeta{}, err
	}
	return m, nil
}

// SetRunConfig replaces the run's configuration (PUT); nil removes it
// (DELETE).
func (c *Client) SetRunConfig(ctx context.Context, run string, config stdjson.RawMessage) error {
	u, err := c.runURL(run, "config", nil)
	if err != nil {
		return err
	}
	if config == nil {
		_, err = c.do(ctx, http.MethodDelete, u, nil)
		return err
	}
	if err := statstore.ValidateRunConfig(config); err != nil {
		return fmt.Errorf("httpapi: set configuration of run %q: %w", run, err)
	}
	_, err = c.do(ctx, http.MethodPut, u, config)
	return err
}

// SetRunTags sets and removes the run's tags in one step (PATCH).
func (c *Client) SetRunTags(ctx context.Context, run string, set map[string]string, remove []string) error {
	u, err := c.runURL(run, "tags", nil)
	if err != nil {
		return err
	}
	if _, err := statstore.ApplyTags(nil, set, remove); err != nil {
		return fmt.Errorf("httpapi: set tags of run %q: %w", run, err)
	}
	body, err := stdjson.Marshal(tagsPatch{Set: set, Remove: remove})
	if err != nil {
		return fmt.Errorf("httpapi: set tags of run %q: %w", run, err)
	}
	_, err = c.tags(ctx, http.MethodPatch, u, body)
	return err
}

// tags sends a tags request and decodes the answer (nil for no tags).
func (c *Client) tags(ctx context.Context, method, u string, body []byte) (map[string]string, error) {
	data, err := c.do(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	var resp tagsResponse
	if err := stdjson.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("httpapi: %s %s: the server's answer does not decode: %w", method, u, err)
	}
	if len(resp.Tags) == 0 {
		return nil, nil
	}
	return resp.Tags, nil
}
