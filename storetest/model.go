package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// Environment variables that override ModelOptions, to reproduce a failure
// or to run longer: STORETEST_SEED (the base seed; sequence i uses seed+i),
// STORETEST_SEQUENCES and STORETEST_OPS.
const (
	EnvSeed      = "STORETEST_SEED"
	EnvSequences = "STORETEST_SEQUENCES"
	EnvOps       = "STORETEST_OPS"
)

// Defaults of ModelOptions: modest, so that a store that syncs every write
// to disk still runs them in seconds.
const (
	DefaultModelSequences = 4
	DefaultModelOps       = 60
)

// ModelOptions configure RunModel. Zero fields take the defaults; the
// environment variables EnvSeed, EnvSequences and EnvOps override them.
type ModelOptions struct {
	Seed      uint64 // base seed; 0 picks one from the clock (and logs it)
	Sequences int    // random operation sequences, each on a fresh store
	Ops       int    // operations per sequence
}

// resolve applies the environment and the defaults.
func (o ModelOptions) resolve(t *testing.T) ModelOptions {
	t.Helper()
	env := func(name string, into *uint64) {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				t.Fatalf("$%s=%q: %v, want a non-negative integer", name, v, err)
			}
			*into = n
		}
	}
	seqs, ops := uint64(o.Sequences), uint64(o.Ops)
	env(EnvSeed, &o.Seed)
	env(EnvSequences, &seqs)
	env(EnvOps, &ops)
	o.Sequences, o.Ops = int(seqs), int(ops)
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Sequences <= 0 {
		o.Sequences = DefaultModelSequences
	}
	if o.Ops <= 0 {
		o.Ops = DefaultModelOps
	}
	return o
}

// RunModel runs random sequences of operations (training stored ahead,
// behind, equal or with gaps, so validations become superseded; validation
// merged new, late, re-validated, unsorted, repeated or with other
// metadata; bad input; deletes; retrieves, ranges, subsamples and
// listings) on stores from open and on a memstore model, and fails at the
// first answer or state that differs. Each sequence is a subtest named
// after its seed; a failure prints the seed and the operations so far, and
// setting STORETEST_SEED to that seed (with STORETEST_SEQUENCES=1) replays
// it.
func RunModel(t *testing.T, open Opener, opts ModelOptions) {
	t.Helper()
	opts = opts.resolve(t)
	t.Logf("model test: %d sequences of %d operations from seed %d (set $%s to replay)", opts.Sequences, opts.Ops, opts.Seed, EnvSeed)
	for i := range opts.Sequences {
		seed := opts.Seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			m := &modelRun{
				env:   newEnv(t, open),
				model: memstore.New(nil),
				rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
			}
			defer func() {
				if t.Failed() {
					t.Logf("model sequence failed; replay with %s=%d %s=1 %s=%d; operations:\n\t%s",
						EnvSeed, seed, EnvSequences, EnvOps, opts.Ops, strings.Join(m.log, "\n\t"))
				}
			}()
			for op := range opts.Ops {
				m.step(op)
				if t.Failed() {
					return
				}
			}
			for _, run := range modelRuns() {
				m.compareRun(run)
			}
			m.compareList()
		})
	}
}

// modelRuns are the runs a sequence works on.
func modelRuns() []string { return []string{"run", "Run", "ü-run"} }

// modelRun is one random sequence: the store under test and the model.
type modelRun struct {
	*env
	model *memstore.Store
	rng   *rand.Rand
	log   []string
}

// step performs one random operation on both stores and compares them.
func (m *modelRun) step(op int) {
	m.t.Helper()
	runs := modelRuns()
	run := runs[m.rng.IntN(len(runs))]
	switch r := m.rng.IntN(100); {
	case r < 35:
		stats := m.genTraining(run, op)
		m.write(op, fmt.Sprintf("StoreTrainingStats(%q, %s)", run, fmtTraining(stats)),
			func(s statstore.StatsStore) error { return s.StoreTrainingStats(m.ctx, run, stats) })
		m.compareRun(run)
	case r < 60:
		scores := m.genScores(run, op)
		reports := map[statstore.StatsStore]statstore.ValidationMerge{}
		m.write(op, fmt.Sprintf("MergeValidationScores(%q, %s of %s)", run, fmtScoresArg(scores), fmtMeta(scores.Metadata)),
			func(s statstore.StatsStore) error {
				r, err := s.MergeValidationScores(m.ctx, run, scores)
				reports[s] = r
				return err
			})
		if got, want := reports[m.s], reports[m.model]; !sameMerge(got, want) {
			m.t.Fatalf("op %d: MergeValidationScores(%q) reports %+v, want %+v", op, run, got, want)
		}
		m.compareRun(run)
	case r < 63:
		from := m.rng.IntN(m.validatedUntil(run) + 5)
		m.write(op, fmt.Sprintf("DeleteValidationAfter(%q, %d)", run, from),
			func(s statstore.StatsStore) error { return s.DeleteValidationAfter(m.ctx, run, from) })
		m.compareRun(run)
	case r < 65:
		m.write(op, fmt.Sprintf("DeleteTrainingStats(%q)", run),
			func(s statstore.StatsStore) error { return s.DeleteTrainingStats(m.ctx, run) })
		m.compareRun(run)
	case r < 70:
		m.write(op, fmt.Sprintf("DeleteValidationScores(%q)", run),
			func(s statstore.StatsStore) error { return s.DeleteValidationScores(m.ctx, run) })
		m.compareRun(run)
	case r < 73:
		m.write(op, fmt.Sprintf("DeleteRun(%q)", run),
			func(s statstore.StatsStore) error { return s.DeleteRun(m.ctx, run) })
		m.compareRun(run)
	case r < 85:
		m.log = append(m.log, fmt.Sprintf("%d: compare %q and ListRuns", op, run))
		m.compareRun(run)
		m.compareList()
	case r < 93:
		for range 3 {
			m.compareRange(op, run)
		}
	default:
		for range 3 {
			m.compareSubsample(op, run)
		}
	}
}

