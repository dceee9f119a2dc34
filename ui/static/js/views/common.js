// Controls and helpers shared by the run and compare views.

import { h } from '../format.js';

/**
 * The loss chart's controls: smoothing slider, log scale, spikes (min/max
 * subsample) and a reset-zoom button. onChange(prefs) gets the new values.
 */
export function lossControls(prefs, { onChange, onResetZoom }) {
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
