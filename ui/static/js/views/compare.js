// The compare view: the loss of up to 100 runs on one chart, and one
// criterion of their validation scores on another. Each chart is one
// request for all the runs (POST api/v1/compare/training and
// /compare/validation), subsampled by the server. Superseded checkpoints
// (SPEC §2) are left out of the chart and the best values unless "include
// superseded" is on; then they are hollow grey points off the lines.

import { compareBuckets, compareValidation, maxCompareRuns, runsPage } from '../api.js';
import { LineChart, categorical } from '../charts.js';
import { compareHref, fmtInt, fmtNum, h, runHref } from '../format.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { supersededNote } from '../validation.js';
import { criterionLabel, debounce, followChanges, lossCard, supersededToggle } from './common.js';

const pickerMatches = 20; // runs the picker offers at once
const changeDelay = 1000; // ms: changes arriving together redraw once

export function renderCompare(main, route, ctx) {
  const asked = [...new Set(route.runs)];
  const runs = asked.slice(0, maxCompareRuns);
  ctx.setCrumbs([{ text: 'Runs', href: '#/' }, { text: 'Compare' }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  let dataset = route.params.get('dataset') || ''; // '' = mean over datasets
  let answer = null; // the validation compare answer
  const lasts = new Map(); // run → last training entry or null
  let critChart = null;
  let critSeq = 0;
  const report = (err) => {
    if (err && err.name !== 'AbortError') ctx.showError(err);
  };

  // Header: the runs compared, and a picker to add one.
  const picker = runPicker(runs, abort.signal, report);
  const chips = runs.map((r, i) => h('span', { class: 'chip', style: `--run-color: ${categorical(i)}`, dataset: { run: r } },
    h('span', { class: 'swatch' }),
    h('a', { href: runHref(r) }, r),
    h('a', { class: 'remove', href: compareHref(runs.filter((x) => x !== r)), title: 'Remove ' + r, 'aria-label': 'Remove ' + r }, '×'),
  ));
  const over = asked.length > runs.length
    ? h('p', { class: 'refused', id: 'compare-limit' }, `${fmtInt(asked.length)} runs asked for: a compare shows at most ${maxCompareRuns}, the first ${maxCompareRuns} here.`)
    : null;
  main.append(h('section', { class: 'card' },
    h('div', { class: 'toolbar' }, h('h1', null, 'Compare runs'), h('span', { class: 'muted', id: 'compare-count' }, runs.length ? `${fmtInt(runs.length)} runs` : ''), h('span', { class: 'grow' }), picker.el),
    over,
    h('div', { class: 'chips' + (runs.length > 12 ? ' many' : ''), id: 'compare-runs' }, chips.length ? chips : h('span', { class: 'muted' }, 'No runs chosen: add some, or select them in the runs list.')),
  ));
  if (runs.length === 0) return () => abort.abort();

  // Loss of every run: one request for all of them.
  const { el: lossSection, loss } = lossCard(runs, prefs, {
    savePrefs: (changes) => (prefs = savePrefs(changes)),
    onError: ctx.showError,
    batchBuckets: (rs, q, signal) => compareBuckets(rs, q, signal),
    onLoad: (samples, range) => {
      if (range) return; // a zoom: not the runs' ends
      for (const r of runs) {
        const s = samples.get(r);
        const n = s ? s.iterations.length : 0;
        lasts.set(r, n ? { iteration: s.iterations[n - 1], loss: s.loss[n - 1] } : null);
      }
      drawSummary();
    },
  });
  main.append(lossSection);
  const many = runs.length > 12; // legends scroll rather than push the page down

  // One criterion of every run.
  const criterionSelect = h('select', {
    id: 'criterion',
    'aria-label': 'Criterion',
    onchange: () => {
      prefs = savePrefs({ criterion: criterionSelect.value });
      loadValidation();
    },
  });
  const datasetSelect = h('select', {
    id: 'dataset',
    'aria-label': 'Dataset',
    onchange: () => {
      dataset = datasetSelect.value;
      loadValidation();
    },
  });
  const superseded = supersededToggle(prefs, (include) => {
    prefs = savePrefs({ includeSuperseded: include });
    loadValidation();
  });
  const critEl = h('div', { class: 'chart' + (many ? ' many' : ''), id: 'criterion-chart' });
  if (many) lossSection.querySelector('#loss-chart').classList.add('many');
  const critTitle = h('span', { class: 'muted small' });
  const summary = h('div', { class: 'table-wrap' + (runs.length > 12 ? ' scroll' : '') });
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

  /** Fetches the chosen criterion's series of every run, in one request, and draws them. */
  async function loadValidation() {
    const seq = ++critSeq;
    const include = prefs.includeSuperseded;
    critEl.dataset.state = critChart ? 'updating' : 'loading';
    let got;
    try {
      got = await compareValidation(runs, { criterion: prefs.criterion, dataset, includeSuperseded: include }, abort.signal);
    } catch (err) {
      // A remembered criterion or dataset that none of these runs has: their first instead.
      if (err && err.code === 'invalid_argument' && (prefs.criterion || dataset) && seq === critSeq) {
        dataset = '';
        got = await compareValidation(runs, { includeSuperseded: include }, abort.signal).catch((e) => {
          report(e);
          return null;
        });
      } else {
        report(err);
      }
      if (!got) return;
    }
    if (seq !== critSeq) return; // a newer choice replaced this one
    answer = got;
    dataset = got.dataset;
    drawCriterion();
  }

  function drawCriterion() {
    if (critChart) {
      critChart.destroy();
      critChart = null;
    }
    const include = answer.include_superseded;
    superseded.update(answer.runs.reduce((n, r) => n + r.superseded_count, 0), include);
    if (answer.criteria.length === 0) {
      critEl.replaceChildren(h('p', { class: 'empty' }, 'None of these runs has validation scores yet.'));
      critEl.dataset.state = 'empty';
      criterionSelect.replaceChildren();
      datasetSelect.replaceChildren();
      drawSummary();
      return;
    }
    const name = answer.criterion;
    const crit = answer.criteria.find((c) => c.name === name);
    criterionSelect.replaceChildren(...answer.criteria.map((c) => h('option', { value: c.name, selected: c.name === name }, criterionLabel(c))));
    datasetSelect.replaceChildren(
      h('option', { value: '' }, 'mean over datasets'),
      ...answer.datasets.map((d) => h('option', { value: d, selected: d === dataset }, d)),
    );
    critTitle.textContent = `${criterionLabel(crit)}: at each checkpoint, the best parameter set's score ${dataset ? 'on ' + dataset : 'averaged over datasets'}`;
    const tables = [];
    const series = [];
    const hollow = []; // superseded checkpoints, when included
    answer.runs.forEach((r, i) => {
      if (r.iteration.length === 0) return;
      tables.push([r.iteration, r.value.map((x, k) => {
        if (r.superseded[k]) {
          hollow.push({ x: r.iteration[k], y: x });
          return null;
        }
        return Number.isFinite(x) ? x : null;
      })]);
      series.push({ label: r.run, color: categorical(i) });
    });
    if (tables.length === 0) {
      critEl.replaceChildren(h('p', { class: 'empty' }, `No run here has ${name}${dataset ? ' on ' + dataset : ''}.`));
      critEl.dataset.state = 'empty';
    } else {
      const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
      critChart = new LineChart(critEl, { data, series, yLabel: name, height: 300, hollow });
      critEl.dataset.runs = String(series.length);
    }
    drawSummary();
  }

  function drawSummary() {
    const byRun = new Map(answer ? answer.runs.map((r) => [r.run, r]) : []);
    const name = answer ? answer.criterion : '';
    const rows = runs.map((r, i) => {
      const last = lasts.get(r);
      const v = byRun.get(r);
      const l = v && v.best;
      const old = l && v.superseded.some((s, k) => s && v.iteration[k] === l.iteration);
      return h('tr', { dataset: { run: r, iteration: l ? String(l.iteration) : '' } },
        h('td', { class: 'name' }, h('span', { class: 'swatch', style: `--run-color: ${categorical(i)}` }), h('a', { href: runHref(r) }, r)),
        h('td', { class: 'num' }, last ? fmtInt(last.iteration + 1) : lasts.has(r) ? '—' : '…'),
        h('td', { class: 'num' }, last ? fmtNum(last.loss) : lasts.has(r) ? '—' : '…'),
        h('td', { class: 'num strong', dataset: { value: l ? String(l.value) : '' } }, l ? fmtNum(l.value) : '—'),
        h('td', { class: 'muted small' + (old ? ' superseded' : ''), title: old ? supersededNote : undefined },
          l ? `${fmtInt(l.iteration)} · ${l.parameters}` : '',
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

  // Changes to these runs: fetch both charts again once they stop arriving for a moment.
  const changed = debounce(() => {
    loss.load();
    loadValidation();
  }, changeDelay);
  const stopFeed = followChanges({ runs }, () => changed());

  loss.load();
  loadValidation();

  return () => {
    stopFeed();
    changed.cancel();
    picker.destroy();
    abort.abort();
    loss.destroy();
    if (critChart) critChart.destroy();
  };
}

/**
 * The picker that adds a run to the compare: a search box whose matches
 * (name contains the text; asked from the server, a page of them) are
 * offered as a list to choose from.
 */
function runPicker(runs, signal, report) {
  const list = h('ul', { class: 'picker-list', id: 'add-run-list', role: 'listbox', hidden: true });
  let seq = 0;
  let plain = null; // a server without paging: every run, fetched once
  const input = h('input', {
    type: 'search',
    id: 'add-run',
    placeholder: runs.length >= maxCompareRuns ? `At most ${maxCompareRuns} runs` : 'Add a run…',
    disabled: runs.length >= maxCompareRuns,
    'aria-label': 'Add a run',
    autocomplete: 'off',
    oninput: () => find(),
    onfocus: () => find(),
    onkeydown: (ev) => {
      if (ev.key === 'Escape') list.hidden = true;
      if (ev.key === 'Enter' && list.firstElementChild && list.firstElementChild.dataset.run) add(list.firstElementChild.dataset.run);
    },
  });
  const add = (run) => {
    location.hash = compareHref([...runs, run]);
  };
  const find = debounce(async () => {
    const s = ++seq;
    const text = input.value.trim();
    try {
      let names;
      if (plain) {
        names = plain;
      } else {
        const got = await runsPage({ filter: text ? `name~${JSON.stringify(text)}` : '', sort: 'name', limit: pickerMatches + runs.length }, signal);
        if (!got.paged) plain = got.runs.map((r) => r.run);
        names = got.paged ? got.runs.map((r) => r.run) : plain;
      }
      if (s !== seq) return;
      const needle = text.toLowerCase();
      const matches = names.filter((n) => !runs.includes(n) && n.toLowerCase().includes(needle)).slice(0, pickerMatches);
      list.replaceChildren(...(matches.length
        ? matches.map((n) => h('li', { role: 'option', dataset: { run: n }, onmousedown: (ev) => {
          ev.preventDefault(); // before the input loses focus
          add(n);
        } }, n))
        : [h('li', { class: 'muted' }, text ? `No other run contains “${text}”.` : 'No other runs.')]));
      list.hidden = false;
    } catch (err) {
      report(err);
    }
  }, 200);
  input.addEventListener('blur', () => setTimeout(() => (list.hidden = true), 150));
  return {
    el: h('div', { class: 'picker' }, input, list),
    destroy: () => find.cancel(),
  };
}
