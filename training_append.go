package statstore

import "context"

// TrainingAppender is implemented by stores that can decode a run's whole
// training history into memory the caller owns, so that a caller reading
// a history again and again (a dashboard that polls, a benchmark, an
// exporter going through many runs) reuses one slice instead of making a
// new one per read.
type TrainingAppender interface {
	// AppendTrainingStats appends the run's whole training history to dst
	// and returns the extended slice (dst unchanged for an unknown run).
	// On error it returns dst as it was.
	AppendTrainingStats(ctx context.Context, run string, dst []TrainingIterationStats) ([]TrainingIterationStats, error)
}

// AppendTrainingStats appends the run's whole training history to dst, as
// strconv.AppendInt appends to a byte slice: through the store's
// TrainingAppender when it is one (the entries are decoded into dst's
// spare capacity, growing it only when it is too small), else from
// RetrieveTrainingStats. dst's entries are kept; on error dst is returned
// as it was.
func AppendTrainingStats(ctx context.Context, s StatsStore, run string, dst []TrainingIterationStats) ([]TrainingIterationStats, error) {
	if a, ok := s.(TrainingAppender); ok {
		return a.AppendTrainingStats(ctx, run, dst)
	}
	stats, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return dst, err
	}
	return append(dst, stats.IterationStats...), nil
}
