package statstore

import (
	"encoding/json"
	"math"
	"time"
)

// runSummaryJSON is the JSON form of a RunSummary (docs/api.md).
type runSummaryJSON struct {
	Run                  string            `json:"run"`
	TrainedUntil         int               `json:"trained_until"`
	TrainingIterations   int               `json:"training_iterations"`
	ValidatedUntil       int               `json:"validated_until"`
	ValidationIterations int               `json:"validation_iterations"`
	LastWrite            *time.Time        `json:"last_write,omitempty"`
	LastLoss             bestValue         `json:"last_loss"`
	MinLoss              bestValue         `json:"min_loss"`
	MinLossIteration     int               `json:"min_loss_iteration"`
	LastValidated        int               `json:"last_validated"`
	ValidationEvery      int               `json:"validation_every"`
	Best                 []Best            `json:"best"`
	Health               []string          `json:"health"`
	Tags                 map[string]string `json:"tags"`
	MetaDigest           string            `json:"meta_digest"`
}

// MarshalJSON writes s as {"run", "trained_until", "training_iterations",
// "validated_until", "validation_iterations", "last_write" (RFC 3339, UTC,
// left out when unknown), "last_loss", "min_loss" (numbers, or "NaN",
// "Infinity", "-Infinity"), "min_loss_iteration", "last_validated",
// "validation_every", "best" (best report lines, see Best.MarshalJSON),
// "health" (flags), "tags" (an object), "meta_digest"}.
func (s RunSummary) MarshalJSON() ([]byte, error) {
	w := runSummaryJSON{
		Run: s.Run, TrainedUntil: s.TrainedUntil, TrainingIterations: s.TrainingIterations,
		ValidatedUntil: s.ValidatedUntil, ValidationIterations: s.ValidationIterations,
		LastLoss: bestValue(s.LastLoss), MinLoss: bestValue(s.MinLoss), MinLossIteration: s.MinLossIteration,
		LastValidated: s.LastValidated, ValidationEvery: s.ValidationEvery,
		Best: s.Best, Health: s.Health, Tags: s.Tags, MetaDigest: s.MetaDigest,
	}
	if w.Best == nil {
		w.Best = []Best{}
	}
	if w.Health == nil {
		w.Health = []string{}
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	if !s.LastWrite.IsZero() {
		t := s.LastWrite.UTC()
		w.LastWrite = &t
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the shape MarshalJSON writes; a missing or null loss
// reads as NaN. Errors wrap ErrInvalidArgument.
func (s *RunSummary) UnmarshalJSON(data []byte) error {
	w := runSummaryJSON{LastLoss: bestValue(math.NaN()), MinLoss: bestValue(math.NaN()), MinLossIteration: -1, LastValidated: -1}
	if err := json.Unmarshal(data, &w); err != nil {
		return invalid("run summary: %v", err)
	}
	if err := ValidateRunName(w.Run); err != nil {
		return invalid("run summary: %v", err)
	}
	out := RunSummary{
		RunInfo: RunInfo{Run: w.Run, TrainedUntil: w.TrainedUntil, TrainingIterations: w.TrainingIterations,
			ValidatedUntil: w.ValidatedUntil, ValidationIterations: w.ValidationIterations},
		LastLoss: float64(w.LastLoss), MinLoss: float64(w.MinLoss), MinLossIteration: w.MinLossIteration,
		LastValidated: w.LastValidated, ValidationEvery: w.ValidationEvery,
		Best: w.Best, Health: w.Health, Tags: w.Tags, MetaDigest: w.MetaDigest,
	}
	if len(out.Best) == 0 {
		out.Best = nil
	}
	if len(out.Health) == 0 {
		out.Health = nil
	}
	if len(out.Tags) == 0 {
		out.Tags = nil
	}
	if w.LastWrite != nil {
		out.LastWrite = *w.LastWrite
	}
	*s = out
	return nil
}

// leaderRowJSON is the JSON form of a LeaderRow.
type leaderRowJSON struct {
	Group          string    `json:"group"`
	Runs           []string  `json:"runs"`
	Count          int       `json:"count"`
	Mean           bestValue `json:"mean"`
	Std            bestValue `json:"std"`
	Min            bestValue `json:"min"`
	Max            bestValue `json:"max"`
	BestRun        string    `json:"best_run"`
	BestIteration  int       `json:"best_iteration"`
	BestParameters string    `json:"best_parameters"`
}

// MarshalJSON writes r as {"group", "runs", "count", "mean", "std", "min",
// "max", "best_run", "best_iteration", "best_parameters"}.
func (r LeaderRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(leaderRowJSON{Group: r.Group, Runs: r.Runs, Count: r.Count, Mean: bestValue(r.Mean), Std: bestValue(r.Std),
		Min: bestValue(r.Min), Max: bestValue(r.Max), BestRun: r.BestRun, BestIteration: r.BestIteration, BestParameters: r.BestParameters})
}

// UnmarshalJSON reads the shape MarshalJSON writes. Errors wrap
// ErrInvalidArgument.
func (r *LeaderRow) UnmarshalJSON(data []byte) error {
	var w leaderRowJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return invalid("leaderboard row: %v", err)
	}
	*r = LeaderRow{Group: w.Group, Runs: w.Runs, Count: w.Count, Mean: float64(w.Mean), Std: float64(w.Std),
		Min: float64(w.Min), Max: float64(w.Max), BestRun: w.BestRun, BestIteration: w.BestIteration, BestParameters: w.BestParameters}
	return nil
}

// boardJSON and leaderboardJSON are the JSON forms of a Board and a
// Leaderboard.
type boardJSON struct {
	Dataset   string      `json:"dataset"`
	Criterion string      `json:"criterion"`
	Direction string      `json:"direction"`
	Rows      []LeaderRow `json:"rows"`
}

type leaderboardJSON struct {
	Datasets []string    `json:"datasets"`
	Criteria []string    `json:"criteria"`
	Boards   []boardJSON `json:"boards"`
}

// MarshalJSON writes l as {"datasets", "criteria", "boards": [{"dataset",
// "criterion", "direction", "rows": [LeaderRow...]}]}, lists never null.
func (l Leaderboard) MarshalJSON() ([]byte, error) {
	w := leaderboardJSON{Datasets: orEmpty(l.Datasets), Criteria: orEmpty(l.Criteria), Boards: []boardJSON{}}
	for _, b := range l.Boards {
		rows := b.Rows
		if rows == nil {
			rows = []LeaderRow{}
		}
		w.Boards = append(w.Boards, boardJSON{b.Dataset, b.Criterion, b.Direction, rows})
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the shape MarshalJSON writes. Errors wrap
// ErrInvalidArgument.
func (l *Leaderboard) UnmarshalJSON(data []byte) error {
	var w leaderboardJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return invalid("leaderboard: %v", err)
	}
	out := Leaderboard{Datasets: w.Datasets, Criteria: w.Criteria}
	for _, b := range w.Boards {
		out.Boards = append(out.Boards, Board(b))
	}
	*l = out
	return nil
}

// orEmpty returns s, or an empty list for nil.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
