// Controls and helpers shared by the run and compare views.

import { LossChart } from '../charts.js';
import { h } from '../format.js';

/**
 * The loss card of the run and compare views: the loss chart of runs with
 * its controls and status line. savePrefs(changes) stores changed
 * preferences and returns them all. Returns the card's element and the
 * chart (to load and destroy).
 */
export function lossCard(runs, prefs, { savePrefs, onError }) {
  const chartEl = h('div', { class: 'chart', id: 'loss-chart' });
  const status = h('span', { class: 'muted small', id: 'loss-status' });
  const controls = lossControls(prefs, {
    onChange: (changes) => loss.setPrefs(savePrefs(changes)),
    onResetZoom: () => loss.resetZoom(),
  });
  const loss = new LossChart(chartEl, {
    runs,
    prefs,
    onStatus: (text) => {
      status.textContent = text;
      controls.reset.hidden = !loss.zoomed;
    },
    onError,
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
 * subsample) and a reset-zoom button. onChange(prefs) gets the new values.
 */
function lossControls(prefs, { onChange, onResetZoom }) {
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
    h('label', { class: 'field', title: 'Keep the lowest and highest loss of each stretch, so spikes stay visible' }, spikes, ' Keep spikes'),
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
  return `${c.name} ${c.higher_is_better ? '↑' : '↓'}`;
}
