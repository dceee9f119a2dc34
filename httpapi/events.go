package httpapi

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/statstore/statstore"
)

// maxEventEntries bounds the entries one event carries; a bigger write (a
// replace of a long history) is announced with "truncated": true and no
// entries, and followers reload the run.
const maxEventEntries = 10_000

// runLocks is the number of lock stripes serialising the writes of runs that
// have followers, so that each event describes exactly what its write did.
const runLocks = 64

// publishingStore wraps the server's store and publishes, after each
// successful write, an event with what the write stored. Writes of runs
// nobody follows go straight to the store. When a run is followed, its
// writes through this server are serialised and preceded by a cheap read
// (the last training entry, or the validation scores) from which the store's
// own plan (statstore.PlanTraining / PlanValidation) tells which entries the
// write appended or replaced. Writes by other processes to the same backend
// are not seen.
type publishingStore struct {
	statstore.StatsStore
	broker *broker
	feed   *feed // the store-wide stream, fed from here when the store cannot be watched
	logger *slog.Logger
	locks  [runLocks]sync.Mutex
}

var _ statstore.StatsStore = (*publishingStore)(nil)

// following reports whether the run's writes must be published: a per-run
// stream follows it, or the store-wide stream is fed from here.
func (p *publishingStore) following(run string) bool {
	return p.broker.hasSubscribers(run) || p.feed.local()
}

func (p *publishingStore) lock(run string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(run))
	return &p.locks[h.Sum32()%runLocks]
}

// StoreTrainingStats stores and publishes a "training" event.
func (p *publishingStore) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	if !p.following(run) {
		return p.StatsStore.StoreTrainingStats(ctx, run, stats)
	}
	mu := p.lock(run)
	mu.Lock()
	defer mu.Unlock()
	storedUntil, readErr := p.trainedUntil(ctx, run)
	if err := p.StatsStore.StoreTrainingStats(ctx, run, stats); err != nil {
		return err
	}
	if readErr != nil {
		p.logger.Warn("cannot tell followers what was stored", "run", run, "err", readErr)
		return nil
	}
	plan, err := statstore.PlanTraining(storedUntil, stats)
	if err != nil || plan.Action == statstore.WriteNothing {
		return nil
	}
	p.broker.publish(run, "training", trainingEventJSON(run, plan))
	if p.feed.local() {
		kind := statstore.EventTrainingAppended
		if plan.Action == statstore.WriteReplace {
			kind = statstore.EventTrainingReplaced
		}
		p.feed.publish(statstore.Event{Kind: kind, Run: run, From: plan.Entries[0].Iteration, To: stats.TrainedUntil()})
	}
	return nil
}

// trainedUntil reads the stored TrainedUntil from the last entry.
func (p *publishingStore) trainedUntil(ctx context.Context, run string) (int, error) {
	ends, err := p.StatsStore.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 2})
	if err != nil || len(ends) == 0 {
		return 0, err
	}
	return ends[len(ends)-1].Iteration + 1, nil
}

// trainingEventJSON is {"run", "action": "append"|"replace", "truncated",
// "iteration_stats": [...]}.
func trainingEventJSON(run string, plan statstore.TrainingPlan) []byte {
	entries, truncated := plan.Entries, len(plan.Entries) > maxEventEntries
	if truncated {
		entries = nil
	}
	name, _ := json.Marshal(run)
	b := append([]byte(`{"run":`), name...)
	b = append(b, `,"action":"`...)
	b = append(b, plan.Action.String()...)
	b = append(b, `","truncated":`...)
	b = strconv.AppendBool(b, truncated)
	b = append(b, `,"iteration_stats":[`...)
	for i, s := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrainingEntry(b, s, false)
	}
	return append(b, "]}"...)
}

// validationEvent is the data of a "validation" event: the stored entries
// with the run's metadata.
type validationEvent struct {
	Action string `json:"action"`
	validationResponse
}

// StoreValidationIterationScores stores and publishes a "validation" event.
func (p *publishingStore) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := p.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores merges and publishes a "validation" event with the
// entries the merge inserted or replaced, each with the superseded mark it
// was stored with (action "merge"; later entries of an iteration replace
// earlier ones).
func (p *publishingStore) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	if !p.following(run) {
		return p.StatsStore.MergeValidationScores(ctx, run, scores)
	}
	// One merge at a time per run, so that followers see them in the
	// order the store applied them.
	mu := p.lock(run)
	mu.Lock()
	defer mu.Unlock()
	result, err := p.StatsStore.MergeValidationScores(ctx, run, scores)
	if err != nil || !result.Changed() {
		return result, err
	}
	if ev, ok := statstore.MergeEvent(run, result); ok && p.feed.local() {
		p.feed.publish(ev)
	}
	sorted, _ := statstore.SortValidationEntries(scores.Scores)
	changed := make(map[int]bool, len(result.Inserted)+len(result.Replaced))
	for _, it := range slices.Concat(result.Inserted, result.Replaced) {
		changed[it] = true
	}
	v := &statstore.ValidationScores{Metadata: scores.Metadata}
	for _, s := range sorted {
		if changed[s.Iteration] {
			v.Scores = append(v.Scores, s)
		}
	}
	data, err := json.Marshal(validationEvent{Action: "merge", validationResponse: toWireValidation(run, v, false)})
	if err != nil {
		p.logger.Warn("cannot encode validation event", "run", run, "err", err)
		return result, nil
	}
	p.broker.publish(run, "validation", data)
	return result, nil
}

// DeleteValidationAfter deletes and publishes a "delete" event (what
// "validation": followers read the run's validation scores again).
func (p *publishingStore) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	if err := p.StatsStore.DeleteValidationAfter(ctx, run, iteration); err != nil {
		return err
	}
	p.publishDelete(run, "validation")
	return nil
}

// deleteEvent is the data of a "delete" event.
type deleteEvent struct {
	Run  string `json:"run"`
	What string `json:"what"` // "training", "validation" or "run"
}

func (p *publishingStore) publishDelete(run, what string) {
	if p.feed.local() {
		kind := statstore.EventRunDeleted
		switch what {
		case "training":
			kind = statstore.EventTrainingReplaced
		case "validation":
			kind = statstore.EventValidationMerged
		}
		p.feed.publish(statstore.Event{Kind: kind, Run: run})
	}
	if !p.broker.hasSubscribers(run) {
		return
	}
	data, _ := json.Marshal(deleteEvent{Run: run, What: what}) // strings always marshal
	p.broker.publish(run, "delete", data)
}

// DeleteTrainingStats deletes and publishes a "delete" event.
func (p *publishingStore) DeleteTrainingStats(ctx context.Context, run string) error {
	if err := p.StatsStore.DeleteTrainingStats(ctx, run); err != nil {
		return err
	}
	p.publishDelete(run, "training")
	return nil
}

// DeleteValidationScores deletes and publishes a "delete" event.
func (p *publishingStore) DeleteValidationScores(ctx context.Context, run string) error {
	if err := p.StatsStore.DeleteValidationScores(ctx, run); err != nil {
		return err
	}
	p.publishDelete(run, "validation")
	return nil
}

// DeleteRun deletes and publishes a "delete" event.
func (p *publishingStore) DeleteRun(ctx context.Context, run string) error {
	if err := p.StatsStore.DeleteRun(ctx, run); err != nil {
		return err
	}
	p.publishDelete(run, "run")
	return nil
}
