// The compare view: the loss of several runs on one chart, and one
// criterion of their validation scores on another. Superseded checkpoints
// (SPEC §2) are left out of the chart and the best values unless "include
// superseded" is on; then they are hollow grey points off the lines.

import { best, lastTraining, listRuns, validation } from '../api.js';
import { LineChart, categorical } from '../charts.js';
import { compareHref, fmtInt, fmtNum, h, runHref } from '../format.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { bestSeries, countSuperseded, criterionIndex, iterations, shownScores, supersededNote } from '../validation.js';
import { watch } from '../feed.js';
import { criterionLabel, lossCard, supersededToggle, throttle } from './common.js';

export function renderCompare(main, route, ctx) {
  const runs = [...new Set(route.runs)];
  ctx.setCrumbs([{ text: 'Runs', href: '#/' }, { text: 'Compare' }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  const scores = new Map(); // run → validation answer
  const bests = new Map(); // run → best report lines or null
  const lasts = new Map(); // run → last training entry or null
  let dataset = route.params.get('dataset') || ''; // '' = mean over datasets
  let critChart = null;
  const report = (err) => {
    if (err.name !== 'AbortError') ctx.showError(err);
  };

  // Header: the runs compared, and a picker to add one.
  const addSelect = h('select', {
    id: 'add-run',
    'aria-label': 'Add a run',
    onchange: () => {
      if (addSelect.value) location.hash = compareHref([...runs, addSelect.value]);
    },
  }, h('option', { value: '' }, 'Add a run…'));
  const chips = runs.map((r, i) => h('span', { class: 'chip', style: `--run-color: ${categorical(i)}` },
    h('span', { class: 'swatch' }),
    h('a', { href: runHref(r) }, r),
    h('a', { class: 'remove', href: compareHref(runs.filter((x) => x !== r)), title: 'Remove ' + r, 'aria-label': 'Remove ' + r }, '×'),
  ));
  main.append(h('section', { class: 'card' },
    h('div', { class: 'toolbar' }, h('h1', null, 'Compare runs'), h('span', { class: 'grow' }), addSelect),
    h('div', { class: 'chips', id: 'compare-runs' }, chips.length ? chips : h('span', { class: 'muted' }, 'No runs chosen: add some, or select them in the runs list.')),
  ));
  listRuns(abort.signal).then((all) => {
    for (const r of all) if (!runs.includes(r.run)) addSelect.append(h('option', { value: r.run }, r.run));
  }).catch(report);
  if (runs.length === 0) return () => abort.abort();

  // Loss of every run.
  const { el: lossSection, loss } = lossCard(runs, prefs, {
    savePrefs: (changes) => (prefs = savePrefs(changes)),
    onError: ctx.showError,
  });
  main.append(lossSection);

  // One criterion of every run.
  const criterionSelect = h('select', {
    id: 'criterion',
    'aria-label': 'Criterion',
    onchange: () => {
      prefs = savePrefs({ criterion: criterionSelect.value });
      drawCriterion();
    },
  });
  const datasetSelect = h('select', {
    id: 'dataset',
    'aria-label': 'Dataset',
    onchange: () => {
      dataset = datasetSelect.value;
      drawCriterion();
    },
  });
  const superseded = supersededToggle(prefs, (include) => {
    prefs = savePrefs({ includeSuperseded: include });
    loadBests().then(drawCriterion).catch(report);
  });
  const critEl = h('div', { class: 'chart', id: 'criterion-chart' });
  const critTitle = h('span', { class: 'muted small' });
  const summary = h('div', { class: 'table-wrap' });
  main.append(h('section', { class: 'card' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Validation'),
      superseded.note,
      h('div', { class: 'controls' },
        h('label', { class: 'field' }, 'Criterion ', criterionSelect),
        h('label', { class: 'field' }, 'Dataset ', datasetSelect),
        superseded.toggle,
      ),
    ),
    critEl,
    h('div', { class: 'chart-foot' }, critTitle, superseded.legend),
    summary,
  ));

  /** Criteria (name → criterion) and datasets over every run, in first-seen order. */
  function union() {
    const crits = new Map();
    const datasets = new Set();
    for (const r of runs) {
      const v = scores.get(r);
      if (!v) continue;
      for (const c of v.criteria) if (!crits.has(c.name)) crits.set(c.name, c);
      for (const d of v.datasets) datasets.add(d);
    }
    return { crits, datasets: [...datasets] };
  }

  function drawCriterion() {
    if (critChart) {
      critChart.destroy();
      critChart = null;
    }
    const include = prefs.includeSuperseded;
    superseded.update(runs.reduce((n, r) => n + (scores.get(r) ? countSuperseded(scores.get(r)) : 0), 0), include);
    const { crits, datasets } = union();
    if (crits.size === 0) {
      critEl.replaceChildren(h('p', { class: 'empty' }, 'None of these runs has validation scores yet.'));
      critEl.dataset.state = 'empty';
      drawSummary('');
      return;
    }
    const name = crits.has(prefs.criterion) ? prefs.criterion : crits.keys().next().value;
    const crit = crits.get(name);
    if (dataset && !datasets.includes(dataset)) dataset = '';
    criterionSelect.replaceChildren(...[...crits.values()].map((c) => h('option', { value: c.name, selected: c.name === name }, criterionLabel(c))));
    datasetSelect.replaceChildren(
      h('option', { value: '' }, 'mean over datasets'),
      ...datasets.map((d) => h('option', { value: d, selected: d === dataset }, d)),
    );
    critTitle.textContent = `${criterionLabel(crit)}: at each checkpoint, the best parameter set's score ${dataset ? 'on ' + dataset : 'averaged over datasets'}`;
    const tables = [];
    const series = [];
    const hollow = []; // superseded checkpoints, when included
    runs.forEach((r, i) => {
      const v = scores.get(r) && shownScores(scores.get(r), include);
      const c = v ? criterionIndex(v, name) : -1;
      const d = v && dataset ? v.datasets.indexOf(dataset) : -1;
      if (c < 0 || (dataset && d < 0) || v.scores.length === 0) return;
      const xs = iterations(v);
      tables.push([xs, bestSeries(v, c, d).map((x, k) => {
        if (v.scores[k].superseded) {
          hollow.push({ x: xs[k], y: x });
          return null;
        }
        return Number.isFinite(x) ? x : null;
      })]);
      series.push({ label: r, color: categorical(i) });
    });
    if (tables.length === 0) {
      critEl.replaceChildren(h('p', { class: 'empty' }, `No run here has ${name}${dataset ? ' on ' + dataset : ''}.`));
      critEl.dataset.state = 'empty';
    } else {
      const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
      critChart = new LineChart(critEl, { data, series, yLabel: name, height: 300, hollow });
    }
    drawSummary(name);
  }

  function drawSummary(name) {
    const rows = runs.map((r, i) => {
      const last = lasts.get(r);
      const lines = bests.get(r);
      const l = lines && lines.find((x) => x.criterion === name && (dataset ? x.dataset === dataset : x.mean_over_datasets));
      const v = scores.get(r);
      const old = l && l.iteration !== null && v && v.scores.some((e) => e.superseded && e.iteration === l.iteration);
      return h('tr', { dataset: { run: r, iteration: l && l.iteration !== null ? String(l.iteration) : '' } },
        h('td', { class: 'name' }, h('span', { class: 'swatch', style: `--run-color: ${categorical(i)}` }), h('a', { href: runHref(r) }, r)),
        h('td', { class: 'num' }, last ? fmtInt(last.iteration + 1) : '—'),
        h('td', { class: 'num' }, last ? fmtNum(last.loss) : '—'),
        h('td', { class: 'num strong' }, l ? fmtNum(l.value) : '—'),
        h('td', { class: 'muted small' + (old ? ' superseded' : ''), title: old ? supersededNote : undefined },
          l && l.iteration !== null ? `${fmtInt(l.iteration)} · ${l.parameters}` : '',
          old ? h('span', { class: 'badge superseded-badge' }, 'superseded') : null),
      );
    });
    summary.replaceChildren(h('table', { class: 'runs', id: 'compare-table' },
      h('thead', null, h('tr', null,
        h('th', null, 'Run'), h('th', { class: 'num' }, 'Trained until'), h('th', { class: 'num' }, 'Last loss'),
        h('th', { class: 'num' }, name ? `Best ${name}` : 'Best'), h('th', null, 'at checkpoint'),
      )),
      h('tbody', null, rows),
    ));
  }

  /** Fetches the runs' best reports, with or without superseded checkpoints as chosen. */
  async function loadBests() {
    const include = prefs.includeSuperseded;
    const got = await Promise.all(runs.map((r) => best(r, abort.signal, { includeSuperseded: include })));
    if (include !== prefs.includeSuperseded) return; // toggled meanwhile: a newer load follows
    runs.forEach((r, i) => bests.set(r, got[i]));
  }

  function load() {
    loss.load();
    Promise.all([
      loadBests(),
      ...runs.map(async (r) => {
        const [v, last] = await Promise.all([validation(r, abort.signal), lastTraining(r, abort.signal)]);
        scores.set(r, v);
        lasts.set(r, last);
      }),
    ]).then(drawCriterion).catch(report);
  }
  load();
  // Live: a change of a compared run re-reads the charts (at most once a second).
  const reload = throttle(load, 1000);
  const unwatch = watch({ runs, onEvent: reload, onResync: reload });

  return () => {
    unwatch();
    reload.cancel();
    abort.abort();
    loss.destroy();
    if (critChart) critChart.destroy();
  };
}
