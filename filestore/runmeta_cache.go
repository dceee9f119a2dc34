package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/statstore/statstore"
)

// cachedMeta is a run's metadata as read from its file in the state
// stamp.
type cachedMeta struct {
	stamp fileStamp
	meta  statstore.RunMeta
}

// attachMeta sets the Tags and MetaDigest of sums from the runs'
// metadata files (statstore.AttachRunMeta's result) with one directory
// listing: a run without a metadata file has none, and a file is read
// only when this Store has not seen it in its current state (size,
// modification time, inode) yet.
func (s *Store) attachMeta(ctx context.Context, sums []statstore.RunSummary) error {
	names, err := s.listMeta()
	if err != nil {
		return err
	}
	has := make(map[string]bool, len(names))
	for _, n := range names {
		has[n] = true
	}
	s.mu.Lock()
	for run := range s.metas {
		if !has[run] {
			delete(s.metas, run) // its file is gone
		}
	}
	s.mu.Unlock()
	for i := range sums {
		if !has[sums[i].Run] {
			sums[i].Tags, sums[i].MetaDigest = nil, ""
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := s.cachedRunMeta(sums[i].Run)
		if err != nil {
			return err
		}
		sums[i].SetMeta(m)
	}
	return nil
}

// cachedRunMeta returns run's metadata, read from its file unless this
// Store has it for the file's current stamp.
func (s *Store) cachedRunMeta(run string) (statstore.RunMeta, error) {
	path := s.metaPath(run)
	fi, err := s.fs.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return statstore.RunMeta{}, nil
	}
	if err != nil {
		return statstore.RunMeta{}, pathError("read run metadata", path, err)
	}
	st := *stampOf(fi)
	s.mu.Lock()
	c, ok := s.metas[run]
	s.mu.Unlock()
	if ok && c.stamp == st {
		return c.meta, nil
	}
	m, err := readRunMeta(s.fs, path)
	if err != nil {
		return statstore.RunMeta{}, fmt.Errorf("filestore: run summaries: %w", err)
	}
	// The file may have been replaced between the stat and the read: keep
	// it only when its stamp is still the one read before.
	if fi2, err := s.fs.Stat(path); err == nil && fi2.Size() == st.Size && fi2.ModTime().UnixNano() == st.MTime && inodeOf(fi2) == st.Inode {
		s.mu.Lock()
		if s.metas == nil {
			s.metas = map[string]cachedMeta{}
		}
		s.metas[run] = cachedMeta{st, m}
		s.mu.Unlock()
	}
	return m, nil
}
