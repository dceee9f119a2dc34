// The run view: loss vs iteration, validation scores per dataset for a
// criterion, the validated checkpoints, the best report; follows the run live
// through the event stream.
//
// Superseded checkpoints (validated before a training rewind overwrote their
// weights, SPEC §2) are listed greyed in the checkpoints table and left out of
// the plots and the best report unless "include superseded" is on; then they
// are hollow grey points off the lines.

import { bestReport, decodeValidation, follow, lastTraining, num, validation } from '../api.js';
import { LineChart, categorical, sequential } from '../charts.js';
import { compareHref, fmtInt, fmtNum, h, parameterLabel } from '../format.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import {
  bestOverParameters, bestSeries, countSuperseded, criterionIndex, iterations, mergeValidation, parameterSeries,
  shownScores, supersededNote,
} from '../validation.js';
import { criterionLabel, lossCard, supersededToggle, throttle } from './common.js';
import { decideCards } from './decide.js';
import { watch } from '../feed.js';

export function renderRun(main, route, ctx) {
  const run = route.run;
  ctx.setCrumbs([{ text: 'Runs', href: '#/' }, { text: run }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  let scores = null; // the validation answer, superseded checkpoints included
  let bestLines = null; // the best report
  let bestLeftOut = 0; // superseded checkpoints the server left out of it
  let bestRefused = ''; // why the server refused the best report ('' when it did not)
  let loading = 0; // validation loads in flight
  let replay = []; // validation events received during them, applied again after
  const valCharts = [];

  // Header: what the run has.
  const stat = (label, id, title) => h('div', { class: 'stat', title }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, '…'));
  const live = h('span', { class: 'live', id: 'live' }, 'connecting');
  main.append(
    h('section', { class: 'card run-header' },
      h('div', { class: 'title' }, h('h1', { id: 'run-name' }, run), live),
      h('div', { class: 'stats' },
        stat('Trained until', 'trained-until'),
        stat('Last loss', 'last-loss'),
        stat('Last validated', 'last-validated', 'the last checkpoint validated (the iteration at which its weights were saved)'),
        stat('Checkpoints validated', 'validations'),
      ),
      h('a', { class: 'button small', href: compareHref([run]) }, 'Compare with…'),
    ),
  );
  const setStat = (id, text) => {
    const el = main.querySelector('#' + id);
    if (el) el.textContent = text;
  };

  // Loss.
  const { el: lossSection, loss } = lossCard([run], prefs, {
    savePrefs: (changes) => (prefs = savePrefs(changes)),
    onError: ctx.showError,
    buckets: true,
  });
  main.append(lossSection);

  // Validation.
  const criterionSelect = h('select', {
    id: 'criterion',
    'aria-label': 'Criterion',
    onchange: () => {
      prefs = savePrefs({ criterion: criterionSelect.value });
      drawValidation();
      drawCheckpoints();
      drawBest();
      decide.refresh();
    },
  });
  const paramSelect = h('select', {
    id: 'param-mode',
    'aria-label': 'Lines',
    onchange: () => {
      prefs = savePrefs({ paramMode: paramSelect.value });
      drawValidation();
    },
  },
  h('option', { value: 'each', selected: prefs.paramMode !== 'best' }, 'one line per parameter set'),
  h('option', { value: 'best', selected: prefs.paramMode === 'best' }, 'best over parameter sets'),
  );
  const superseded = supersededToggle(prefs, (include) => {
    prefs = savePrefs({ includeSuperseded: include });
    drawValidation();
    drawCheckpoints();
    loadBest().catch(report);
    decide.refresh();
  });
  const valEl = h('div', { class: 'val-charts', id: 'validation-charts' });
  const valSection = h('section', { class: 'card', id: 'validation' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Validation'),
      superseded.note,
      h('div', { class: 'controls' },
        h('label', { class: 'field' }, 'Criterion ', criterionSelect),
        h('label', { class: 'field' }, 'Lines ', paramSelect),
        superseded.toggle,
      ),
    ),
    valEl,
    superseded.legend,
  );
  const checkpointsEl = h('div', { class: 'table-wrap scroll', id: 'checkpoints' });
  const checkpointsSection = h('section', { class: 'card' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Validated checkpoints'),
      h('span', { class: 'muted small', id: 'checkpoints-what' }),
    ),
    checkpointsEl,
  );
  const bestEl = h('div', { class: 'table-wrap', id: 'best' });
  const bestNote = h('span', { class: 'superseded-note', id: 'best-superseded-note', title: supersededNote, hidden: true });
  const bestSection = h('section', { class: 'card' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Best checkpoints'),
      h('span', { class: 'muted small' }, 'for each criterion and dataset, the checkpoint and post-processing parameters with the best score (NaN skipped); the mean is over datasets'),
      bestNote,
    ),
    bestEl,
  );
  // Decisions: keep, parameter grid, choice on one dataset (by the chosen criterion).
  const decide = decideCards(run, () => ({
    scores,
    criterion: scores && chosen() >= 0 ? scores.criteria[chosen()].name : '',
    includeSuperseded: prefs.includeSuperseded,
  }), { signal: abort.signal, onError: (err) => report(err) });
  main.append(valSection, checkpointsSection, bestSection, decide.el);

  function chosen() {
    if (!scores || scores.criteria.length === 0) return -1;
    const i = criterionIndex(scores, prefs.criterion);
    return i >= 0 ? i : 0;
  }

  function findBest(c, dataset) {
    if (!bestLines) return undefined;
    return bestLines.find((l) => l.criterion === c && (dataset === null ? l.mean_over_datasets : l.dataset === dataset));
  }

  function drawValidation() {
    for (const c of valCharts.splice(0)) c.destroy();
    const include = prefs.includeSuperseded;
    superseded.update(scores ? countSuperseded(scores) : 0, include);
    if (!scores || scores.scores.length === 0) {
      valEl.replaceChildren(h('p', { class: 'empty' }, 'No validation scores stored for this run yet.'));
      valEl.dataset.state = 'empty';
      criterionSelect.replaceChildren();
      return;
    }
    const c = chosen();
    criterionSelect.replaceChildren(...scores.criteria.map((k, i) => h('option', { value: k.name, selected: i === c }, criterionLabel(k))));
    const shown = shownScores(scores, include);
    if (shown.scores.length === 0) {
      valEl.replaceChildren(h('p', { class: 'empty' }, 'Every validated checkpoint of this run is superseded: tick "Include superseded" to see them.'));
      valEl.dataset.state = 'empty';
      return;
    }
    const crit = shown.criteria[c];
    const xs = iterations(shown);
    // Superseded checkpoints (shown only when included) are hollow points off the lines.
    const hollow = [];
    const line = (values) => values.map((v, i) => {
      if (!shown.scores[i].superseded) return finite(v);
      hollow.push({ x: xs[i], y: v });
      return null;
    });
    valEl.replaceChildren();
    if (prefs.paramMode === 'best') {
      // One chart: each dataset's best over parameter sets, and the mean over datasets.
      const data = [xs];
      const series = [];
      shown.datasets.forEach((d, i) => {
        data.push(line(bestOverParameters(shown, i, c)));
        series.push({ label: d, color: categorical(i) });
      });
      if (shown.datasets.length > 1) {
        data.push(line(bestSeries(shown, c)));
        series.push({ label: 'mean over datasets', color: '#1d2530', width: 2.2, dash: [6, 4] });
      }
      const b = findBest(crit.name, shown.datasets.length > 1 ? null : shown.datasets[0]);
      const box = h('div', { class: 'val-chart wide' }, h('h3', null, `${criterionLabel(crit)}, best over parameter sets`), h('div', { class: 'chart' }));
      valEl.append(box);
      valCharts.push(new LineChart(box.lastChild, { data, series, yLabel: crit.name, marker: b && b.iteration !== null ? { x: b.iteration, y: b.value } : null, hollow }));
    } else {
      const colors = sequential(shown.parameters.length);
      shown.datasets.forEach((d, di) => {
        hollow.length = 0;
        const data = [xs];
        const series = shown.parameters.map((p, pi) => {
          data.push(line(parameterSeries(shown, di, pi, c)));
          return { label: p.name, color: colors[pi] };
        });
        const b = findBest(crit.name, d);
        const title = h('h3', null, d, h('span', { class: 'muted small' }, b && b.iteration !== null
          ? ` best ${fmtNum(b.value)} at ${fmtInt(b.iteration)}, ${b.parameters}` : ''));
        const box = h('div', { class: 'val-chart' }, title, h('div', { class: 'chart' }));
        valEl.append(box);
        valCharts.push(new LineChart(box.lastChild, {
          data,
          series,
          yLabel: crit.name,
          marker: b && b.iteration !== null ? { x: b.iteration, y: b.value } : null,
          hollow: [...hollow],
        }));
      });
    }
    valEl.dataset.state = 'ready';
  }

  /**
   * The validated checkpoints, newest first: the chosen criterion's best
   * over parameter sets per dataset (and the mean over datasets), superseded
   * ones greyed. One row per iteration: a validation event replaces rows.
   */
  function drawCheckpoints() {
    if (!scores || scores.scores.length === 0) {
      checkpointsEl.replaceChildren(h('p', { class: 'empty' }, 'No checkpoint validated yet.'));
      checkpointsEl.dataset.state = 'empty';
      return;
    }
    const c = chosen();
    const crit = scores.criteria[c];
    const withMean = scores.datasets.length > 1;
    const perDataset = scores.datasets.map((d, i) => bestOverParameters(scores, i, c));
    const mean = withMean ? bestSeries(scores, c) : null;
    main.querySelector('#checkpoints-what').textContent = `${criterionLabel(crit)}: the best parameter set's score at each checkpoint`;
    const valueCell = (v) => h('td', { class: 'num', dataset: { value: String(v) } }, fmtNum(v));
    const rows = [];
    for (let i = scores.scores.length - 1; i >= 0; i--) {
      const e = scores.scores[i];
      rows.push(h('tr', {
        class: e.superseded ? 'superseded' : '',
        title: e.superseded ? supersededNote : undefined,
        dataset: { iteration: String(e.iteration), superseded: String(e.superseded) },
      },
      h('th', { scope: 'row', class: 'num' }, fmtInt(e.iteration)),
      ...perDataset.map((vals) => valueCell(vals[i])),
      withMean ? valueCell(mean[i]) : null,
      h('td', null, e.superseded ? h('span', { class: 'badge superseded-badge' }, 'superseded') : ''),
      ));
    }
    checkpointsEl.replaceChildren(h('table', { class: 'runs checkpoints', id: 'checkpoints-table' },
      h('thead', null, h('tr', null,
        h('th', { class: 'num' }, 'Checkpoint'),
        ...scores.datasets.map((d) => h('th', { class: 'num' }, d)),
        withMean ? h('th', { class: 'num' }, 'mean over datasets') : null,
        h('th', null, ''),
      )),
      h('tbody', null, rows),
    ));
    checkpointsEl.dataset.state = 'ready';
    checkpointsEl.dataset.rows = String(rows.length);
  }

  function drawBest() {
    if (scores && bestRefused) {
      bestEl.replaceChildren(h('p', { class: 'refused', id: 'best-refused' },
        h('strong', null, 'No best report: '), bestRefused));
      bestEl.dataset.state = 'refused';
      bestNote.hidden = true;
      return;
    }
    if (!scores || !bestLines) {
      bestEl.replaceChildren(h('p', { class: 'empty' }, 'No best report: the run has no validation scores yet.'));
      bestEl.dataset.state = 'empty';
      return;
    }
    const c = chosen();
    const datasets = scores.datasets;
    const withMean = datasets.length > 1;
    const supersededAt = new Set(scores.scores.filter((e) => e.superseded).map((e) => e.iteration));
    const cell = (l) => {
      if (!l) return h('td', null, '—');
      const old = l.iteration !== null && supersededAt.has(l.iteration);
      const attrs = {
        class: 'best-cell' + (old ? ' superseded' : ''),
        title: old ? supersededNote : undefined,
        dataset: {
          dataset: l.mean_over_datasets ? '' : l.dataset,
          mean: String(l.mean_over_datasets),
          criterion: l.criterion,
          iteration: l.iteration === null ? '' : String(l.iteration),
          parameters: l.parameters === null ? '' : l.parameters,
          value: String(l.value),
        },
      };
      if (l.iteration === null) return h('td', attrs, h('span', { class: 'muted', title: 'every value is NaN' }, 'NaN'));
      return h('td', attrs,
        h('div', { class: 'value' }, fmtNum(l.value)),
        whereCell(l.iteration, scores.parameters.find((p) => p.id === l.parameter_id) || { name: l.parameters }),
      );
    };
    const head = h('thead', null, h('tr', null,
      h('th', null, 'Criterion'),
      ...datasets.map((d) => h('th', null, d)),
      withMean ? h('th', null, 'mean over datasets') : null,
    ));
    const rows = scores.criteria.map((k, i) => h('tr', {
      class: i === c ? 'chosen' : '',
      title: 'Show this criterion in the validation charts',
      onclick: () => {
        prefs = savePrefs({ criterion: k.name });
        drawValidation();
        drawCheckpoints();
        drawBest();
      },
    },
    h('th', { scope: 'row' }, criterionLabel(k)),
    ...datasets.map((d) => cell(findBest(k.name, d))),
    withMean ? cell(findBest(k.name, null)) : null,
    ));
    bestEl.replaceChildren(h('table', { class: 'best', id: 'best-table' }, head, h('tbody', null, rows)));
    bestEl.dataset.state = 'ready';
    bestEl.dataset.include = String(prefs.includeSuperseded);
    bestNote.hidden = bestLeftOut === 0;
    bestNote.textContent = `${fmtInt(bestLeftOut)} superseded left out`;
  }

  async function loadHeader() {
    const last = await lastTraining(run, abort.signal);
    setStat('trained-until', last ? fmtInt(last.iteration + 1) : '—');
    setStat('last-loss', last ? fmtNum(last.loss) : '—');
  }

  function setValidationStats() {
    const n = scores ? scores.scores.length : 0;
    setStat('last-validated', n ? fmtInt(scores.scores[n - 1].iteration) : '—');
    setStat('validations', fmtInt(n));
  }

  /** Fetches the best report (with or without superseded checkpoints, as chosen) and draws it. */
  async function loadBest() {
    const include = prefs.includeSuperseded;
    const b = await bestReport(run, { includeSuperseded: include }, abort.signal);
    if (include !== prefs.includeSuperseded) return; // toggled meanwhile: a newer load follows
    bestLines = b && b.lines;
    bestRefused = (b && b.refused) || '';
    bestLeftOut = b ? b.supersededLeftOut : 0;
    drawBest();
    drawValidation(); // its best markers
  }

  /** Fetches the validation scores and the best report and draws them. */
  async function loadValidation() {
    loading++;
    if (loading === 1) replay = [];
    try {
      const include = prefs.includeSuperseded;
      const [v, b] = await Promise.all([validation(run, abort.signal), bestReport(run, { includeSuperseded: include }, abort.signal)]);
      scores = v;
      // Events that arrived while loading may or may not be in the answer: merging is idempotent.
      for (const ev of replay) scores = mergeValidation(scores, ev);
      if (include === prefs.includeSuperseded) {
        bestLines = b && b.lines;
        bestRefused = (b && b.refused) || '';
        bestLeftOut = b ? b.supersededLeftOut : 0;
      }
    } finally {
      loading--;
    }
    setValidationStats();
    drawValidation();
    drawCheckpoints();
    drawBest();
    decide.refresh();
  }

  /** Applies a validation event: its entries replace those of their iterations. */
  function applyValidation(data) {
    const ev = decodeValidation(data);
    if (loading) replay.push(ev);
    scores = mergeValidation(scores, ev);
    setValidationStats();
    drawValidation();
    drawCheckpoints();
    refreshBest(); // the server's best report of the merged scores
    refreshDecide();
  }

  const report = (err) => {
    if (err.name !== 'AbortError') ctx.showError(err);
  };
  loss.load();
  loadHeader().catch(report);
  loadValidation().catch(report);

  // Live: appended entries re-read the loss from its last bucket on (the
  // buckets before it do not change), a replaced history all of it; at most
  // once a second.
  let lossReplaced = false;
  const refreshLoss = throttle(() => {
    if (lossReplaced) {
      lossReplaced = false;
      loss.load(null);
    } else {
      loss.appended();
    }
  }, 1000);
  const reloadLoss = () => {
    lossReplaced = true;
    refreshLoss();
  };
  const refreshValidation = throttle(() => loadValidation().catch(report), 1000);
  const refreshBest = throttle(() => loadBest().catch(report), 1000);
  const refreshDecide = throttle(() => decide.refresh(), 1000);
  const stop = follow(run, {
    state: (s) => {
      live.textContent = s === 'live' ? 'live' : s;
      live.className = 'live ' + s;
      ctx.setStatus(s === 'live' ? 'following ' + run : '');
    },
    training: (ev) => {
      const entries = ev.iteration_stats || [];
      if (entries.length) {
        const last = entries[entries.length - 1];
        setStat('trained-until', fmtInt(last.iteration + 1));
        setStat('last-loss', fmtNum(num(last.loss)));
      } else {
        loadHeader().catch(report); // a truncated event: ask
      }
      // Resumed from an earlier checkpoint: the history is new, and validations after the rewind point are now superseded.
      if (ev.action === 'replace') {
        reloadLoss();
        refreshValidation();
      } else {
        refreshLoss();
      }
    },
    validation: (data) => applyValidation(data),
    delete: () => {
      loss.load(null);
      loadHeader().catch(report);
      refreshValidation();
    },
    overflow: () => {
      reloadLoss();
      refreshValidation();
    },
  });

  // Writes that do not go through this server (a trainer writing the store
  // directly, another replica) come from the store's change feed.
  const unwatch = watch({
    runs: [run],
    onEvent: (ev) => {
      if (ev.kind === 'validation_merged') refreshValidation();
      else {
        if (ev.kind === 'training_appended') refreshLoss();
        else reloadLoss();
        loadHeader().catch(report);
        if (ev.kind !== 'training_appended') refreshValidation();
      }
    },
    onResync: () => {
      reloadLoss();
      loadHeader().catch(report);
      refreshValidation();
    },
  });

  return () => {
    unwatch();
    stop();
    refreshLoss.cancel();
    refreshValidation.cancel();
    refreshBest.cancel();
    refreshDecide.cancel();
    abort.abort();
    loss.destroy();
    for (const c of valCharts) c.destroy();
  };
}

/** The checkpoint and parameter set of a best cell; a long parameter-set name shows as its values. */
function whereCell(iteration, p) {
  const label = parameterLabel(p);
  return h('div', { class: 'where', title: label.title }, `${fmtInt(iteration)} · ${label.text}`);
}

function finite(v) {
  return Number.isFinite(v) ? v : null;
}
