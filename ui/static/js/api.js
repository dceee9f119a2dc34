// The JSON API of statstore serve (docs/api.md), as the dashboard uses it.

const tokenKey = 'statstore.token';

/** An error answered by the API: status, code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The bearer token of this browser tab ('' for none). */
export function token() {
  try {
    return sessionStorage.getItem(tokenKey) || '';
  } catch {
    return '';
  }
}

/** Remembers the bearer token for this browser tab. */
export function setToken(t) {
  try {
    if (t) sessionStorage.setItem(tokenKey, t);
    else sessionStorage.removeItem(tokenKey);
  } catch {
    // storage disabled: the token lasts until the page is reloaded
  }
}

/** A number from the API: numbers as they are, "NaN", "Infinity" and "-Infinity" as themselves. */
export function num(v) {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

function runPath(run) {
  return 'api/v1/runs/' + encodeURIComponent(run);
}

function apiURL(path, params) {
  const url = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return url;
}

/** The Accept type of the columnar training answer. */
const trainingColumns = 'application/vnd.statstore.training-columns+json';

async function request(path, params, signal, accept = 'application/json') {
  const headers = { Accept: accept };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const resp = await fetch(apiURL(path, params), { headers, signal, cache: 'no-store' });
  if (!resp.ok) throw await apiError(resp, signal);
  return resp;
}

async function getJSON(path, params, signal) {
  const resp = await request(path, params, signal);
  return resp.json();
}

/** Every run: [{run, trained_until, training_iterations, validated_until, validation_iterations}]. */
export async function listRuns(signal) {
  const body = await getJSON('api/v1/runs', null, signal);
  return body.runs || [];
}

/**
 * A plot-sized subsample of a run's training history, never the whole
 * history: at most maxPoints entries of the iterations in [from, to).
 * Returns {iterations, loss, time, maxPoints, url} with non-finite values as
 * numbers (NaN, ±Infinity).
 */
export async function trainingSample(run, { maxPoints, mode = 'stride', from, to }, signal) {
  const params = { max_points: maxPoints, mode, from, to };
  // The columnar answer (docs/api.md): three lists, no key per entry.
  const resp = await request(runPath(run) + '/training', params, signal, `${trainingColumns}, application/json;q=0.5`);
  const body = await resp.json();
  return { ...entriesOf(body), maxPoints, nonFinite: nonFiniteOf(body.non_finite) };
}

/** The Accept type of the binary training answer (docs/api.md: "SSTF", version 1, then three float64 columns). */
const trainingBinary = 'application/vnd.statstore.training+f64le';

/**
 * A run's training history reduced to at most buckets aligned buckets of
 * iterations (GET api/v1/runs/{run}/training/buckets, docs/api.md), of the
 * iterations in [from, to) when given: {width, buckets: [{from, to, count,
 * first, last, min, max, finite, nan, posInf, negInf, firstNonFinite}]},
 * entries as {iteration, loss, time} with non-finite numbers decoded; min
 * and max null when the bucket has no finite loss, firstNonFinite -1 when
 * every loss is finite.
 */
export async function trainingBuckets(run, { buckets, from, to }, signal) {
  return decodeBuckets(await getJSON(runPath(run) + '/training/buckets', { buckets, from, to }, signal));
}

/**
 * The buckets of many runs in one request (POST
 * api/v1/compare/training/buckets): [{width, buckets}] in the order of
 * runs, as trainingBuckets answers each.
 */
export async function compareBuckets(runs, { buckets, from, to }, signal) {
  const body = { runs, buckets };
  if (from !== undefined || to !== undefined) body.range = { from: from || 0, to: to || 0 };
  const got = await postJSON('api/v1/compare/training/buckets', body, signal);
  return got.runs.map(decodeBuckets);
}

/** A buckets answer with its numbers decoded (see trainingBuckets). */
function decodeBuckets(body) {
  const entry = (e) => (e ? { iteration: e.iteration, loss: num(e.loss), time: num(e.time) } : null);
  return {
    width: body.width,
    buckets: (body.buckets || []).map((b) => ({
      from: b.from,
      to: b.to,
      count: b.count,
      first: entry(b.first),
      last: entry(b.last),
      min: entry(b.min),
      max: entry(b.max),
      finite: b.finite,
      nan: b.nan,
      posInf: b.pos_inf,
      negInf: b.neg_inf,
      firstNonFinite: b.first_non_finite === undefined ? -1 : b.first_non_finite,
    })),
  };
}

/** Whether this machine stores numbers little-endian, as the binary answer does. */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Every training entry of a run in [from, to) (GET
 * api/v1/runs/{run}/training?from=&to=), for a zoomed range that holds
 * fewer entries than the plot has pixels: {iterations, loss, time} as
 * typed arrays when the server answers in the binary form, else arrays.
 */
export async function trainingRange(run, { from, to }, signal) {
  const resp = await request(runPath(run) + '/training', { from, to }, signal, `${trainingBinary}, ${trainingColumns};q=0.9, application/json;q=0.5`);
  if ((resp.headers.get('Content-Type') || '').startsWith(trainingBinary)) {
    const buf = await resp.arrayBuffer();
    const view = new DataView(buf);
    const magic = String.fromCharCode(...new Uint8Array(buf, 0, Math.min(4, buf.byteLength)));
    if (buf.byteLength < 16 || magic !== 'SSTF' || view.getUint32(4, true) !== 1) throw new ApiError(resp.status, 'bad_answer', 'the binary training answer has no SSTF version 1 header');
    const n = Number(view.getBigUint64(8, true));
    if (buf.byteLength !== 16 + 24 * n) throw new ApiError(resp.status, 'bad_answer', `the binary training answer of ${n} entries holds ${buf.byteLength - 16} bytes, want ${24 * n}`);
    const col = (k) => {
      if (littleEndian) return new Float64Array(buf, 16 + 8 * n * k, n);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(16 + 8 * (n * k + i), true);
      return out;
    };
    return { iterations: col(0), loss: col(1), time: col(2) };
  }
  return entriesOf(await resp.json());
}

/** The entries of a JSON training answer, columns or rows: {iterations, loss, time}. */
function entriesOf(body) {
  if (Array.isArray(body.iteration)) return { iterations: body.iteration, loss: body.loss.map(num), time: body.time.map(num) };
  const entries = body.iteration_stats || []; // a server older than the columns
  const n = entries.length;
  const iterations = new Array(n);
  const loss = new Array(n);
  const time = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    iterations[i] = e.iteration;
    loss[i] = num(e.loss);
    time[i] = num(e.time);
  }
  return { iterations, loss, time };
}

