package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

var _ statstore.RunMetaStore = (*Store)(nil)

// metaDoc is the document in statstore_runs.run_meta (migration 0006).
type metaDoc struct {
	Config json.RawMessage   `json:"config,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// encodeRunMeta returns m's document, nil for zero metadata.
func encodeRunMeta(m statstore.RunMeta) ([]byte, error) {
	if m.IsZero() {
		return nil, nil
	}
	return json.Marshal(metaDoc{Config: m.Config, Tags: m.Tags})
}

// decodeRunMeta checks a run_meta document against its checksum and
// decodes it; damage is a *statstore.CorruptError naming the run.
func decodeRunMeta(run string, doc *string, crc *int64) (statstore.RunMeta, error) {
	switch {
	case doc == nil && crc == nil:
		return statstore.RunMeta{}, nil
	case doc == nil || crc == nil:
		return statstore.RunMeta{}, corruptRun(run, "run_meta and run_meta_crc32c are not both set", nil)
	}
	if got := crc32c([]byte(*doc)); got != *crc {
		return statstore.RunMeta{}, corruptRun(run, fmt.Sprintf("run_meta (%d bytes) does not match its checksum: CRC-32C %08x, stored %08x", len(*doc), got, *crc), nil)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(*doc)))
	dec.DisallowUnknownFields()
	var d metaDoc
	if err := dec.Decode(&d); err != nil {
		return statstore.RunMeta{}, corruptRun(run, "run_meta is not a metadata document", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return statstore.RunMeta{}, corruptRun(run, "run_meta has data after its JSON object", nil)
	}
	m := statstore.RunMeta{Config: d.Config, Tags: d.Tags}
	if err := m.Validate(); err != nil {
		return statstore.RunMeta{}, corruptRun(run, "run_meta", err)
	}
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	return m, nil
}

// RetrieveRunMeta returns the run's configuration and tags; the zero
// RunMeta for an unknown run.
func (s *Store) RetrieveRunMeta(ctx context.Context, run string) (statstore.RunMeta, error) {
	what := fmt.Sprintf("retrieve metadata of run %q", run)
	if err := checkRun(what, run); err != nil {
		return statstore.RunMeta{}, err
	}
	var m statstore.RunMeta
	err := s.do(ctx, what, func(c *pgxConn) error {
		var doc *string
		var crc *int64
		err := c.QueryRow(ctx, "SELECT run_meta, run_meta_crc32c FROM statstore_runs WHERE name = $1", run).Scan(&doc, &crc)
		if errors.Is(err, pgx.ErrNoRows) {
			m = statstore.RunMeta{}
			return nil
		}
		if err != nil {
			return err
		}
		m, err = decodeRunMeta(run, doc, crc)
		return err
	})
	if err != nil {
		return statstore.RunMeta{}, err
	}
	return m, nil
}

// SetRunConfig replaces the run's configuration (nil removes it), in
// statstore.CompactRunConfig's form.
func (s *Store) SetRunConfig(ctx context.Context, run string, config json.RawMessage) error {
	what := fmt.Sprintf("set configuration of run %q", run)
	var compact json.RawMessage
	if config != nil {
		c, err := statstore.CompactRunConfig(config)
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", what, err)
		}
		compact = c
	}
	return s.updateRunMeta(ctx, what, run, func(m *statstore.RunMeta) error {
		m.Config = compact
		return nil
	})
}

// SetRunTags sets and removes the run's tags in one step
// (statstore.ApplyTags).
func (s *Store) SetRunTags(ctx context.Context, run string, set map[string]string, remove []string) error {
	what := fmt.Sprintf("set tags of run %q", run)
	if _, err := statstore.ApplyTags(nil, set, remove); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return s.updateRunMeta(ctx, what, run, func(m *statstore.RunMeta) error {
		tags, err := statstore.ApplyTags(m.Tags, set, remove)
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", what, err)
		}
		m.Tags = tags
		return nil
	})
}

// updateRunMeta applies change to the run's metadata in one transaction
// holding the run's row lock (created for a new run, dropped when the run
// is left with nothing) and dates the write. Damaged metadata are not
// overwritten.
func (s *Store) updateRunMeta(ctx context.Context, what, run string, change func(*statstore.RunMeta) error) error {
	if err := checkRun(what, run); err != nil {
		return err
	}
	var changeErr error
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, err := lockRunForWrite(ctx, tx, run)
		if err != nil {
			return err
		}
		if err := ensureSummary(ctx, tx, run, r); err != nil {
			return err
		}
		var doc *string
		var crc *int64
		if err := tx.QueryRow(ctx, "SELECT run_meta, run_meta_crc32c FROM statstore_runs WHERE id = $1", r.ID).Scan(&doc, &crc); err != nil {
			return err
		}
		m, err := decodeRunMeta(run, doc, crc)
		if err != nil {
			return err
		}
		if changeErr = change(&m); changeErr != nil {
			return changeErr
		}
		data, err := encodeRunMeta(m)
		if err != nil {
			return err
		}
		var text *string
		var sum *int64
		if data != nil {
			t, c := string(data), crc32c(data)
			text, sum = &t, &c
		}
		if _, err := tx.Exec(ctx, "UPDATE statstore_runs SET run_meta = $2, run_meta_crc32c = $3, last_write = now() WHERE id = $1", r.ID, text, sum); err != nil {
			return err
		}
		if err := notify(ctx, tx, statstore.Event{Kind: statstore.EventMetaChanged, Run: run}); err != nil {
			return err
		}
		return dropIfEmpty(ctx, tx, r.ID)
	})
	if changeErr != nil {
		return changeErr // bad input: the message is the caller's
	}
	if err == nil {
		s.log.Info("run metadata set", "run", run)
	}
	return err
}

// hasRunMeta reports whether the row id holds metadata.
func hasRunMeta(ctx context.Context, tx pgx.Tx, id int64) (bool, error) {
	var has bool
	err := tx.QueryRow(ctx, "SELECT run_meta IS NOT NULL FROM statstore_runs WHERE id = $1", id).Scan(&has)
	return has, err
}
