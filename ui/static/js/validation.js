// Series of validation scores, from the API's validation answer
// ({datasets, parameters, criteria, scores: [{iteration, scores[d][p][c]}]}).

/** Whether a is strictly better than b for a criterion; NaN is never better, anything beats NaN. */
export function better(higherIsBetter, a, b) {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return higherIsBetter ? a > b : a < b;
}

/** The index of the criterion named name, or -1. */
export function criterionIndex(v, name) {
  return v.criteria.findIndex((c) => c.name === name);
}

/** The iterations of the validated checkpoints. */
export function iterations(v) {
  return v.scores.map((e) => e.iteration);
}

/** The scores of dataset d and parameter set p for criterion c, one per checkpoint. */
export function parameterSeries(v, d, p, c) {
  return v.scores.map((e) => e.scores[d][p][c]);
}

/** The best score over the parameter sets of dataset d for criterion c, one per checkpoint. */
export function bestOverParameters(v, d, c) {
  const hib = v.criteria[c].higher_is_better;
  return v.scores.map((e) => {
    let best = NaN;
    for (const x of e.scores[d]) if (better(hib, x[c], best)) best = x[c];
    return best;
  });
}

/**
 * The score of criterion c per checkpoint aggregated as the best report
 * does for "over datasets": the mean over datasets (NaN skipped) for each
 * parameter set, then the best parameter set. With dataset d ≥ 0, that
 * dataset's best over parameter sets instead.
 */
export function bestSeries(v, c, d = -1) {
  if (d >= 0) return bestOverParameters(v, d, c);
  const hib = v.criteria[c].higher_is_better;
  const nd = v.datasets.length;
  const np = v.parameters.length;
  return v.scores.map((e) => {
    let best = NaN;
    for (let p = 0; p < np; p++) {
      let sum = 0;
      let n = 0;
      for (let dd = 0; dd < nd; dd++) {
        const x = e.scores[dd][p][c];
        if (!Number.isNaN(x)) {
          sum += x;
          n++;
        }
      }
      const mean = n ? sum / n : NaN;
      if (better(hib, mean, best)) best = mean;
    }
    return best;
  });
}
