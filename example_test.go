package statstore_test

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/statstore/statstore"
)

// DaCapo's add_iteration_stats example: three training iterations with
// losses 0.1, 0.2 and 0.3.
func ExampleTrainingStats_AddIterationStats() {
	var stats statstore.TrainingStats
	for i, loss := range []float64{0.1, 0.2, 0.3} {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: loss}); err != nil {
			panic(err)
		}
	}
	for _, s := range stats.IterationStats {
		fmt.Printf("iteration=%d loss=%g\n", s.Iteration, s.Loss)
	}

	// Going back is an error naming both iterations; the history is unchanged.
	err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: 1, Loss: 0.4})
	fmt.Println(err)
	fmt.Println(errors.Is(err, statstore.ErrOutOfOrder), stats.Len())
	// Output:
	// iteration=0 loss=0.1
	// iteration=1 loss=0.2
	// iteration=2 loss=0.3
	// cannot add training iteration 1 after iteration 2, want > 2 (use DeleteAfter to rewind): iteration out of order
	// true 3
}

// DaCapo's delete_after example: DeleteAfter(1) keeps only iteration 0.
func ExampleTrainingStats_DeleteAfter() {
	stats := exampleTrainingStats()
	stats.DeleteAfter(1)
	fmt.Printf("%+v\n", stats.IterationStats)
	// Output:
	// [{Iteration:0 Loss:0.1 Time:0}]
}

// DaCapo's trained_until example: three iterations trained (0, 1 and 2).
func ExampleTrainingStats_TrainedUntil() {
	stats := exampleTrainingStats()
	fmt.Println(stats.TrainedUntil())
	var empty statstore.TrainingStats
	fmt.Println(empty.TrainedUntil())
	// Output:
	// 3
	// 0
}

// DaCapo's to_xarray example: the losses as a 1-D labeled array along
// "iterations".
func ExampleTrainingStats_ToLabeled() {
	stats := exampleTrainingStats()
	losses, err := stats.ToLabeled()
	if err != nil {
		panic(err)
	}
	fmt.Println(losses)
	// Output:
	// <labeled.Array (iterations: 3)>
	// iterations  value
	// 0           0.1
	// 1           0.2
	// 2           0.3
}

// The best checkpoint per dataset, parameter set and criterion: the best
// along "iterations". Each criterion uses its own direction: dice is best
// at its maximum, hausdorff and voi at their minimum.
func ExampleValidationScores_GetBest() {
	scores := exampleValidationScores()
	data, err := scores.ToLabeled()
	if err != nil {
		panic(err)
	}
	crop := must(data.Sel(statstore.DimDatasets, "crop_a"))
	threshold := must(crop.Sel(statstore.DimParameters, "threshold_0.5"))
	iterations, values, err := scores.GetBest(threshold, statstore.DimIterations)
	if err != nil {
		panic(err)
	}
	fmt.Println(iterations)
	fmt.Println(values)
	// Output:
	// <labeled.Labels (criteria: 3)>
	// criteria   label
	// dice       2000
	// hausdorff  3000
	// voi        2000
	// <labeled.Array (criteria: 3)>
	// scalar coords: datasets=crop_a, parameters=threshold_0.5
	// criteria   value
	// dice       0.8
	// hausdorff  4
	// voi        0.2
}

// The best post-processing parameters of one checkpoint: the best along
// "parameters", for every dataset and criterion.
func ExampleValidationScores_GetBest_parameters() {
	scores := exampleValidationScores()
	data, err := scores.ToLabeled()
	if err != nil {
		panic(err)
	}
	checkpoint := must(data.Sel(statstore.DimIterations, 2000))
	params, values, err := scores.GetBest(checkpoint, statstore.DimParameters)
	if err != nil {
		panic(err)
	}
	fmt.Println(params)
	fmt.Println(values)
	// Output:
	// <labeled.Labels (datasets: 2, criteria: 3)>
	// datasets  criteria   label
	// crop_a    dice       threshold_0.5
	// crop_a    hausdorff  threshold_0.7
	// crop_a    voi        threshold_0.5
	// crop_b    dice       threshold_0.3
	// crop_b    hausdorff  threshold_0.5
	// crop_b    voi        threshold_0.7
	// <labeled.Array (datasets: 2, criteria: 3)>
	// scalar coords: iterations=2000
	// datasets  criteria   value
	// crop_a    dice       0.8
	// crop_a    hausdorff  5
	// crop_a    voi        0.2
	// crop_b    dice       0.7
	// crop_b    hausdorff  6
	// crop_b    voi        0.25
}