// write applies a write to both stores and compares their errors.
func (m *modelRun) write(op int, what string, call func(statstore.StatsStore) error) {
	m.t.Helper()
	want := call(m.model)
	got := call(m.s)
	m.log = append(m.log, fmt.Sprintf("%d: %s -> %s", op, what, errorClass(want)))
	if errorClass(got) != errorClass(want) {
		m.t.Fatalf("op %d: %s: got error %v, want %s (model: %v)", op, what, got, errorClass(want), want)
	}
}

// compareRun compares everything stored for run.
func (m *modelRun) compareRun(run string) {
	m.t.Helper()
	wantT, err := m.model.RetrieveTrainingStats(m.ctx, run)
	m.ok("model RetrieveTrainingStats", err)
	wantV, err := m.model.RetrieveValidationScores(m.ctx, run)
	m.ok("model RetrieveValidationScores", err)
	if d := diffTraining(m.training(run), wantT.IterationStats); d != "" {
		m.t.Fatalf("run %q: training stats: %s", run, d)
	}
	gotV := m.validation(run)
	if d := diffScores(gotV.Scores, wantV.Scores); d != "" {
		m.t.Fatalf("run %q: validation scores: %s", run, d)
	}
	if len(wantV.Scores) > 0 && !gotV.Metadata.Equal(wantV.Metadata) {
		m.t.Fatalf("run %q: validation metadata: got %s, want %s", run, fmtMeta(gotV.Metadata), fmtMeta(wantV.Metadata))
	}
	m.wantSummaries(fmt.Sprintf("operation %d", len(m.log)))
	m.wantBuckets(run, wantT.IterationStats, fmt.Sprintf("operation %d", len(m.log)))
}

// compareList compares ListRuns.
func (m *modelRun) compareList() {
	m.t.Helper()
	want, err := m.model.ListRuns(m.ctx)
	m.ok("model ListRuns", err)
	got, err := m.s.ListRuns(m.ctx)
	m.ok("ListRuns", err)
	if got, want := withoutLastWrite(got), withoutLastWrite(want); !slices.Equal(got, want) {
		m.t.Fatalf("ListRuns: got %+v, want %+v", got, want)
	}
}

// compareRange compares a random RetrieveTrainingRange.
func (m *modelRun) compareRange(op int, run string) {
	m.t.Helper()
	r := statstore.IterationRange{From: m.rng.IntN(m.trainedUntil(run) + 10)}
	if m.rng.IntN(2) == 0 {
		r.To = r.From + m.rng.IntN(40)
	}
	m.log = append(m.log, fmt.Sprintf("%d: RetrieveTrainingRange(%q, %+v)", op, run, r))
	want, err := m.model.RetrieveTrainingRange(m.ctx, run, r)
	m.ok("model RetrieveTrainingRange", err)
	got, err := m.s.RetrieveTrainingRange(m.ctx, run, r)
	m.ok(fmt.Sprintf("RetrieveTrainingRange(%q, %+v)", run, r), err)
	if got == nil {
		m.t.Fatalf("RetrieveTrainingRange(%q, %+v): got nil stats, want non-nil", run, r)
	}
	if d := diffTraining(got.IterationStats, want.IterationStats); d != "" {
		m.t.Fatalf("RetrieveTrainingRange(%q, %+v): %s", run, r, d)
	}
}

// compareSubsample compares a random SubsampleTraining.
func (m *modelRun) compareSubsample(op int, run string) {
	m.t.Helper()
	opts := statstore.SubsampleOptions{
		MaxPoints: []int{0, 2, 3, 5, 17}[m.rng.IntN(5)],
		Mode:      statstore.SubsampleMode(m.rng.IntN(2)),
	}
	if m.rng.IntN(3) == 0 {
		opts.Range.From = m.rng.IntN(m.trainedUntil(run) + 1)
	}
	m.log = append(m.log, fmt.Sprintf("%d: SubsampleTraining(%q, %+v)", op, run, opts))
	want, err := m.model.SubsampleTraining(m.ctx, run, opts)
	m.ok("model SubsampleTraining", err)
	got, err := m.s.SubsampleTraining(m.ctx, run, opts)
	m.ok(fmt.Sprintf("SubsampleTraining(%q, %+v)", run, opts), err)
	if d := diffTraining(got, want); d != "" {
		m.t.Fatalf("SubsampleTraining(%q, %+v): %s", run, opts, d)
	}
}