/**
 * The non-finite losses of a subsample's range (the API's non_finite):
 * {nan, posInf, negInf, checked, complete, spans: [{from, to, loss, count}]}
 * with loss NaN, Infinity or -Infinity; empty when the server sent none.
 */
function nonFiniteOf(nf) {
  if (!nf) return { nan: 0, posInf: 0, negInf: 0, checked: 0, complete: false, spans: [] };
  return {
    nan: nf.nan || 0,
    posInf: nf.pos_inf || 0,
    negInf: nf.neg_inf || 0,
    checked: nf.checked || 0,
    complete: nf.complete === true,
    spans: (nf.spans || []).map((s) => ({ from: s.from, to: s.to, loss: num(s.loss), count: s.count })),
  };
}

/** The last training entry of a run, or null. */
export async function lastTraining(run, signal) {
  const s = await trainingSample(run, { maxPoints: 2 }, signal);
  const n = s.iterations.length;
  return n ? { iteration: s.iterations[n - 1], loss: s.loss[n - 1], time: s.time[n - 1] } : null;
}

/**
 * A run's validation scores with their metadata:
 * {datasets, parameters: [{id, name, values}], criteria: [{name, higher_is_better, bounds, store_best}],
 *  scores: [{iteration, scores: [dataset][parameter set][criterion], superseded}]} with numbers
 * decoded; superseded is true for a checkpoint whose weights a resumed training overwrote.
 */
export async function validation(run, signal) {
  const body = await getJSON(runPath(run) + '/validation', null, signal);
  return decodeValidation(body);
}

/** Decodes the numbers of a validation answer or event in place. */
export function decodeValidation(body) {
  body.datasets = body.datasets || [];
  body.parameters = (body.parameters || []).map((p) => ({ ...p, name: parameterName(p) }));
  body.criteria = body.criteria || [];
  body.scores = (body.scores || []).map((e) => ({
    iteration: e.iteration,
    scores: e.scores.map((d) => d.map((p) => p.map(num))),
    superseded: e.superseded === true,
  }));
  return body;
}