// Data that no longer says which criterion it holds cannot be ranked.
func ExampleValidationScores_GetBest_noCriterion() {
	scores := exampleValidationScores()
	data, err := scores.ToLabeled()
	if err != nil {
		panic(err)
	}
	meanOverCriteria := must(data.Mean(statstore.DimCriteria))
	_, _, err = scores.GetBest(meanOverCriteria, statstore.DimIterations)
	fmt.Println(err)
	fmt.Println(errors.Is(err, statstore.ErrInvalidArgument))
	// Output:
	// cannot determine best without a criterion: data has no "criteria" dimension or coordinate: invalid argument
	// true
}

// The best report: per dataset and criterion the best checkpoint and
// parameter set, then the best of the mean over datasets.
func ExampleValidationScores_BestReport() {
	scores := exampleValidationScores()
	report := scores.BestReport()
	for _, b := range append(report.PerDataset, report.OverDatasets...) {
		dataset := b.Dataset
		if dataset == "" {
			dataset = "(mean)"
		}
		fmt.Printf("%-7s %-10s iteration=%d %-14s %.4g\n", dataset, b.Criterion, b.Iteration, b.Parameters, b.Value)
	}
	// Output:
	// crop_a  dice       iteration=2000 threshold_0.5  0.8
	// crop_a  hausdorff  iteration=3000 threshold_0.5  4
	// crop_a  voi        iteration=2000 threshold_0.5  0.2
	// crop_b  dice       iteration=3000 threshold_0.5  0.85
	// crop_b  hausdorff  iteration=1000 threshold_0.3  5.5
	// crop_b  voi        iteration=2000 threshold_0.7  0.25
	// (mean)  dice       iteration=3000 threshold_0.5  0.8
	// (mean)  hausdorff  iteration=3000 threshold_0.5  5
	// (mean)  voi        iteration=2000 threshold_0.5  0.275
}

// Compare decides how new scores relate to the stored ones.
func ExampleValidationScores_Compare() {
	scores := exampleValidationScores() // validated until 3001

	replace, from := scores.Compare(nil)
	fmt.Println("nothing stored:", replace, from)

	replace, from = scores.Compare(scores.Scores[:1])
	fmt.Println("stored up to 1000:", replace, from)

	later := statstore.ValidationIterationScores{Iteration: 4000, Scores: scores.Scores[0].Scores}
	replace, from = scores.Compare(append(scores.Scores[:3:3], later))
	fmt.Println("stored up to 4000:", replace, from)
	// Output:
	// nothing stored: false 0
	// stored up to 1000: false 1001
	// stored up to 4000: true 0
}

// Subscores keeps the metadata and only the entries asked for.
func ExampleValidationScores_Subscores() {
	scores := exampleValidationScores()
	first, err := scores.Subscores(scores.Scores[:1])
	if err != nil {
		panic(err)
	}
	fmt.Println(first.Len(), first.ValidatedUntil(), first.Criteria())

	foreign := statstore.ValidationIterationScores{Iteration: 5000, Scores: scores.Scores[0].Scores}
	_, err = scores.Subscores([]statstore.ValidationIterationScores{foreign})
	fmt.Println(err)
	// Output:
	// 1 1001 [dice hausdorff voi]
	// iteration 5000 is not one of these validation scores: not found
}

// An old checkpoint validated late is inserted in iteration order.
func ExampleValidationScores_AddIterationScores() {
	scores := exampleValidationScores()
	late := statstore.ValidationIterationScores{Iteration: 1500, Scores: scores.Scores[0].Scores}
	if err := scores.AddIterationScores(late); err != nil {
		panic(err)
	}
	for _, s := range scores.Scores {
		fmt.Print(s.Iteration, ";")
	}
	fmt.Println()
	// Validated again: the latest result replaces the earlier one.
	again := statstore.ValidationIterationScores{Iteration: 1500, Scores: scores.Scores[3].Scores}
	fmt.Println(scores.AddIterationScores(again), len(scores.Scores), scores.Scores[1].SameScores(again))
	// Output:
	// 1000;1500;2000;3000;
	// <nil> 4 true
}

