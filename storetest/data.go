package storetest

import "github.com/statstore/statstore"

// Iters returns the iterations from, from+step, from+2·step, ... below to.
// A step below 1 is taken as 1.
func Iters(from, to, step int) []int {
	step = max(step, 1)
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

// Entry returns the training entry that TrainingVersion(version, ...) holds
// for iteration it. Entries of different versions differ in loss and time,
// so a test can tell which call stored an entry.
func Entry(version, it int) statstore.TrainingIterationStats {
	return statstore.TrainingIterationStats{
		Iteration: it,
		Loss:      float64(version) + 1/float64(it+2),
		Time:      0.25 + float64(version) + float64(it%7)/8,
	}
}

// Training returns training stats with one entry per iteration, in the
// order given and unchecked (so bad input can be built too), with the values
// of version 0 (see Entry).
func Training(iters ...int) *statstore.TrainingStats {
	return TrainingVersion(0, iters...)
}

// TrainingVersion is Training with the values of the given version.
func TrainingVersion(version int, iters ...int) *statstore.TrainingStats {
	out := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, len(iters))}
	for i, it := range iters {
		out.IterationStats[i] = Entry(version, it)
	}
	return out
}

// Entries returns the entries TrainingVersion(version, iters...) holds.
func Entries(version int, iters ...int) []statstore.TrainingIterationStats {
	return TrainingVersion(version, iters...).IterationStats
}

// Metadata returns the metadata the suite's validation scores use unless a
// test says otherwise: two datasets, three threshold parameter sets and
// DaCapo's instance criteria (voi_split, voi_merge, voi), so an entry is a
// 2×3×3 array.
func Metadata() statstore.Metadata {
	return statstore.Metadata{
		Datasets:         []string{"crop_a", "crop_b"},
		Parameters:       statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: statstore.InstanceCriteria(),
	}
}

// IterationScores returns the validation entry of iteration it whose shape
// fits meta, with values that depend on version, the iteration and the
// position in the array.
func IterationScores(meta statstore.Metadata, version, it int) statstore.ValidationIterationScores {
	sh := meta.Shape()
	a := make([][][]float64, sh[0])
	for d := range a {
		a[d] = make([][]float64, sh[1])
		for p := range a[d] {
			a[d][p] = make([]float64, sh[2])
			for c := range a[d][p] {
				a[d][p][c] = float64(version)*1e6 + float64(it) + float64(d)/10 + float64(p)/100 + float64(c)/1000
			}
		}
	}
	return statstore.ValidationIterationScores{Iteration: it, Scores: a}
}

// Scores returns validation scores described by meta with one entry per
// iteration, in the order given and unchecked, with the values of version 0
// (see IterationScores).
func Scores(meta statstore.Metadata, iters ...int) *statstore.ValidationScores {
	return ScoresVersion(meta, 0, iters...)
}

// ScoresVersion is Scores with the values of the given version.
func ScoresVersion(meta statstore.Metadata, version int, iters ...int) *statstore.ValidationScores {
	out := &statstore.ValidationScores{Metadata: meta, Scores: make([]statstore.ValidationIterationScores, len(iters))}
	for i, it := range iters {
		out.Scores[i] = IterationScores(meta, version, it)
	}
	return out
}