/** The display name of a parameter set (DaCapo's str(): "threshold_0.5"). */
function parameterName(p) {
  if (p.name) return p.name;
  const vals = Object.entries(p.values || {});
  if (vals.length === 0) return 'parameters_' + p.id;
  return vals.map(([k, v]) => k + '_' + (Array.isArray(v) ? v.join('_') : v)).join('_');
}

/**
 * A run's best report: [{dataset, mean_over_datasets, criterion, higher_is_better, iteration,
 * parameter_id, parameters, value}] (dataset null on the mean-over-datasets lines; iteration,
 * parameter_id and parameters null and value NaN when every value is NaN), or null when the run
 * has no validation scores or its report is refused (a criterion of unknown direction).
 * Superseded checkpoints are left out unless includeSuperseded.
 */
export async function best(run, signal, { includeSuperseded = false } = {}) {
  const r = await bestReport(run, { includeSuperseded }, signal);
  return r && r.lines;
}

/**
 * A run's best report as best() reads it, with how many superseded
 * checkpoints the server left out of it: {lines, supersededLeftOut}, or null
 * when the run has no validation scores. When the server refuses the report
 * because the direction of a criterion is unknown (409 unknown_direction:
 * DaCapo data served without a preset), lines is null and refused holds the
 * server's message, which says how to name the criteria.
 */
export async function bestReport(run, { includeSuperseded = false } = {}, signal) {
  let resp;
  try {
    resp = await request(runPath(run) + '/best', includeSuperseded ? { include_superseded: 'true' } : null, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    if (err instanceof ApiError && err.code === 'unknown_direction') return { lines: null, refused: err.message, supersededLeftOut: 0 };
    throw err;
  }
  const lines = await resp.json();
  const leftOut = Number.parseInt(resp.headers.get('Statstore-Superseded-Left-Out') || '0', 10);
  return {
    lines: lines.map((l) => ({ ...l, value: num(l.value) })),
    supersededLeftOut: Number.isFinite(leftOut) ? leftOut : 0,
  };
}

/**
 * Follows a run's server-sent events: handlers.training(data), .validation(data), .delete(data)
 * and .state('live' | 'connecting' | 'closed'). A validation event's entries (action "merge")
 * are the checkpoints a write inserted or replaced: apply them with mergeValidation
 * (validation.js), each replacing the entry of its iteration. Returns a function that stops
 * following.
 */
export function follow(run, handlers) {
  const url = apiURL(runPath(run) + '/events', { access_token: token() || undefined });
  const es = new EventSource(url);
  const state = (s) => handlers.state && handlers.state(s);
  state('connecting');
  es.onopen = () => state('live');
  es.onerror = () => state(es.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
  for (const kind of ['training', 'validation', 'delete']) {
    es.addEventListener(kind, (ev) => {
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return; // not JSON: ignore rather than break the page
      }
      if (handlers[kind]) handlers[kind](data);
    });
  }
  // The server ends a stream whose client fell behind: reload what is shown.
  es.addEventListener('overflow', () => handlers.overflow && handlers.overflow());
  return () => {
    es.close();
    state('closed');
  };
}

/** Decodes the named non-finite-capable numbers of obj in place. */
function decodeNums(obj, keys) {
  for (const k of keys) obj[k] = num(obj[k]);
  return obj;
}

/**
 * A run's retention plan (statstore keep --json): {run, criteria, all_criteria,
 * superseded_left_out, kept, prunable, checkpoints: [{iteration, keep, reasons: [{kind, text, ...}]}]}.
 */
export async function keepPlan(run, { top = 1, last = 1, includeSuperseded = false } = {}, signal) {
  return getJSON(runPath(run) + '/keep', { top, last, include_superseded: includeSuperseded ? 'true' : '' }, signal);
}

/**
 * The checkpoint × parameter-set grid of a criterion on a dataset (statstore grid --json), numbers
 * decoded: {iterations, parameters, axis, axis_values, values, best, best_changes, steps,
 * best_change_rate, fixed, regret, max_regret, mean_regret, epsilon, width, higher_is_better}.
 */
export async function grid(run, { dataset, criterion, includeSuperseded = false }, signal) {
  const g = await getJSON(runPath(run) + '/grid', { dataset, criterion, include_superseded: includeSuperseded ? 'true' : '' }, signal);
  g.values = g.values.map((row) => row.map(num));
  g.regret = g.regret.map(num);
  return decodeNums(g, ['best_change_rate', 'max_regret', 'mean_regret', 'epsilon']);
}

/**
 * One choice by a criterion on a dataset (statstore best --select-on --json), numbers decoded:
 * {dataset, criterion, held_out, iteration, parameters, value, lines: [{dataset, criterion,
 * held_out, value, best, gap}]}.
 */
export async function selection(run, { dataset, criterion, heldOut = [], includeSuperseded = false }, signal) {
  const s = await getJSON(runPath(run) + '/select', {
    dataset, criterion, held_out: heldOut.join(','), include_superseded: includeSuperseded ? 'true' : '',
  }, signal);
  decodeNums(s, ['value']);
  for (const l of s.lines) {
    decodeNums(l, ['value', 'gap']);
    l.best.value = num(l.best.value);
  }
  return s;
}

/** Every run's health report (statstore check --json): [{run, status, findings: [{kind, severity, iteration, message}]}]. */
export async function health(signal) {
  return getJSON('api/v1/check', null, signal);
}

async function postJSON(path, body, signal) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const resp = await fetch(apiURL(path), { method: 'POST', headers, body: JSON.stringify(body), signal, cache: 'no-store' });
  if (!resp.ok) throw await apiError(resp, signal);
  return resp.json();
}

