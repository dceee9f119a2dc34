// Number formatting and small DOM helpers shared by the views.

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 3 });

/** An iteration count with thousands separators: 1,000,000. */
export function fmtInt(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : intFmt.format(v);
}

/** An iteration for an axis: 1.25K, 250K, 1M (never rounded to a wrong tick: 1,250 is not 1.3K). */
export function fmtCompact(v) {
  return Number.isFinite(v) ? compactFmt.format(v) : '';
}

/** A loss or score with 4 significant digits; NaN and infinities by name. */
export function fmtNum(v) {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** Creates an element: h('td', {class: 'num'}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** The fragment link of a run's view. */
export function runHref(run) {
  return '#/run/' + encodeURIComponent(run);
}

/** The fragment link of the compare view of runs. */
export function compareHref(runs) {
  const q = new URLSearchParams();
  for (const r of runs) q.append('run', r);
  return '#/compare?' + q.toString();
}

/**
 * A parameter set ({id, name, values}) as a table shows it: its name when it
 * is short, else its values ("bias=0.5, context=32,32,32": a long class repr
 * never hides a threshold); title says both.
 */
export function parameterLabel(p, max = 28) {
  if (!p) return { text: '', title: '' };
  const vals = Object.entries(p.values || {}).map(([k, v]) => `${k}=${Array.isArray(v) ? '[' + v.join(', ') + ']' : v}`);
  const text = p.name.length > max && vals.length ? vals.join(', ') : p.name;
  return { text, title: vals.length ? `${p.name}: ${vals.join(', ')}` : p.name };
}
