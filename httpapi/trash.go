package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/statstore/statstore"
)

// The trash routes (statstore.Trasher over HTTP; see docs/api.md):
//
//	DELETE /api/v1/runs/{run}                  move the run to the trash: 200 and the entry
//	DELETE /api/v1/runs/{run}?permanent=true   delete it for good: 204
//	GET    /api/v1/trash                       {"entries": [...]}, oldest first
//	POST   /api/v1/trash/{id}/restore          {"as": "name"} (optional): 200 {"run", "id"}
//	POST   /api/v1/trash/purge                 {"before": time} | {"ids": [...]} | {"all": true}: 200 {"purged": [...]}
//
// Both DELETEs answer 404 for a run the store does not list.

const (
	restoreShape = `{"as": "new run name"} (or an empty body)`
	purgeShape   = `{"before": "2026-01-01T00:00:00Z"} or {"ids": ["..."]} or {"all": true}`
)

type trashListResponse struct {
	Entries []statstore.TrashEntry `json:"entries"`
}

type restoreBody struct {
	As string `json:"as,omitempty"`
}

type restoreResponse struct {
	Run string `json:"run"`
	ID  string `json:"id"`
}

type purgeBody struct {
	Before *time.Time `json:"before,omitempty"`
	IDs    []string   `json:"ids,omitempty"`
	All    bool       `json:"all,omitempty"`
}

type purgeResponse struct {
	Purged []statstore.TrashEntry `json:"purged"`
}

// decodeRestore decodes a restore body; an empty body restores under the
// old name. A name that is not a valid run name wraps
// statstore.ErrInvalidRunName.
func decodeRestore(rd io.Reader) (string, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	var body restoreBody
	if err := json.Unmarshal(data, &body, strict()); err != nil {
		return "", bodyError(err, restoreShape)
	}
	if body.As != "" {
		if err := statstore.ValidateRunName(body.As); err != nil {
			return "", err
		}
	}
	return body.As, nil
}

// decodePurge decodes a purge body into a selection, which it validates.
func decodePurge(rd io.Reader) (statstore.PurgeSelection, error) {
	var body purgeBody
	if err := json.UnmarshalRead(rd, &body, strict()); err != nil {
		if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			err = decodeErrorf("the request body is empty")
		}
		return statstore.PurgeSelection{}, bodyError(err, purgeShape)
	}
	sel := statstore.PurgeSelection{IDs: body.IDs, All: body.All}
	if body.Before != nil {
		sel.Before = *body.Before
		if sel.Before.IsZero() {
			return sel, fmt.Errorf("purge: \"before\" is the zero time, want %s: %w", purgeShape, statstore.ErrInvalidArgument)
		}
	}
	if err := sel.Validate(); err != nil {
		return sel, fmt.Errorf("purge: %w", err)
	}
	return sel, nil
}

// trasher returns the server's store as a statstore.Trasher, or an
// error saying that it keeps no trash.
func (s *Server) trasher() (statstore.Trasher, error) {
	tr, ok := s.store.StatsStore.(statstore.Trasher)
	if !ok {
		return nil, fmt.Errorf("this server's store keeps no trash: delete for good with ?permanent=true: %w", statstore.ErrInvalidArgument)
	}
	return tr, nil
}