/** The ApiError of a refused answer (the API's error shape, or its status line). */
async function apiError(resp, signal) {
  let code = 'http_' + resp.status;
  let message = resp.status + ' ' + resp.statusText;
  try {
    const body = await resp.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not the API's error shape: keep the status line
  }
  if (signal && signal.aborted) return new DOMException('the view was left', 'AbortError');
  return new ApiError(resp.status, code, message);
}

/** The most runs one compare request takes (the server's limit). */
export const maxCompareRuns = 100;

/**
 * One criterion's validation series of many runs in one request (POST
 * api/v1/compare/validation): {criterion, dataset, criteria, datasets,
 * runs: [{run, iteration, value, superseded, superseded_count, best}]},
 * numbers decoded. dataset '' is the mean over datasets.
 */
export async function compareValidation(runs, { criterion = '', dataset = '', includeSuperseded = false }, signal) {
  const got = await postJSON('api/v1/compare/validation', { runs, criterion, dataset, include_superseded: includeSuperseded }, signal);
  for (const r of got.runs) {
    r.value = r.value.map(num);
    if (r.best) r.best.value = num(r.best.value);
  }
  return got;
}

/**
 * A page of runs (GET api/v1/runs with filter, sort, limit, offset and
 * best=1; docs/api.md): {paged: true, runs: [summary...], total, offset,
 * limit}. A server without summaries answers every run as a plain list:
 * then {paged: false, runs: [...]} and the caller filters and sorts itself.
 */
export async function runsPage({ filter = '', sort = '', limit = 200, offset = 0 }, signal) {
  const body = await getJSON('api/v1/runs', { filter, sort, limit, offset, best: 1 }, signal);
  const runs = body.runs || [];
  if (typeof body.total !== 'number') return { paged: false, runs };
  for (const r of runs) {
    r.last_loss = num(r.last_loss);
    r.min_loss = num(r.min_loss);
    for (const b of r.best || []) b.value = num(b.value);
  }
  return { paged: true, runs, total: body.total, offset: body.offset || 0, limit: body.limit || limit };
}

/**
 * The leaderboard (GET api/v1/leaderboard; docs/api.md): {datasets,
 * criteria, boards: [{dataset, criterion, direction, rows: [{group, runs,
 * count, mean, std, min, max, best_run, best_iteration, best_parameters}]}]},
 * numbers decoded.
 */
export async function leaderboard({ dataset = '', criterion = '', groupBy = '', filter = '' }, signal) {
  const body = await getJSON('api/v1/leaderboard', { dataset, criterion, group_by: groupBy, filter }, signal);
  for (const b of body.boards || []) {
    for (const r of b.rows || []) for (const k of ['mean', 'std', 'min', 'max']) r[k] = num(r[k]);
  }
  return body;
}