// trainedUntil returns the model's TrainedUntil for run.
func (m *modelRun) trainedUntil(run string) int {
	s, err := m.model.RetrieveTrainingStats(m.ctx, run)
	m.ok("model RetrieveTrainingStats", err)
	return s.TrainedUntil()
}

// validatedUntil returns the model's ValidatedUntil for run.
func (m *modelRun) validatedUntil(run string) int {
	s, err := m.model.RetrieveValidationScores(m.ctx, run)
	m.ok("model RetrieveValidationScores", err)
	return s.ValidatedUntil()
}

// ascending returns increasing iterations in [from, to) with random gaps
// of 1 to maxGap.
func (m *modelRun) ascending(from, to, maxGap int) []int {
	var out []int
	for it := from; it < to; it += 1 + m.rng.IntN(maxGap) {
		out = append(out, it)
	}
	return out
}

// genTraining returns stats that extend, rewind or repeat what the model
// holds for run, or are empty or bad, with values unique to op.
func (m *modelRun) genTraining(run string, op int) *statstore.TrainingStats {
	u := m.trainedUntil(run)
	gap := 1 + m.rng.IntN(4)
	var iters []int
	switch k := m.rng.IntN(10); k {
	case 0, 1: // ahead, from the start: everything stored again plus more
		iters = m.ascending(0, u+1+m.rng.IntN(30), gap)
	case 2, 3: // ahead, from somewhere in the stored history
		iters = m.ascending(m.rng.IntN(u+1), u+1+m.rng.IntN(30), gap)
	case 4: // ahead, after a gap
		iters = m.ascending(u+m.rng.IntN(20), u+20+m.rng.IntN(30), gap)
	case 5: // behind: training resumed from an earlier checkpoint
		iters = m.ascending(0, m.rng.IntN(u+1)+1, gap)
	case 6: // equal reach
		if u > 0 {
			iters = append(m.ascending(m.rng.IntN(u), u-1, gap), u-1)
		}
	case 7: // empty
	default: // bad: out of order, repeated or negative
		iters = m.ascending(0, u+5+m.rng.IntN(20), gap)
		i := m.rng.IntN(len(iters))
		switch m.rng.IntN(3) {
		case 0:
			if i+1 < len(iters) {
				iters[i], iters[i+1] = iters[i+1], iters[i]
			} else {
				iters = append(iters, iters[i]-1)
			}
		case 1:
			iters = slices.Insert(iters, i, iters[i])
		default:
			iters[0] = -1 - m.rng.IntN(3)
		}
	}
	stats := TrainingVersion(op, iters...)
	if len(iters) > 0 && m.rng.IntN(4) == 0 { // some special floats
		fs := specialFloats()
		e := &stats.IterationStats[m.rng.IntN(len(iters))]
		e.Loss, e.Time = fs[m.rng.IntN(len(fs))], fs[m.rng.IntN(len(fs))]
	}
	return stats
}

// genScores returns validation scores around what the model holds for run:
// new, late, repeated or earlier checkpoints, sometimes with other metadata,
// sometimes unsorted or with an iteration sent twice (DaCapo's in-memory
// list), sometimes bad, with values unique to op or (to be merged as
// unchanged) those of an earlier version.
func (m *modelRun) genScores(run string, op int) *statstore.ValidationScores {
	vu := m.validatedUntil(run)
	meta := Metadata()
	if m.rng.IntN(6) == 0 {
		meta = otherMetadata()
	}
	// Checkpoints every 5 iterations up to a little beyond the stored reach.
	var iters []int
	for it := 0; it < vu+30; it += 5 {
		if m.rng.IntN(4) == 0 {
			iters = append(iters, it)
		}
	}
	if len(iters) > 4 {
		start := m.rng.IntN(len(iters) - 3)
		iters = iters[start : start+1+m.rng.IntN(4)]
	}
	version := op
	if m.rng.IntN(3) == 0 {
		version = m.rng.IntN(3)
	}
	scores := ScoresVersion(meta, version, iters...)
	if len(iters) > 1 && m.rng.IntN(4) == 0 { // DaCapo's list: unsorted, repeated
		m.rng.Shuffle(len(scores.Scores), func(i, j int) { scores.Scores[i], scores.Scores[j] = scores.Scores[j], scores.Scores[i] })
		if m.rng.IntN(2) == 0 {
			again := ScoresVersion(meta, op+1000, iters[m.rng.IntN(len(iters))])
			scores.Scores = append(scores.Scores, again.Scores...)
		}
	}
	if len(iters) > 0 && m.rng.IntN(8) == 0 { // bad input
		i := m.rng.IntN(len(iters))
		switch m.rng.IntN(2) {
		case 0:
			scores.Scores[i].Scores[0] = scores.Scores[i].Scores[0][:1]
		default:
			scores.Scores[i].Iteration = -5
		}
	}
	return scores
}
