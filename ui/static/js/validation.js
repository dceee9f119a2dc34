// Series of validation scores, from the API's validation answer
// ({datasets, parameters, criteria, scores: [{iteration, scores[d][p][c]}]}).

/**
 * Whether a is strictly better than b for a criterion; NaN is never better, anything beats NaN.
 * higherIsBetter null (a criterion of unknown direction) makes nothing better: no guessed best.
 */
export function better(higherIsBetter, a, b) {
  if (higherIsBetter === null || Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return higherIsBetter ? a > b : a < b;
}

/** Whether higher values of criterion k are better: true, false, or null when unknown. */
export function direction(k) {
  return k.direction_unknown ? null : k.higher_is_better;
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
  const hib = direction(v.criteria[c]);
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
  const hib = direction(v.criteria[c]);
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

/** What a superseded checkpoint is, for legends and tooltips. */
export const supersededNote = 'superseded: weights overwritten by a resumed training';

/** The number of superseded checkpoints of v. */
export function countSuperseded(v) {
  let n = 0;
  for (const e of v.scores) if (e.superseded) n++;
  return n;
}

/**
 * v as plots and best reports use it: without its superseded checkpoints
 * unless include is true (v itself when nothing is left out).
 */
export function shownScores(v, include) {
  if (include || !v.scores.some((e) => e.superseded)) return v;
  return { ...v, scores: v.scores.filter((e) => !e.superseded) };
}

/**
 * Applies a validation event to v (both in the decoded shape of
 * api.validation) and returns the result; v is not changed. Action "merge"
 * (the server's, SPEC §2): each entry replaces the entry of its iteration,
 * or is inserted in iteration order; the other entries stay. An older
 * server's "replace" sends the whole new list, its "append" new entries
 * only, which merging also handles. An event whose metadata differ from v's
 * (the run's first scores, or scores stored after a delete) starts over from
 * the event; so does an event for v null.
 */
export function mergeValidation(v, ev) {
  if (!v || ev.action === 'replace' || !sameMetadata(v, ev)) {
    return { ...ev, scores: [...ev.scores].sort((a, b) => a.iteration - b.iteration) };
  }
  const byIteration = new Map(v.scores.map((e) => [e.iteration, e]));
  for (const e of ev.scores) byIteration.set(e.iteration, { ...e, superseded: e.superseded === true });
  const scores = [...byIteration.values()].sort((a, b) => a.iteration - b.iteration);
  return { ...v, scores };
}

/** Whether two validation answers have the same datasets, parameter sets and criteria (by name). */
function sameMetadata(a, b) {
  const names = (xs) => JSON.stringify(xs.map((x) => (typeof x === 'string' ? x : x.name)));
  return names(a.datasets) === names(b.datasets) && names(a.parameters) === names(b.parameters) && names(a.criteria) === names(b.criteria);
}
