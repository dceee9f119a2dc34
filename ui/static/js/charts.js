// Charts on uPlot (the global uPlot of vendor/uPlot.iife.min.js): a loss
// chart that fetches a plot-sized subsample of each run and a new one for
// the zoomed range, and plain line charts for validation scores.

import { trainingSample } from './api.js';
import { smoothEMA } from './smooth.js';
import { fmtCompact, fmtInt, fmtNum, h } from './format.js';

/** Colours of runs and datasets (categorical). */
export const palette = ['#2f6fb0', '#e07b28', '#3a9b5a', '#c8434b', '#7d5ba6', '#8c6d3f', '#d46fb0', '#5f6b78', '#b5a51f', '#1fa5b5'];

/**
 * The colour of item i of a categorical list: the palette, then (for the
 * many runs of a compare) hues a golden angle apart, so that neighbours
 * differ.
 */
export function categorical(i) {
  if (i < palette.length) return palette[i];
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue}, ${55 + (i % 3) * 10}%, ${38 + (i % 4) * 6}%)`;
}

// Viridis, cut before its palest yellow: ordered things (thresholds).
const viridis = [[68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43]];

/** n colours along a sequential ramp, for ordered items like thresholds. */
export function sequential(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0.35 : (i / (n - 1)) * (viridis.length - 1);
    const k = Math.min(Math.floor(t), viridis.length - 2);
    const f = t - k;
    const c = viridis[k].map((v, j) => Math.round(v + f * (viridis[k + 1][j] - v)));
    out.push(`rgb(${c[0]},${c[1]},${c[2]})`);
  }
  return out;
}

/** A colour with alpha: '#2f6fb0' or 'rgb(…)' at opacity a. */
export function fade(color, a) {
  if (color.startsWith('#')) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
  }
  return color.replace('rgb(', 'rgba(').replace(')', `,${a})`);
}

/** Values for uPlot: non-finite values (and, on a log scale, values ≤ 0) become gaps. */
export function plotValues(values, log) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) && !(log && v <= 0) ? v : null;
  }
  return out;
}

const axisStyle = {
  stroke: '#5b6470',
  font: '12px system-ui, -apple-system, "Segoe UI", sans-serif',
  labelFont: '600 12px system-ui, -apple-system, "Segoe UI", sans-serif',
  grid: { stroke: '#eceff3', width: 1 },
  ticks: { stroke: '#dfe3e8', width: 1, size: 4 },
};

/** Options shared by every chart: iteration on x, values on y. */
function baseOptions({ width, height, yLabel, log, series }) {
  return {
    width,
    height,
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
    axes: [
      { ...axisStyle, label: 'iteration', values: (u, ticks) => ticks.map(fmtCompact) },
      { ...axisStyle, label: yLabel, size: 64, values: (u, ticks) => ticks.map(fmtNum) },
    ],
    series: [{ label: 'iteration', value: (u, v) => fmtInt(v) }, ...series],
    legend: { live: true, markers: { width: 0, fill: (u, i) => seriesColor(u, i) } },
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
  };
}

/** The line colour of series i, for its legend marker. */
function seriesColor(u, i) {
  const st = u.series[i].stroke;
  return typeof st === 'function' ? st(u, i) : st;
}

/** Keeps a chart as wide as its container. Returns a function that stops. */
function fitWidth(el, u, height) {
  const ro = new ResizeObserver(() => {
    const w = el.clientWidth;
    if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
  });
  ro.observe(el);
  return () => ro.disconnect();
}

/** Hides the legend entries of the series for which hide(i) is true (i ≥ 1). */
function hideLegendEntries(u, hide) {
  const rows = u.root.querySelectorAll('.u-legend .u-series');
  rows.forEach((row, i) => {
    if (i > 0 && hide(i)) row.classList.add('legend-hidden');
  });
}

/** The colour of superseded checkpoints' points. */
export const supersededColor = '#9aa3ad';

/**
 * LineChart draws series that are small enough to hold whole (validation
 * scores): drag to zoom, double-click to reset. data is uPlot's
 * [xs, ys1, ys2, …]; series [{label, color, width, dash}]; marker, when
 * given, {x, y, color} draws a ring (the best checkpoint); hollow, when
 * given, [{x, y}] draws hollow grey points off the lines (superseded
 * checkpoints: their values are left out of data). The container's
 * data-points is the number of x values, data-superseded the number of
 * hollow points.
 */
export class LineChart {
  constructor(el, { data, series, yLabel, log = false, height = 260, marker = null, hollow = [] }) {
    this.el = el;
    el.replaceChildren();
    const width = Math.max(el.clientWidth, 200);
    const opts = baseOptions({
      width,
      height,
      yLabel,
      log,
      series: series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.6,
        dash: s.dash,
        spanGaps: false,
        points: { show: data[0].length < 60, size: 4, fill: s.color },
        value: (u, v) => (v === null || v === undefined ? '—' : fmtNum(v)),
      })),
    });
    const draw = [];
    if (hollow.length) {
      draw.push((u) => drawHollow(u, hollow));
      // The y range covers the hollow points too, though they are not in data.
      const ys = hollow.map((p) => p.y).filter(Number.isFinite);
      if (ys.length && !log) {
        opts.scales.y = {
          range: (u, lo, hi) => uPlot.rangeNum(Math.min(lo ?? Infinity, ...ys), Math.max(hi ?? -Infinity, ...ys), 0.1, true),
        };
      }
    }
    if (marker) draw.push((u) => drawMarker(u, marker));
    if (draw.length) opts.hooks = { draw };
    this.u = new uPlot(opts, data, el);
    this.stopFit = fitWidth(el, this.u, height);
    el.dataset.state = 'ready';
    el.dataset.points = String(data[0].length);
    el.dataset.superseded = String(hollow.length);
  }

  destroy() {
    this.stopFit();
    this.u.destroy();
  }
}

/** Draws hollow grey points at [{x, y}] (non-finite ones skipped). */
function drawHollow(u, points) {
  const { ctx } = u;
  const r = 3.5 * devicePixelRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left - 2 * r, u.bbox.top - 2 * r, u.bbox.width + 4 * r, u.bbox.height + 4 * r); // points at the edges stay whole
  ctx.clip();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.strokeStyle = supersededColor;
  ctx.fillStyle = '#fff';
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const x = u.valToPos(p.x, 'x', true);
    const y = u.valToPos(p.y, 'y', true);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

/** Draws a ring around the point (m.x, m.y). */
function drawMarker(u, m) {
  if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) return;
  const x = u.valToPos(m.x, 'x', true);
  const y = u.valToPos(m.y, 'y', true);
  const { ctx } = u;
  const r = 7 * devicePixelRatio;
  ctx.save();
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.strokeStyle = m.color || '#d1495b';
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

/** Colours of the non-finite flags: NaN, and ±Inf. */
export const flagColors = { nan: '#d1495b', inf: '#7d5ba6' };

/** The kind of a non-finite loss: 'nan', 'posinf' or 'neginf'. */
function flagKind(v) {
  if (Number.isNaN(v)) return 'nan';
  return v > 0 ? 'posinf' : 'neginf';
}

/**
 * What a flag says: "NaN loss at iterations 4,500–4,999 (500 entries)";
 * a flag of buckets whose other entries are not all of its kind says where
 * they are: "NaN loss at iteration 1,200 (3 entries in iterations 1,200–1,203)".
 */
function flagTitle(m) {
  const what = { nan: 'NaN', posinf: '+Inf', neginf: '−Inf' }[flagKind(m.loss)];
  const at = m.from === m.to ? `iteration ${fmtInt(m.from)}` : `iterations ${fmtInt(m.from)}–${fmtInt(m.to)}`;
  let n = m.count === 1 ? '1 entry' : `${fmtInt(m.count)} entries`;
  if (m.count > 1 && m.lo !== undefined && (m.lo < m.from || m.hi > m.to)) n += ` in iterations ${fmtInt(m.lo)}–${fmtInt(m.hi)}`;
  return `${m.run ? m.run + ': ' : ''}${what} loss at ${at} (${n})`;
}

/**
 * Places the flags of non-finite losses on the chart, as TensorBoard flags
 * them: NaN and +Inf as a marker at the top of the plot, −Inf at the
 * bottom, spanning the iterations they cover, coloured by kind, with the
 * iterations and count as tooltip. They are elements over the canvas
 * (.nf-flag, data-kind, data-from, data-to, data-count), placed again on
 * every redraw.
 */
function placeFlags(u, markers) {
  let layer = u.over.querySelector('.nf-layer');
  if (!layer) {
    layer = h('div', { class: 'nf-layer' });
    u.over.append(layer);
  }
  const width = u.over.clientWidth;
  const els = [];
  for (const m of markers) {
    const x0 = u.valToPos(m.from, 'x');
    const x1 = u.valToPos(m.to, 'x');
    if (!Number.isFinite(x0) || !Number.isFinite(x1) || x1 < -4 || x0 > width + 4) continue;
    const kind = flagKind(m.loss);
    const left = Math.max(x0, 0);
    const right = Math.min(x1, width);
    const el = h('div', {
      class: `nf-flag nf-${kind} ${kind === 'neginf' ? 'nf-bottom' : 'nf-top'}`,
      title: flagTitle(m),
      'aria-label': flagTitle(m),
      dataset: { kind, from: String(m.from), to: String(m.to), count: String(m.count), run: m.run },
    });
    el.style.left = `${left - 5}px`;
    el.style.width = `${Math.max(right - left, 0) + 10}px`;
    el.style.color = kind === 'nan' ? flagColors.nan : flagColors.inf;
    els.push(el);
  }
  layer.replaceChildren(...els);
}

/** The footer's words on the non-finite losses of the shown range. */
function flagsStatus(f) {
  if (!f) return '';
  const parts = [];
  if (f.nan) parts.push(`${fmtInt(f.nan)} NaN`);
  if (f.posInf) parts.push(`${fmtInt(f.posInf)} +Inf`);
  if (f.negInf) parts.push(`${fmtInt(f.negInf)} −Inf`);
  let out = '';
  if (parts.length) out = `; flagged ${parts.join(', ')} loss${f.nan + f.posInf + f.negInf === 1 ? '' : 'es'} (NaN and +Inf at the top, −Inf at the bottom)`;
  if (!f.complete) out += '; non-finite losses checked at the drawn points only: tick Keep spikes or zoom in to find them all';
  return out;
}

/** The number of points to ask for: about one per CSS pixel of the chart. */
export function pointsFor(width) {
  return Math.max(200, Math.min(4000, Math.round(width)));
}

/** The number of buckets to ask for: one per CSS pixel column of the plot area. */
export function bucketsFor(width) {
  return Math.max(50, Math.min(8000, Math.round(width)));
}

/** How long a zoom waits for the next before it fetches its range (ms). */
const zoomDelay = 120;

/**
 * LossChart draws the loss of one or more runs against the iteration. It
 * never fetches a whole history: it asks the API for at most maxPoints
 * entries of each run, and after a zoom (drag across the chart) for a new
 * subsample of the zoomed range; a double-click goes back to the whole run.
 * Smoothing (TensorBoard's EMA) is applied to the displayed series; with
 * smoothing on, the raw series is drawn faintly behind.
 *
 * With tail (BucketFetcher's, m4.js), the samples are M4 buckets, one per
 * pixel column of the plot, and appended() brings the whole-run view up to
 * date by reading from its last bucket on; a zoom waits zoomDelay for the
 * next before it fetches, and a newer fetch aborts an older one.
 *
 * The container's data attributes tell tests and users what is shown:
 * data-state (loading, ready, empty, error), data-points (points drawn, all
 * runs), data-max-points (asked per run: points, or buckets), data-width
 * (the buckets' width in iterations, 1 for raw entries, empty for
 * subsamples), data-from and data-to (the zoomed range, empty for the whole
 * run). The element's lossChart property is this chart (its uPlot is .u).
 */
export class LossChart {
  constructor(el, { runs, prefs, height = 320, onStatus, onError, fetchSamples, onLoad, tail, buckets = false }) {
    this.el = el;
    el.lossChart = this;
    this.buckets = buckets || Boolean(tail); // samples are buckets: ask for one per pixel column, debounce zooms
    // tail(run, sample, signal) brings a whole-run sample up to date, or returns null.
    this.tail = tail || null;
    this.full = null; // run → the whole-run sample, kept while zoomed
    this.zoomTimer = null;
    this.runs = runs;
    // fetchSamples(runs, query, signal) returns the runs' samples; by
    // default one request per run (the compare view asks for all at once).
    this.fetchSamples = fetchSamples || ((rs, q, signal) => Promise.all(rs.map((r) => trainingSample(r, q, signal))));
    this.onLoad = onLoad || (() => {});
    this.prefs = { ...prefs };
    this.height = height;
    this.onStatus = onStatus || (() => {});
    this.onError = onError || (() => {});
    this.samples = new Map(); // run → sample of the loaded range
    this.range = null; // {from, to} of the zoom, null for the whole run
    this.want = null; // the range asked for last (shown once its fetch is done)
    this.u = null;
    this.seq = 0;
    this.abort = null;
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(el);
  }

  /** Fetches the subsample of the current range (or the range given) and draws it. */
  async load(range = this.range) {
    const { seq, signal } = this.begin();
    clearTimeout(this.zoomTimer);
    this.zoomTimer = null;
    this.want = range;
    const maxPoints = this.buckets ? bucketsFor(this.u ? this.u.over.clientWidth : (this.el.clientWidth || 880) - 80) : pointsFor(this.el.clientWidth || 800);
    this.el.dataset.state = this.u ? 'updating' : 'loading';
    try {
      const q = { maxPoints, mode: this.prefs.mode };
      if (range) Object.assign(q, range);
      const samples = await this.fetchSamples(this.runs, q, signal);
      if (seq !== this.seq) return; // a newer load replaced this one
      this.range = range;
      this.maxPoints = maxPoints;
      this.runs.forEach((r, i) => this.samples.set(r, samples[i]));
      if (!range) this.full = new Map(this.samples);
      this.draw(true);
      this.onLoad(this.samples, range);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.el.dataset.state = 'error';
      this.onError(err);
    }
  }

  /** Starts a fetch: aborts the one in flight; returns the new one's sequence number and signal. */
  begin() {
    const seq = ++this.seq;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    return { seq, signal: this.abort.signal };
  }

  /**
   * Training was appended to the runs: the whole-run view reads what
   * changed (with tail, from each run's last bucket on; else it all). A
   * zoomed view is left as it is; resetting the zoom brings it up to date.
   */
  async appended() {
    if (this.want) return;
    if (!this.tail || !this.full) {
      this.load(null);
      return;
    }
    const { seq, signal } = this.begin();
    try {
      const got = await Promise.all(this.runs.map((r) => this.tail(r, this.full.get(r), signal)));
      if (seq !== this.seq) return;
      if (got.some((s) => s === null)) {
        this.load(null);
        return;
      }
      this.runs.forEach((r, i) => this.samples.set(r, got[i]));
      this.full = new Map(this.samples);
      this.draw(false);
      this.onLoad(this.samples, null);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.el.dataset.state = 'error';
      this.onError(err);
    }
  }

  /** Changes smoothing, log scale or subsample mode. */
  setPrefs(prefs) {
    const old = this.prefs;
    this.prefs = { ...prefs };
    if (old.mode !== prefs.mode) {
      this.load();
    } else if (old.log !== prefs.log) {
      this.draw(true);
    } else if (old.smoothing !== prefs.smoothing) {
      this.draw(false);
    }
  }

  /** Whether the chart shows a zoomed range rather than whole runs. */
  get zoomed() {
    return this.range !== null;
  }

  /** Goes back to the whole runs: at once from the whole-run buckets kept, then what was appended meanwhile. */
  resetZoom() {
    if (!this.buckets || !this.full) {
      this.load(null);
      return;
    }
    this.begin(); // a zoom's fetch in flight is stale
    clearTimeout(this.zoomTimer);
    this.zoomTimer = null;
    this.range = null;
    this.want = null;
    this.samples = new Map(this.full);
    this.maxPoints = this.samples.get(this.runs[0])?.asked || this.maxPoints;
    this.draw(true);
    this.appended();
  }

  /**
   * Zooms to iterations [from, to) and fetches a subsample of them (with
   * tail: after zoomDelay without another zoom; the fetch in flight is
   * aborted at once).
   */
  zoom(from, to) {
    from = Math.max(0, Math.floor(from));
    to = Math.ceil(to) + 1;
    if (to - from < 2) return;
    if (this.u) this.u.setScale('x', { min: from, max: to - 1 }); // at once, on the old points
    if (!this.buckets) {
      this.load({ from, to });
      return;
    }
    this.begin();
    this.want = { from, to };
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => {
      this.zoomTimer = null;
      this.load({ from, to });
    }, zoomDelay);
  }

  /** The uPlot data and series of the loaded samples. */
  build() {
    const { smoothing, log } = this.prefs;
    const smooth = smoothing > 0;
    const multi = this.runs.length > 1;
    const tables = [];
    const series = [];
    let points = 0;
    const flags = { nan: 0, posInf: 0, negInf: 0, complete: true, markers: [] };
    this.runs.forEach((run, i) => {
      const s = this.samples.get(run) || { iterations: [], loss: [] };
      points += s.iterations.length;
      const nf = s.nonFinite;
      if (nf) {
        flags.nan += nf.nan;
        flags.posInf += nf.posInf;
        flags.negInf += nf.negInf;
        if (!nf.complete && s.iterations.length) flags.complete = false;
        for (const sp of nf.spans) flags.markers.push({ ...sp, run: multi ? run : '' });
      }
      const color = multi ? categorical(i) : '#2f6fb0';
      const name = multi ? run : 'loss';
      const table = [s.iterations, plotValues(s.loss, log)];
      series.push({
        label: smooth ? name + ' (raw)' : name,
        stroke: smooth ? fade(color, 0.28) : color,
        width: smooth ? 1 : 1.5,
        raw: smooth,
      });
      if (smooth) {
        table.push(plotValues(smoothEMA(s.loss, smoothing), log));
        series.push({ label: name, stroke: color, width: 2 });
      }
      tables.push(table);
    });
    let data;
    if (tables.length === 1) data = tables[0];
    else data = uPlot.join(tables);
    this.flags = flags;
    return { data, series, points };
  }

  /** Draws the loaded samples; recreate rebuilds the chart (scales changed). */
  draw(recreate) {
    const { data, series, points } = this.build();
    const el = this.el;
    el.dataset.points = String(points);
    el.dataset.runs = String(this.runs.length);
    el.dataset.maxPoints = String(this.maxPoints || '');
    const first = this.samples.get(this.runs[0]);
    el.dataset.width = first && first.width ? String(first.width) : '';
    el.dataset.from = this.range ? String(this.range.from) : '';
    el.dataset.to = this.range ? String(this.range.to) : '';
    el.dataset.scale = this.prefs.log ? 'log' : 'linear';
    el.dataset.smoothing = String(this.prefs.smoothing);
    if (data[0].length === 0) {
      this.destroyPlot();
      el.replaceChildren(h('p', { class: 'empty' }, 'No training stats stored for this run yet.'));
      el.dataset.state = 'empty';
      this.onStatus(this.status(points));
      return;
    }
    if (!this.u || recreate || this.u.series.length !== series.length + 1) {
      this.destroyPlot();
      el.replaceChildren();
      const opts = baseOptions({
        width: Math.max(el.clientWidth, 200),
        height: this.height,
        yLabel: this.prefs.log ? 'loss (log)' : 'loss',
        log: this.prefs.log,
        series: series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width,
          spanGaps: false,
          points: { show: false },
          value: (u, v) => (v === null || v === undefined ? '—' : fmtNum(v)),
        })),
      });
      // Zooming is ours: a drag selects a range that is fetched anew, a double-click resets.
      opts.cursor.drag.setScale = false;
      opts.cursor.bind = {
        dblclick: () => () => {
          if (this.zoomed || this.want) this.resetZoom();
          return null;
        },
      };
      opts.hooks = {
        draw: [(u) => placeFlags(u, this.flags.markers)],
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.zoom(from, to);
          },
        ],
      };
      this.u = new uPlot(opts, data, el);
      hideLegendEntries(this.u, (i) => this.runs.length > 1 && series[i - 1].raw);
    } else {
      this.u.setData(data, true);
    }
    el.dataset.state = 'ready';
    this.onStatus(this.status(points));
  }

  status(points) {
    const what = this.range ? `iterations ${fmtInt(this.range.from)}–${fmtInt(this.range.to - 1)}` : 'whole run';
    const s = this.samples.get(this.runs[0]);
    if (s && s.width && this.runs.length === 1) {
      const how = s.raw ? 'every entry' : `first, lowest, highest and last loss of ${fmtInt(s.buckets.length)} buckets of ${fmtInt(s.width)} iteration${s.width === 1 ? '' : 's'}`;
      return `${fmtInt(points)} points drawn (${what}: ${how})${flagsStatus(this.flags)}`;
    }
    if (s && s.width) return `${fmtInt(points)} points drawn (${what}: first, lowest, highest and last loss of at most ${fmtInt(this.maxPoints)} buckets per run)${flagsStatus(this.flags)}`;
    return `${fmtInt(points)} points drawn (${what}, at most ${fmtInt(this.maxPoints)} per run)${flagsStatus(this.flags)}`;
  }

  resize() {
    if (!this.u) return;
    const w = this.el.clientWidth;
    if (w > 0 && Math.abs(w - this.u.width) > 1) this.u.setSize({ width: w, height: this.height });
  }

  destroyPlot() {
    if (this.u) {
      this.u.destroy();
      this.u = null;
    }
  }

  destroy() {
    this.seq++;
    if (this.abort) this.abort.abort();
    clearTimeout(this.zoomTimer);
    this.ro.disconnect();
    this.destroyPlot();
  }
}
