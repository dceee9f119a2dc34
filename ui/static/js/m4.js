// Loss plots that never hide a spike: a training history reduced to about
// one bucket per pixel column (GET /api/v1/runs/{run}/training/buckets,
// docs/api.md), each drawn as M4 does (its first, lowest, highest and last
// entries, in iteration order, so the line covers the bucket's whole
// vertical extent), with the iteration of its first NaN or ±Inf flagged.
//
// Buckets are aligned to iterations ([k·w, (k+1)·w), w a power of two), so
// a bucket the run has trained past never changes: following a running run
// re-reads only from the last bucket on, and buckets merge (mergeBuckets,
// as statstore.MergeBuckets) when the history outgrows the plot.

import { trainingBuckets, trainingRange } from './api.js';

/** The kind of a loss: 'finite', 'nan', 'posinf' or 'neginf'. */
export function lossKind(v) {
  if (Number.isFinite(v)) return 'finite';
  if (Number.isNaN(v)) return 'nan';
  return v > 0 ? 'posinf' : 'neginf';
}

/** The count field of each non-finite kind in a bucket. */
const countOf = { nan: 'nan', posinf: 'posInf', neginf: 'negInf' };

/**
 * The bucket's distinct entries in iteration order: first, min, max, last
 * (fewer when they coincide), as statstore.TrainingBucket.Points.
 */
export function bucketPoints(b) {
  const pts = [b.first];
  const add = (e) => {
    if (e && !pts.some((p) => p.iteration === e.iteration)) pts.push(e);
  };
  if (b.finite > 0) {
    add(b.min);
    add(b.max);
  }
  add(b.last);
  return pts.sort((a, c) => a.iteration - c.iteration);
}

/**
 * The summary of two buckets' entries as one bucket [a.from, b.to), a's
 * entries all before b's: statstore.MergeBuckets (ties keep the earlier
 * entry).
 */
export function mergeBuckets(a, b) {
  const m = {
    from: a.from,
    to: b.to,
    count: a.count + b.count,
    first: a.first,
    last: b.last,
    min: a.min,
    max: a.max,
    finite: a.finite + b.finite,
    nan: a.nan + b.nan,
    posInf: a.posInf + b.posInf,
    negInf: a.negInf + b.negInf,
    firstNonFinite: a.firstNonFinite >= 0 ? a.firstNonFinite : b.firstNonFinite,
  };
  if (b.finite > 0) {
    if (a.finite === 0 || b.min.loss < a.min.loss) m.min = b.min;
    if (a.finite === 0 || b.max.loss > a.max.loss) m.max = b.max;
  }
  return m;
}

/**
 * Buckets (in order, aligned, of a width that divides w) merged into the
 * aligned buckets of width w.
 */
export function rebucket(buckets, w) {
  const out = [];
  for (const b of buckets) {
    const from = Math.floor(b.from / w) * w;
    const last = out[out.length - 1];
    if (last && last.from === from) out[out.length - 1] = { ...mergeBuckets(last, b), to: last.to };
    else out.push({ ...b, from, to: from + w });
  }
  return out;
}

/**
 * The smallest power-of-two width whose aligned buckets holding first
 * and last number at most n (statstore.BucketWidth), starting from w.
 */
export function widthFor(first, last, n, w = 1) {
  while (Math.floor(last / w) - Math.floor(first / w) + 1 > n) w *= 2;
  return w;
}

/** Entries ({iterations, loss, time} columns) as buckets of width 1. */
export function entryBuckets({ iterations, loss, time }) {
  const out = new Array(iterations.length);
  for (let i = 0; i < iterations.length; i++) {
    const e = { iteration: iterations[i], loss: loss[i], time: time[i] };
    const kind = lossKind(e.loss);
    const b = { from: e.iteration, to: e.iteration + 1, count: 1, first: e, last: e, min: null, max: null, finite: 0, nan: 0, posInf: 0, negInf: 0, firstNonFinite: -1 };
    if (kind === 'finite') Object.assign(b, { min: e, max: e, finite: 1 });
    else Object.assign(b, { [countOf[kind]]: 1, firstNonFinite: e.iteration });
    out[i] = b;
  }
  return out;
}

/**
 * The flags of the non-finite losses of buckets: per kind, one span for
 * each streak (entries of that kind on both sides of a bucket boundary
 * join the buckets' spans). A span is {loss, from, to, lo, hi, count}:
 * from is the first iteration of the kind (the bucket's first non-finite
 * iteration when its first entry is finite), to the last one known, lo–hi
 * the iterations that hold all count of them. With buckets of width 1 the
 * spans are exact: from–to holds count entries, all of the kind.
 */
