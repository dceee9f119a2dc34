package dacapo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	pickle "github.com/kisielk/og-rek"
	"github.com/statstore/statstore"
)

// Run configurations. DaCapo's FileConfigStore (dacapo/store/
// file_config_store.py), created by create_config_store with the same
// runs_base_dir as the FileStatsStore, keeps each run's RunConfig,
// unstructured by DaCapo's converter, as a pickled dict in
//
//	<runs_base_dir>/configs/runs/<run name>
//
// beside <runs_base_dir>/stats, the directory this package reads. A Store
// reads it from there (or from <dir>/configs/runs/<run>, for a directory
// that holds both) with the same restricted unpickler as the statistics,
// and serves it as the run's configuration (statstore.RunMetaStore), so
// that statstore import dacapo stores it with the run. DaCapo versions
// whose config store writes YAML are not read: those runs import without
// a configuration.
const (
	configsDir = "configs"
	runsDir    = "runs"
	// maxConfigFile bounds the pickle read: a configuration is at most
	// statstore.MaxRunConfigBytes as JSON, and a pickle of it takes less.
	maxConfigFile = 4 * statstore.MaxRunConfigBytes
)

var _ statstore.RunMetaStore = (*Store)(nil)

// configPath returns the path of run's pickled RunConfig, "" when none of
// the places it can be holds a regular file.
func (s *Store) configPath(run string) (string, error) {
	for _, base := range []string{filepath.Dir(filepath.Clean(s.dir)), s.dir} {
		p := filepath.Join(base, configsDir, runsDir, run)
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("dacapo: run configuration: %w", err)
		}
		if fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", nil
}

// RetrieveRunMeta returns the run's configuration from DaCapo's
// FileConfigStore (see above) as JSON, and no tags; the zero RunMeta when
// there is none. A pickle that does not decode, or holds a value with no
// JSON form, is a *statstore.CorruptError naming the file.
func (s *Store) RetrieveRunMeta(ctx context.Context, run string) (statstore.RunMeta, error) {
	if err := s.check(ctx, "retrieve run configuration", run); err != nil {
		return statstore.RunMeta{}, err
	}
	path, err := s.configPath(run)
	if err != nil || path == "" {
		return statstore.RunMeta{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return statstore.RunMeta{}, fmt.Errorf("dacapo: read run configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return statstore.RunMeta{}, fmt.Errorf("dacapo: read run configuration %s: %w", path, err)
	}
	if len(data) > maxConfigFile {
		return statstore.RunMeta{}, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("run configuration pickle is larger than %d bytes", maxConfigFile)}
	}
	config, err := decodeRunConfig(ctx, data, newLimit(len(data), s.budget))
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return statstore.RunMeta{}, &statstore.CorruptError{Path: path, Offset: int64(de.Offset), Reason: "run configuration: " + de.Reason}
		}
		return statstore.RunMeta{}, fmt.Errorf("dacapo: run configuration %s: %w", path, err)
	}
	return statstore.RunMeta{Config: config}, nil
}

// decodeRunConfig decodes a pickled configuration dict into canonical JSON.
func decodeRunConfig(ctx context.Context, data []byte, lim limit) (json.RawMessage, error) {
	v, err := decodeValue(ctx, data, lim)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[any]any); !ok {
		return nil, malformed("the configuration has type %s, want dict", pyType(v))
	}
	j, err := pyToJSON(v, "config", 0)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(j)
	if err != nil {
		return nil, malformed("configuration: %v", err)
	}
	c, err := statstore.CompactRunConfig(raw)
	if err != nil {
		return nil, malformed("%v", err)
	}
	return c, nil
}

// maxConfigDepth bounds the nesting of a configuration.
const maxConfigDepth = 64

// pyToJSON converts a decoded Python value to JSON values: dicts with str
// keys, lists and tuples, str, int, float (finite), bool, None and
// numpy.float64 scalars; anything else is an error naming where it is.
func pyToJSON(v any, where string, depth int) (any, error) {
	if depth > maxConfigDepth {
		return nil, malformed("%s: nested deeper than %d", where, maxConfigDepth)
	}
	switch x := v.(type) {
	case nil, pickle.None:
		return nil, nil
	case bool, string, int64:
		return x, nil
	case *big.Int:
		return json.Number(x.String()), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, malformed("%s is %v, which JSON cannot hold", where, x)
		}
		// Python's spelling: a float keeps its point (50.0, not 50), so
		// that it reads back as a float.
		f := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(f, ".e") {
			f += ".0"
		}
		return json.Number(f), nil
	case pickle.Call:
		f, err := numpyFloat64(x)
		if err != nil {
			return nil, malformed("%s: %v", where, err)
		}
		return pyToJSON(f, where, depth+1)
	case []any:
		return listToJSON(x, where, depth)
	case pickle.Tuple:
		return listToJSON([]any(x), where, depth)
	case map[any]any:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, malformed("%s has a key of type %s, want str", where, pyType(k))
			}
			keys = append(keys, ks)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e, err := pyToJSON(x[k], where+"."+k, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, malformed("%s has type %s, which a configuration cannot hold", where, pyType(v))
}

func listToJSON(x []any, where string, depth int) (any, error) {
	out := make([]any, len(x))
	for i, e := range x {
		j, err := pyToJSON(e, fmt.Sprintf("%s[%d]", where, i), depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = j
	}
	return out, nil
}

// SetRunConfig fails with statstore.ErrReadOnly.
func (s *Store) SetRunConfig(ctx context.Context, run string, _ json.RawMessage) error {
	return s.readOnly(ctx, "set the configuration", run)
}

// SetRunTags fails with statstore.ErrReadOnly.
func (s *Store) SetRunTags(ctx context.Context, run string, _ map[string]string, _ []string) error {
	return s.readOnly(ctx, "set the tags", run)
}
