package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/statstore/statstore"
)

// RunMeta runs the conformance suite of statstore.RunMetaStore against the
// stores open returns (which must implement it, and statstore.Trasher for
// the trash cases): configurations set, replaced (in canonical form) and
// removed; tags set and removed in one step; invalid input that changes
// nothing; unknown runs that read as zero; a run with only metadata listed
// with zero counts; metadata that DeleteRun removes and TrashRun and
// RestoreRun carry with the run; concurrent SetRunTags of different keys
// that lose none.
func RunMeta(t *testing.T, open Opener) {
	t.Helper()
	for _, tc := range runMetaTests() {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, open)
			ms, ok := e.s.(statstore.RunMetaStore)
			if !ok {
				t.Fatalf("%T does not implement statstore.RunMetaStore", e.s)
			}
			tc.fn(&metaEnv{env: e, ms: ms})
		})
	}
}

// metaEnv is env with the store's RunMetaStore.
type metaEnv struct {
	*env
	ms statstore.RunMetaStore
}

type metaTest struct {
	name string
	fn   func(e *metaEnv)
}

// meta returns the run's metadata, failing the test on an error.
func (e *metaEnv) meta(run string) statstore.RunMeta {
	e.t.Helper()
	m, err := e.ms.RetrieveRunMeta(e.ctx, run)
	e.ok("RetrieveRunMeta("+run+")", err)
	return m
}

// wantMeta fails unless the run's metadata are config (compared byte-wise:
// stores keep CompactRunConfig's form) and tags.
func (e *metaEnv) wantMeta(run, config string, tags map[string]string) {
	e.t.Helper()
	m := e.meta(run)
	if string(m.Config) != config {
		e.t.Errorf("RetrieveRunMeta(%q).Config: got %q, want %q", run, m.Config, config)
	}
	if len(m.Tags) != len(tags) || !maps.Equal(m.Tags, tags) {
		e.t.Errorf("RetrieveRunMeta(%q).Tags: got %v, want %v", run, m.Tags, tags)
	}
}

func (e *metaEnv) setConfig(run, config string) {
	e.t.Helper()
	var c json.RawMessage
	if config != "" {
		c = json.RawMessage(config)
	}
	e.ok("SetRunConfig("+run+")", e.ms.SetRunConfig(e.ctx, run, c))
}

func (e *metaEnv) setTags(run string, set map[string]string, remove ...string) {
	e.t.Helper()
	e.ok("SetRunTags("+run+")", e.ms.SetRunTags(e.ctx, run, set, remove))
}