// What a store does with new training stats.
func ExamplePlanTraining() {
	stats := exampleTrainingStats() // iterations 0, 1, 2

	plan, _ := statstore.PlanTraining(0, stats)
	fmt.Println("empty store:", plan.Action, len(plan.Entries))

	plan, _ = statstore.PlanTraining(2, stats)
	fmt.Println("stored 0..1:", plan.Action, plan.Entries[0].Iteration)

	plan, _ = statstore.PlanTraining(10, stats)
	fmt.Println("stored 0..9:", plan.Action, len(plan.Entries), plan.Overwrite)

	plan, _ = statstore.PlanTraining(10, &statstore.TrainingStats{})
	fmt.Println("nothing new:", plan.Action)
	// Output:
	// empty store: append 3
	// stored 0..1: append 2
	// stored 0..9: replace 3 true
	// nothing new: nothing
}

// What a store does with new validation scores: merge them by iteration.
func ExamplePlanValidation() {
	scores := exampleValidationScores() // iterations 1000, 2000, 3000
	stored := scores.Scores[:1]         // 1000 is stored

	plan, _ := statstore.PlanValidation(scores.Metadata, stored, scores)
	fmt.Println("stored 1000:", plan.Action, plan.Result)

	// DaCapo re-validated 1000 (other scores) and validated 0 late.
	late := &statstore.ValidationScores{Metadata: scores.Metadata, Scores: []statstore.ValidationIterationScores{
		scores.Scores[1], {Iteration: 1000, Scores: scores.Scores[2].Scores}, {Iteration: 0, Scores: scores.Scores[0].Scores},
	}}
	plan, _ = statstore.PlanValidation(scores.Metadata, stored, late)
	fmt.Println("re-validated:", plan.Action, plan.Result, "replaced", plan.Result.Replaced, "irregular", plan.Irregular)

	other := scores.Metadata
	other.Datasets = []string{"crop_a", "crop_c"}
	_, err := statstore.PlanValidation(other, stored, scores)
	fmt.Println(err)
	// Output:
	// stored 1000: append 2 inserted, 0 replaced, 1 unchanged
	// re-validated: append 2 inserted, 1 replaced, 0 unchanged replaced [1000] irregular [0 1000]
	// cannot merge validation scores: stored and new metadata differ: datasets [crop_a, crop_c] vs [crop_a, crop_b]: metadata mismatch
}

// A training resumed from checkpoint 2000 supersedes the validation of 3000.
func ExampleRewindPoint() {
	var stored, resumed statstore.TrainingStats
	for it := range 3456 {
		_ = stored.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: 1, Time: 0.1})
	}
	resumed.IterationStats = slices.Clone(stored.IterationStats[:2000])
	for it := 2000; it < 2500; it++ {
		_ = resumed.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: 0.5, Time: 0.2})
	}
	rewind := statstore.RewindPoint(stored.IterationStats, resumed.IterationStats)
	fmt.Println("rewind point:", rewind)
	for _, checkpoint := range []int{1000, 2000, 3000} {
		fmt.Println(checkpoint, "superseded:", statstore.Supersedes(rewind, checkpoint))
	}
	// Output:
	// rewind point: 2000
	// 1000 superseded: false
	// 2000 superseded: false
	// 3000 superseded: true
}

// The criteria of DaCapo's multi-channel binary segmentation evaluator:
// every binary criterion for each channel.
func ExamplePreset() {
	criteria, err := statstore.Preset("multi_channel_binary_segmentation:mito,er")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(criteria))
	for _, c := range criteria[:3] {
		fmt.Println(c.Name, c.HigherIsBetter)
	}
	fmt.Println(criteria[21].Name)

	_, err = statstore.Preset("semantic")
	fmt.Println(err)
	// Output:
	// 42
	// mito__dice true
	// mito__jaccard true
	// mito__hausdorff false
	// er__dice
	// unknown criteria preset "semantic", want one of binary_segmentation, instance, multi_channel_binary_segmentation:<ch1>,<ch2>,..., dummy: invalid argument
}