// handleDeleteRun moves the run to the trash and answers its entry, or
// with ?permanent=true deletes it for good and answers 204. A run the
// store does not list is 404.
func (s *Server) handleDeleteRun(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	permanent, err := boolQuery(r, "permanent")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if !permanent {
		tr, err := s.trasher()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		e, err := tr.TrashRun(ctx, run)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.store.publishDelete(run, "run")
		s.writeJSON(w, r, e)
		return
	}
	runs, err := s.store.ListRuns(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !slices.ContainsFunc(runs, func(ri statstore.RunInfo) bool { return ri.Run == run }) {
		s.writeError(w, r, fmt.Errorf("run %q is not in the store: %w", run, statstore.ErrNotFound))
		return
	}
	if err := s.store.DeleteRun(ctx, run); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleListTrash answers the trash entries, oldest first.
func (s *Server) handleListTrash(w http.ResponseWriter, r *http.Request) {
	tr, err := s.trasher()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	entries, err := tr.ListTrash(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, trashListResponse{Entries: entries})
}

// handleRestore restores the trash entry the path names.
func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	tr, err := s.trasher()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := statstore.ValidateTrashID(id); err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := decodeRestore(r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	run, err := tr.RestoreRun(context.WithoutCancel(r.Context()), id, as)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.store.publishDelete(run, "run") // followers read the run again
	s.writeJSON(w, r, restoreResponse{Run: run, ID: id})
}

// handlePurge deletes the selected trash entries for good.
func (s *Server) handlePurge(w http.ResponseWriter, r *http.Request) {
	tr, err := s.trasher()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := decodePurge(r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	purged, err := tr.PurgeTrash(context.WithoutCancel(r.Context()), sel)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, purgeResponse{Purged: purged})
}

var _ statstore.Trasher = (*Client)(nil)

// DeleteRun deletes the run for good (DELETE ?permanent=true); an unknown
// run (404) is not an error, as the store contract says.
func (c *Client) DeleteRun(ctx context.Context, run string) error {
	u, err := c.runURL(run, "", url.Values{"permanent": {"true"}})
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, u, nil)
	if errors.Is(err, statstore.ErrNotFound) {
		return nil
	}
	return err
}

// TrashRun moves the run to the server's trash (DELETE /api/v1/runs/{run}).
func (c *Client) TrashRun(ctx context.Context, run string) (statstore.TrashEntry, error) {
	u, err := c.runURL(run, "", nil)
	if err != nil {
		return statstore.TrashEntry{}, err
	}
	data, err := c.do(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return statstore.TrashEntry{}, err
	}
	var e statstore.TrashEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("httpapi: DELETE %s: the server's answer does not decode: %w", u, err)
	}
	return e, nil
}

// ListTrash returns the server's trash entries, oldest first.
func (c *Client) ListTrash(ctx context.Context) ([]statstore.TrashEntry, error) {
	return getAs(c, ctx, c.url("/api/v1/trash", nil), func(data []byte) ([]statstore.TrashEntry, error) {
		var resp trashListResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return nil, err
		}
		return resp.Entries, nil
	})
}

// RestoreRun restores the trash entry id under its name, or as.
func (c *Client) RestoreRun(ctx context.Context, id, as string) (string, error) {
	if err := statstore.ValidateTrashID(id); err != nil {
		return "", fmt.Errorf("httpapi: restore: %w", err)
	}
	if as != "" {
		if err := statstore.ValidateRunName(as); err != nil {
			return "", fmt.Errorf("httpapi: restore: %w", err)
		}
	}
	body, err := json.Marshal(restoreBody{As: as})
	if err != nil {
		return "", err
	}
	u := c.url("/api/v1/trash/"+url.PathEscape(id)+"/restore", nil)
	data, err := c.do(ctx, http.MethodPost, u, body)
	if err != nil {
		return "", err
	}
	var resp restoreResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return "", fmt.Errorf("httpapi: POST %s: the server's answer does not decode: %w", u, err)
	}
	return resp.Run, nil
}

// PurgeTrash deletes the selected entries for good and returns them.
func (c *Client) PurgeTrash(ctx context.Context, sel statstore.PurgeSelection) ([]statstore.TrashEntry, error) {
	if err := sel.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: purge: %w", err)
	}
	pb := purgeBody{IDs: sel.IDs, All: sel.All}
	if !sel.Before.IsZero() {
		pb.Before = &sel.Before
	}
	body, err := json.Marshal(pb)
	if err != nil {
		return nil, err
	}
	u := c.url("/api/v1/trash/purge", nil)
	data, err := c.do(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	var resp purgeResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("httpapi: POST %s: the server's answer does not decode: %w", u, err)
	}
	return resp.Purged, nil
}
