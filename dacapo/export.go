package dacapo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	pickle "github.com/kisielk/og-rek"

	"github.com/statstore/statstore"
)

// ExportProtocol is the pickle protocol Export writes: DaCapo's default
// (Python's pickle.DEFAULT_PROTOCOL since 3.8).
const ExportProtocol = 4

// Export writes runs of src (every run when runs is empty) into dir as
// DaCapo's FileStatsStore lays them out: dir/training_stats/<run> and
// dir/validation_scores/<run>, each a protocol 4 pickle of DaCapo's
// documents ({"iteration", "loss", "time", "run_name"} and {"iteration",
// "scores", "run_name"}) that Python's pickle.load, and so DaCapo, reads
// back unchanged: ints as ints, floats as floats, NaN as NaN. A run without
// training stats (or validation scores) gets no such file; an older file of
// that run is removed. Each file is replaced atomically. A named run that src
// does not hold is an error wrapping statstore.ErrNotFound.
func Export(ctx context.Context, src statstore.StatsStore, dir string, runs []string) error {
	named := len(runs) > 0
	if !named {
		infos, err := src.ListRuns(ctx)
		if err != nil {
			return fmt.Errorf("dacapo: export: list runs: %w", err)
		}
		for _, info := range infos {
			runs = append(runs, info.Run)
		}
	}
	for _, sub := range []string{TrainingDir, ValidationDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("dacapo: export: %w", err)
		}
	}
	for _, run := range runs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dacapo: export: %w", err)
		}
		if err := statstore.ValidateRunName(run); err != nil {
			return fmt.Errorf("dacapo: export: %w", err)
		}
		if err := exportRun(ctx, src, dir, run, named); err != nil {
			return fmt.Errorf("dacapo: export run %q: %w", run, err)
		}
	}
	return nil
}

func exportRun(ctx context.Context, src statstore.StatsStore, dir, run string, named bool) error {
	training, err := src.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return err
	}
	scores, err := src.RetrieveValidationIterationScores(ctx, run)
	if err != nil {
		return err
	}
	if named && training.Len() == 0 && len(scores) == 0 {
		return fmt.Errorf("the source holds no training stats or validation scores for it: %w", statstore.ErrNotFound)
	}
	if err := writeOrRemove(filepath.Join(dir, TrainingDir), run, trainingDocuments(run, training)); err != nil {
		return err
	}
	return writeOrRemove(filepath.Join(dir, ValidationDir), run, validationDocuments(run, scores))
}

// trainingDocuments returns DaCapo's training documents, as og-rek values.
func trainingDocuments(run string, stats *statstore.TrainingStats) []any {
	docs := make([]any, len(stats.IterationStats))
	for i, s := range stats.IterationStats {
		docs[i] = map[string]any{
			keyIteration: int64(s.Iteration),
			keyLoss:      s.Loss,
			keyTime:      s.Time,
			keyRunName:   run,
		}
	}
	return docs
}

// validationDocuments returns DaCapo's validation documents, as og-rek values.
func validationDocuments(run string, scores []statstore.ValidationIterationScores) []any {
	docs := make([]any, len(scores))
	for i, s := range scores {
		docs[i] = map[string]any{
			keyIteration: int64(s.Iteration),
			keyScores:    s.Scores,
			keyRunName:   run,
		}
	}
	return docs
}

// writeOrRemove atomically replaces dir/run with the pickle of docs, or
// removes dir/run when docs is empty.
func writeOrRemove(dir, run string, docs []any) error {
	path := filepath.Join(dir, run)
	if len(docs) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	tmp, err := os.CreateTemp(dir, "."+run+".tmp*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	enc := pickle.NewEncoderWithConfig(w, &pickle.EncoderConfig{Protocol: ExportProtocol})
	if err := enc.Encode(docs); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
