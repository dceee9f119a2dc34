// Controls and helpers shared by the run and compare views.

import { LossChart } from '../charts.js';
import { BucketFetcher } from '../m4.js';
import { watch } from '../feed.js';
import { fmtInt, h } from '../format.js';
import { supersededNote } from '../validation.js';

/**
 * The loss card of the run and compare views: the loss chart of runs with
 * its controls and status line. savePrefs(changes) stores changed
 * preferences and returns them all; fetchSamples and onLoad go to the
 * LossChart. With buckets, the chart draws M4 buckets (m4.js), which keep
 * every spike, and the "Keep spikes" control is not offered; with
 * batchBuckets(runs, q, signal) (compareBuckets) too, all runs' buckets in
 * one request. Returns the
 * card's element and the chart (to load and destroy).
 */
export function lossCard(runs, prefs, { savePrefs, onError, fetchSamples, onLoad, buckets = false, batchBuckets }) {
  let tail;
  if (batchBuckets) buckets = true;
  if (buckets) {
    const fetcher = new BucketFetcher({ batch: batchBuckets });
    fetchSamples = (rs, q, signal) => fetcher.fetch(rs, q, signal);
    if (!batchBuckets) tail = (run, s, signal) => fetcher.tail(run, s, signal);
  }
  const chartEl = h('div', { class: 'chart', id: 'loss-chart' });
  const status = h('span', { class: 'muted small', id: 'loss-status' });
  const controls = lossControls(prefs, {
    onChange: (changes) => loss.setPrefs(savePrefs(changes)),
    onResetZoom: () => loss.resetZoom(),
    spikes: !buckets,
  });
  const loss = new LossChart(chartEl, {
    runs,
    prefs,
    onStatus: (text) => {
      status.textContent = text;
      controls.reset.hidden = !loss.zoomed;
    },
    onError,
    fetchSamples,
    onLoad,
    tail,
    buckets,
  });
  const el = h('section', { class: 'card' },
    h('div', { class: 'toolbar' }, h('h2', null, 'Loss'), controls.el),
    chartEl,
    h('div', { class: 'chart-foot' }, status, h('span', { class: 'muted small' }, 'Drag across the chart to zoom in, double-click to zoom out.')),
  );
  return { el, loss };
}

/**
 * The loss chart's controls: smoothing slider, log scale, spikes (min/max
 * subsample; left out when spikes is false) and a reset-zoom button.
 * onChange(prefs) gets the new values.
 */
function lossControls(prefs, { onChange, onResetZoom, spikes: withSpikes = true }) {
  const value = h('output', { class: 'slider-value', for: 'smoothing' }, prefs.smoothing.toFixed(2));
  const slider = h('input', {
    type: 'range',
    id: 'smoothing',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: String(prefs.smoothing),
    'aria-label': 'Smoothing',
    oninput: () => {
      value.textContent = Number(slider.value).toFixed(2);
      onChange({ smoothing: Number(slider.value) });
    },
  });
  const log = h('input', { type: 'checkbox', id: 'log-scale', checked: prefs.log, onchange: () => onChange({ log: log.checked }) });
  const spikes = h('input', {
    type: 'checkbox',
    id: 'spikes',
    checked: prefs.mode === 'minmax',
    onchange: () => onChange({ mode: spikes.checked ? 'minmax' : 'stride' }),
  });
  const reset = h('button', { type: 'button', id: 'reset-zoom', class: 'small', hidden: true, onclick: onResetZoom }, 'Reset zoom');
  const el = h('div', { class: 'controls' },
    h('label', { class: 'field', title: "Exponential moving average, as TensorBoard's smoothing" }, 'Smoothing ', slider, value),
    h('label', { class: 'field' }, log, ' Log scale'),
    withSpikes ? h('label', { class: 'field', title: 'Keep the lowest and highest loss of each stretch, so spikes stay visible' }, spikes, ' Keep spikes') : null,
    reset,
  );
  return { el, reset };
}

/** A function that calls fn at most once per ms milliseconds, trailing calls kept; .cancel() stops it. */
export function throttle(fn, ms) {
  let timer = null;
  let pending = false;
  const run = () => {
    if (timer) {
      pending = true;
      return;
    }
    fn();
    timer = setTimeout(() => {
      timer = null;
      if (pending) {
        pending = false;
        run();
      }
    }, ms);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = null;
    pending = false;
  };
  return run;
}

/** A criterion's name with its direction: "dice ↑". */
export function criterionLabel(c) {
  if (c.direction_unknown) return `${c.name} (direction unknown)`;
  return `${c.name} ${c.higher_is_better ? '↑' : '↓'}`;
}

/**
 * The "include superseded" control of the run and compare views: a checkbox
 * (#include-superseded, checked as prefs.includeSuperseded), a note saying
 * how many superseded checkpoints are left out (#superseded-note) and a
 * legend of the hollow points that draw them when included. onChange(include)
 * gets the new choice. update(n, include) shows them for n superseded
 * checkpoints: all three are hidden when there are none.
 */
export function supersededToggle(prefs, onChange) {
  const box = h('input', {
    type: 'checkbox',
    id: 'include-superseded',
    checked: prefs.includeSuperseded,
    onchange: () => onChange(box.checked),
  });
  const toggle = h('label', { class: 'field', title: 'Show superseded checkpoints (weights overwritten by a resumed training) in the plots and the best report', hidden: true }, box, ' Include superseded');
  const note = h('span', { class: 'superseded-note', id: 'superseded-note', title: supersededNote, hidden: true });
  const legend = h('div', { class: 'superseded-legend muted small', id: 'superseded-legend', hidden: true },
    h('span', { class: 'hollow-point', 'aria-hidden': 'true' }), supersededNote);
  return {
    toggle,
    note,
    legend,
    update(n, include) {
      box.checked = include;
      toggle.hidden = n === 0;
      note.hidden = n === 0;
      note.textContent = include ? `${fmtInt(n)} superseded included` : `${fmtInt(n)} superseded left out`;
      note.dataset.count = String(n);
      legend.hidden = n === 0 || !include;
    },
  };
}

/**
 * A function that calls fn(...args) once calls stop for ms milliseconds
 * (the last call's arguments); .cancel() drops a pending call.
 */
export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return run;
}

/**
 * Follows the store-wide change feed (feed.js's watch: GET
 * /api/v1/events) for a view: onEvent(event) gets each change
 * ({kind, run, from, to}; kind "resync" when the feed lost track and the
 * view should reload). runs, when given, limits it to those runs. Returns a function that stops following.
 */
export function followChanges({ runs } = {}, onEvent) {
  return watch({ runs, onEvent, onResync: () => onEvent({ kind: 'resync' }) });
}