func runMetaTests() []metaTest {
	return []metaTest{
		{"Config", func(e *metaEnv) {
			e.wantMeta("run", "", nil)
			e.setConfig("run", ` {"trainer": {"lr": 1e-4, "batch": 2}, "architecture": "unet", "ü": [1, 2.50]} `)
			e.wantMeta("run", `{"architecture":"unet","trainer":{"batch":2,"lr":1e-4},"ü":[1,2.50]}`, nil)
			e.setConfig("run", `{"architecture":"resnet"}`)
			e.wantMeta("run", `{"architecture":"resnet"}`, nil)
			e.setConfig("run", "")
			e.wantMeta("run", "", nil)
			e.ok("SetRunConfig(nil) of an unknown run", e.ms.SetRunConfig(e.ctx, "never", nil))
			e.wantRuns()
		}},
		{"Tags", func(e *metaEnv) {
			e.setTags("run", map[string]string{"architecture": "unet", "seed": "1", "empty": ""})
			e.wantMeta("run", "", map[string]string{"architecture": "unet", "seed": "1", "empty": ""})
			e.setTags("run", map[string]string{"seed": "2", "task": "mito ü"}, "architecture", "absent")
			e.wantMeta("run", "", map[string]string{"seed": "2", "task": "mito ü", "empty": ""})
			e.setTags("run", nil, "seed", "task", "empty")
			e.wantMeta("run", "", nil)
			e.wantRuns()
		}},
		{"ConfigAndTagsApart", func(e *metaEnv) {
			e.setConfig("run", `{"a":1}`)
			e.setTags("run", map[string]string{"k": "v"})
			e.setConfig("run", `{"a":2}`)
			e.wantMeta("run", `{"a":2}`, map[string]string{"k": "v"})
			e.setConfig("run", "")
			e.wantMeta("run", "", map[string]string{"k": "v"})
		}},
		{"InvalidChangesNothing", func(e *metaEnv) {
			e.setConfig("run", `{"a":1}`)
			e.setTags("run", map[string]string{"k": "v"})
			for _, c := range []string{`[1]`, `"x"`, `{"a":`, `{"a":1} {}`, `null`, "{\"a\":\"" + strings.Repeat("x", statstore.MaxRunConfigBytes) + "\"}"} {
				err := e.ms.SetRunConfig(e.ctx, "run", json.RawMessage(c))
				e.wantErr(fmt.Sprintf("SetRunConfig(%.20q)", c), err, statstore.ErrInvalidArgument)
			}
			for _, tc := range []struct {
				set    map[string]string
				remove []string
			}{
				{map[string]string{"": "v"}, nil},
				{map[string]string{"a=b": "v"}, nil},
				{map[string]string{"a b": "v"}, nil},
				{map[string]string{"ok": "v", "bad": "x\ny"}, nil},
				{map[string]string{"k": "w"}, []string{"k"}},
			} {
				err := e.ms.SetRunTags(e.ctx, "run", tc.set, tc.remove)
				e.wantErr(fmt.Sprintf("SetRunTags(%v, remove %v)", tc.set, tc.remove), err, statstore.ErrInvalidArgument)
			}
			many := map[string]string{}
			for i := range statstore.MaxTags {
				many[fmt.Sprint("t", i)] = "v"
			}
			e.wantErr("SetRunTags with one tag too many", e.ms.SetRunTags(e.ctx, "run", many, nil), statstore.ErrInvalidArgument)
			e.wantMeta("run", `{"a":1}`, map[string]string{"k": "v"})
			for _, bad := range []string{"", "..", "a/b"} {
				e.wantErr(fmt.Sprintf("RetrieveRunMeta(%q)", bad), errOnly(e.ms.RetrieveRunMeta(e.ctx, bad)), statstore.ErrInvalidRunName)
				e.wantErr(fmt.Sprintf("SetRunConfig(%q)", bad), e.ms.SetRunConfig(e.ctx, bad, json.RawMessage(`{}`)), statstore.ErrInvalidRunName)
				e.wantErr(fmt.Sprintf("SetRunTags(%q)", bad), e.ms.SetRunTags(e.ctx, bad, map[string]string{"k": "v"}, nil), statstore.ErrInvalidRunName)
			}
			e.wantRuns(statstore.RunInfo{Run: "run"})
		}},
		{"ListedWithZeroCounts", func(e *metaEnv) {
			e.setTags("tagged", map[string]string{"k": "v"})
			e.setConfig("configured", `{}`)
			e.storeTraining("trained", Training(0, 1))
			e.setTags("trained", map[string]string{"k": "v"})
			e.wantRuns(statstore.RunInfo{Run: "configured"}, statstore.RunInfo{Run: "tagged"},
				statstore.RunInfo{Run: "trained", TrainedUntil: 2, TrainingIterations: 2})
			// Deleting the statistics leaves the metadata and the listing.
			e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, "trained"))
			e.wantMeta("trained", "", map[string]string{"k": "v"})
			e.wantRuns(statstore.RunInfo{Run: "configured"}, statstore.RunInfo{Run: "tagged"}, statstore.RunInfo{Run: "trained"})
			// Metadata set before statistics do not hinder them.
			e.storeTraining("tagged", Training(0))
			e.storeScores("tagged", Scores(Metadata(), 0))
			e.wantTraining("tagged", Entries(0, 0))
			e.wantMeta("tagged", "", map[string]string{"k": "v"})
		}},
		{"DeleteRun", func(e *metaEnv) {
			e.storeTraining("run", Training(0))
			e.setConfig("run", `{"a":1}`)
			e.setTags("run", map[string]string{"k": "v"})
			e.setTags("other", map[string]string{"k": "w"})
			e.ok("DeleteRun", e.s.DeleteRun(e.ctx, "run"))
			e.wantMeta("run", "", nil)
			e.wantMeta("other", "", map[string]string{"k": "w"})
			e.wantRuns(statstore.RunInfo{Run: "other"})
			e.ok("DeleteRun of a metadata-only run", e.s.DeleteRun(e.ctx, "other"))
			e.wantRuns()
		}},
		{"Trash", func(e *metaEnv) {
			tr, ok := e.s.(statstore.Trasher)
			if !ok {
				e.t.Fatalf("%T does not implement statstore.Trasher", e.s)
			}
			e.storeTraining("run", Training(0))
			e.setConfig("run", `{"a":1}`)
			e.setTags("run", map[string]string{"k": "v"})
			te, err := tr.TrashRun(e.ctx, "run")
			e.ok("TrashRun", err)
			e.wantMeta("run", "", nil)
			e.wantRuns()
			// The freed name takes new metadata, which do not mix with the trashed.
			e.setTags("run", map[string]string{"new": "1"})
			_, err = tr.RestoreRun(e.ctx, te.ID, "")
			e.wantErr("RestoreRun over a live metadata-only run", err, statstore.ErrRunExists)
			got, err := tr.RestoreRun(e.ctx, te.ID, "again")
			e.ok("RestoreRun as again", err)
			if got != "again" {
				e.t.Errorf("RestoreRun: got name %q, want %q", got, "again")
			}
			e.wantMeta("again", `{"a":1}`, map[string]string{"k": "v"})
			e.wantMeta("run", "", map[string]string{"new": "1"})
			// A run with only metadata can be trashed and restored too.
			te, err = tr.TrashRun(e.ctx, "run")
			e.ok("TrashRun of a metadata-only run", err)
			e.wantMeta("run", "", nil)
			_, err = tr.RestoreRun(e.ctx, te.ID, "")
			e.ok("RestoreRun of a metadata-only run", err)
			e.wantMeta("run", "", map[string]string{"new": "1"})
		}},
		{"ConcurrentTags", func(e *metaEnv) {
			const writers, each = 4, 8
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						key := fmt.Sprintf("w%d_%d", w, i)
						if err := e.ms.SetRunTags(e.ctx, "run", map[string]string{key: "v"}, nil); err != nil {
							errs <- fmt.Errorf("SetRunTags %s: %w", key, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				e.t.Error(err)
			}
			want := map[string]string{}
			for w := range writers {
				for i := range each {
					want[fmt.Sprintf("w%d_%d", w, i)] = "v"
				}
			}
			e.wantMeta("run", "", want)
		}},
		{"Aliasing", func(e *metaEnv) {
			set := map[string]string{"k": "v"}
			config := json.RawMessage(`{"a":1}`)
			e.ok("SetRunTags", e.ms.SetRunTags(e.ctx, "run", set, nil))
			e.ok("SetRunConfig", e.ms.SetRunConfig(e.ctx, "run", config))
			set["k"], config[5] = "changed", '2'
			m := e.meta("run")
			m.Tags["k"], m.Config[5] = "scribbled", '3'
			e.wantMeta("run", `{"a":1}`, map[string]string{"k": "v"})
		}},
	}
}

// errOnly returns the error of a two-valued call.
func errOnly[T any](_ T, err error) error { return err }