// Run names are any UTF-8 text that is a safe single path component.
func ExampleValidateRunName() {
	for _, name := range []string{"mito_unet_v2", "Mitochondrien–Lauf 3 ✓", "", "..", "a/b"} {
		fmt.Printf("%q: %v\n", name, statstore.ValidateRunName(name))
	}
	// Output:
	// "mito_unet_v2": <nil>
	// "Mitochondrien–Lauf 3 ✓": <nil>
	// "": run name is empty: invalid run name
	// "..": run name "..": must not be . or ..: invalid run name
	// "a/b": run name "a/b": contains a path separator: invalid run name
}

// A plot-sized view of a long history: at most MaxPoints entries, always
// the first and last, at evenly spaced iterations.
func ExampleSubsample() {
	var stats statstore.TrainingStats
	for i := 0; i < 1_000_000; i += 10 {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1)}); err != nil {
			panic(err)
		}
	}
	points, err := statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{MaxPoints: 5})
	if err != nil {
		panic(err)
	}
	for _, p := range points {
		fmt.Print(p.Iteration, ";")
	}
	fmt.Println()

	// Min/max mode keeps a spike that stride mode steps over.
	stats.IterationStats[12345].Loss = 100
	points, err = statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{MaxPoints: 6, Mode: statstore.SubsampleMinMax})
	if err != nil {
		panic(err)
	}
	for _, p := range points {
		fmt.Printf("%d:%.3g;", p.Iteration, p.Loss)
	}
	fmt.Println()
	// Output:
	// 0;250000;500000;750000;999990;
	// 0:1;123450:100;499990:2e-06;500000:2e-06;999980:1e-06;999990:1e-06;
}

// TensorBoard-style smoothing of a noisy loss curve; NaN stays visible.
func ExampleSmoothEMA() {
	smoothed := statstore.SmoothEMA([]float64{1, 0, 1, math.NaN(), 0}, 0.5)
	for _, v := range smoothed {
		fmt.Printf("%.3g;", v)
	}
	fmt.Println()
	// Output:
	// 1;0.333;0.714;NaN;0.333;
}

// exampleTrainingStats returns DaCapo's example history: losses 0.1, 0.2
// and 0.3 at iterations 0, 1 and 2.
func exampleTrainingStats() *statstore.TrainingStats {
	stats, err := statstore.NewTrainingStats(
		statstore.TrainingIterationStats{Iteration: 0, Loss: 0.1},
		statstore.TrainingIterationStats{Iteration: 1, Loss: 0.2},
		statstore.TrainingIterationStats{Iteration: 2, Loss: 0.3},
	)
	if err != nil {
		panic(err)
	}
	return stats
}

// exampleValidationScores returns scores of two datasets, three thresholds
// and three criteria (dice: higher is better; hausdorff and voi: lower is
// better) at checkpoints 1000, 2000 and 3000.
func exampleValidationScores() *statstore.ValidationScores {
	criteria := statstore.BinarySegmentationCriteria()
	pick := func(name string) statstore.Criterion {
		for _, c := range criteria {
			if c.Name == name {
				return c
			}
		}
		panic("no criterion " + name)
	}
	scores, err := statstore.NewValidationScores(statstore.Metadata{
		Datasets:         []string{"crop_a", "crop_b"},
		Parameters:       statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: []statstore.Criterion{pick("dice"), pick("hausdorff"), pick("voi")},
	})
	if err != nil {
		panic(err)
	}
	// [dataset][threshold][dice, hausdorff, voi]
	entries := map[int][][][]float64{
		1000: {
			{{0.5, 9, 0.6}, {0.6, 8, 0.5}, {0.4, 7, 0.7}},
			{{0.6, 5.5, 0.5}, {0.5, 6, 0.6}, {0.3, 8, 0.8}},
		},
		2000: {
			{{0.7, 6, 0.3}, {0.8, 6, 0.2}, {0.6, 5, 0.4}},
			{{0.7, 7, 0.3}, {0.7, 6, 0.35}, {0.5, 9, 0.25}},
		},
		3000: {
			{{0.6, 7, 0.4}, {0.75, 4, 0.3}, {0.7, 6, 0.35}},
			{{0.6, 8, 0.5}, {0.85, 6, 0.4}, {math.NaN(), math.NaN(), math.NaN()}},
		},
	}
	for _, it := range []int{1000, 2000, 3000} {
		if err := scores.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: entries[it]}); err != nil {
			panic(err)
		}
	}
	return scores
}

// must returns v, panicking on err: for examples only.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