export function nonFiniteSpans(buckets) {
  const spans = [];
  const open = { nan: null, posinf: null, neginf: null }; // a span still running at the last bucket's end
  const totals = { nan: 0, posInf: 0, negInf: 0 };
  const value = { nan: NaN, posinf: Infinity, neginf: -Infinity };
  for (const b of buckets) {
    const firstKind = lossKind(b.first.loss);
    const lastKind = lossKind(b.last.loss);
    for (const kind of ['nan', 'posinf', 'neginf']) {
      const c = b[countOf[kind]];
      totals[countOf[kind]] += c;
      if (c === 0) {
        open[kind] = null;
        continue;
      }
      const from = firstKind === kind ? b.first.iteration : b.firstNonFinite;
      const to = lastKind === kind ? b.last.iteration : from;
      let s = open[kind];
      if (s && firstKind === kind) {
        s.to = to;
        s.hi = b.last.iteration;
        s.count += c;
      } else {
        s = { loss: value[kind], from, to, lo: b.first.iteration, hi: b.last.iteration, count: c };
        spans.push(s);
      }
      open[kind] = lastKind === kind ? s : null;
    }
  }
  spans.sort((a, b) => a.from - b.from);
  return { ...totals, spans };
}

/**
 * A LossChart sample of buckets: the M4 points as {iterations, loss,
 * time}, the non-finite flags (complete: buckets count every entry), and
 * the buckets and their width (1 for raw entries) for tests and for
 * following the run.
 */
export function bucketSample(buckets, width, { raw = false, asked } = {}) {
  const iterations = [];
  const loss = [];
  const time = [];
  for (const b of buckets) {
    for (const p of raw ? [b.first] : bucketPoints(b)) {
      iterations.push(p.iteration);
      loss.push(p.loss);
      time.push(p.time);
    }
  }
  const nf = nonFiniteSpans(buckets);
  return {
    iterations,
    loss,
    time,
    buckets,
    width,
    raw,
    asked,
    maxPoints: asked,
    nonFinite: { nan: nf.nan, posInf: nf.posInf, negInf: nf.negInf, complete: true, spans: nf.spans },
  };
}

/** Entries in buckets overlapping [from, to): an upper bound of the entries there. */
export function entriesWithin(buckets, from, to) {
  let n = 0;
  for (const b of buckets) if (b.to > from && (to === undefined || b.from < to)) n += b.count;
  return n;
}

/**
 * BucketFetcher reads the loss of runs as buckets for a LossChart (its
 * fetchSamples): the whole run or a zoomed range in at most q.maxPoints
 * buckets (about one per pixel column), or, for a range that the buckets
 * shown say holds at most that many entries, the range's raw entries
 * (GET …/training?from=&to=, the binary form). With batch(runs, {buckets,
 * from, to}, signal) (compareBuckets), the buckets of all runs come in one
 * request, and a small range in buckets of width 1 rather than raw.
 * requests counts the requests made, by kind, for tests.
 */
export class BucketFetcher {
  constructor({ batch } = {}) {
    this.batch = batch || null;
    this.shown = new Map(); // run → the last sample fetched
    this.requests = { buckets: 0, raw: 0, tail: 0 };
  }

  /** The samples of runs for the query {maxPoints, from, to} (LossChart's fetchSamples). */
  async fetch(runs, { maxPoints, from, to }, signal) {
    if (this.batch) {
      this.requests.buckets++;
      const got = await this.batch(runs, { buckets: maxPoints, from, to }, signal);
      return got.map((g, i) => {
        const s = bucketSample(g.buckets, g.width, { asked: maxPoints });
        this.shown.set(runs[i], s);
        return s;
      });
    }
    return Promise.all(runs.map(async (run) => {
      const known = this.shown.get(run);
      let s;
      if (from !== undefined && known && entriesWithin(known.buckets, from, to) <= maxPoints) {
        this.requests.raw++;
        s = bucketSample(entryBuckets(await trainingRange(run, { from, to }, signal)), 1, { raw: true, asked: maxPoints });
      } else {
        this.requests.buckets++;
        const got = await trainingBuckets(run, { buckets: maxPoints, from, to }, signal);
        s = bucketSample(got.buckets, got.width, { asked: maxPoints });
      }
      this.shown.set(run, s);
      return s;
    }));
  }

  /**
   * The whole-run sample s of run brought up to date after training was
   * appended: the buckets from s's last one on are read again (buckets the
   * run has trained past do not change), merged into s's width, and pairs
   * merged while the run holds more buckets than s.asked. Returns null when
   * only a full read can say (s was empty or raw, or the server's width is
   * coarser than s's).
   */
  async tail(run, s, signal) {
    if (!s || s.raw || s.buckets.length === 0) return null;
    const keep = s.buckets.slice(0, -1);
    const from = s.buckets[s.buckets.length - 1].from;
    this.requests.tail++;
    const got = await trainingBuckets(run, { buckets: s.asked, from }, signal);
    if (got.width > s.width || got.buckets.length === 0) return null;
    let buckets = keep.concat(rebucket(got.buckets, s.width));
    const w = widthFor(buckets[0].first.iteration, buckets[buckets.length - 1].last.iteration, s.asked, s.width);
    if (w !== s.width) buckets = rebucket(buckets, w);
    const out = bucketSample(buckets, w, { asked: s.asked });
    this.shown.set(run, out);
    return out;
  }
}
