// The run view: loss vs iteration, validation scores per dataset for a
// criterion, the best report; follows the run live through the event stream.

import { best, follow, lastTraining, num, validation } from '../api.js';
import { LineChart, categorical, sequential } from '../charts.js';
import { compareHref, fmtInt, fmtNum, h } from '../format.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { bestOverParameters, bestSeries, criterionIndex, iterations, parameterSeries } from '../validation.js';
import { criterionLabel, lossCard, throttle } from './common.js';

export function renderRun(main, route, ctx) {
  const run = route.run;
  ctx.setCrumbs([{ text: 'Runs', href: '#/' }, { text: run }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  let scores = null; // the validation answer
  let bestLines = null; // the best report
  const valCharts = [];

  // Header: what the run has.
  const stat = (label, id) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, '…'));
  const live = h('span', { class: 'live', id: 'live' }, 'connecting');
  main.append(
    h('section', { class: 'card run-header' },
      h('div', { class: 'title' }, h('h1', { id: 'run-name' }, run), live),
      h('div', { class: 'stats' },
        stat('Trained until', 'trained-until'),
        stat('Last loss', 'last-loss'),
        stat('Validated until', 'validated-until'),
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
  });
  main.append(lossSection);

  // Validation.
  const criterionSelect = h('select', {
    id: 'criterion',
    'aria-label': 'Criterion',
    onchange: () => {
      prefs = savePrefs({ criterion: criterionSelect.value });
      drawValidation();
      drawBest();
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
  const valEl = h('div', { class: 'val-charts', id: 'validation-charts' });
  const valSection = h('section', { class: 'card', id: 'validation' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Validation'),
      h('div', { class: 'controls' },
        h('label', { class: 'field' }, 'Criterion ', criterionSelect),
        h('label', { class: 'field' }, 'Lines ', paramSelect),
      ),
    ),
    valEl,
  );
  const bestEl = h('div', { class: 'table-wrap', id: 'best' });
  const bestSection = h('section', { class: 'card' },
    h('div', { class: 'toolbar' },
      h('h2', null, 'Best checkpoints'),
      h('span', { class: 'muted small' }, 'for each criterion and dataset, the checkpoint and post-processing parameters with the best score (NaN skipped); the mean is over datasets'),
    ),
    bestEl,
  );
  main.append(valSection, bestSection);

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
    if (!scores || scores.scores.length === 0) {
      valEl.replaceChildren(h('p', { class: 'empty' }, 'No validation scores stored for this run yet.'));
      valEl.dataset.state = 'empty';
      criterionSelect.replaceChildren();
      return;
    }
    const c = chosen();
    const crit = scores.criteria[c];
    criterionSelect.replaceChildren(...scores.criteria.map((k, i) => h('option', { value: k.name, selected: i === c }, criterionLabel(k))));
    const xs = iterations(scores);
    valEl.replaceChildren();
    if (prefs.paramMode === 'best') {
      // One chart: each dataset's best over parameter sets, and the mean over datasets.
      const data = [xs];
      const series = [];
      scores.datasets.forEach((d, i) => {
        data.push(bestOverParameters(scores, i, c).map(finite));
        series.push({ label: d, color: categorical(i) });
      });
      if (scores.datasets.length > 1) {
        data.push(bestSeries(scores, c).map(finite));
        series.push({ label: 'mean over datasets', color: '#1d2530', width: 2.2, dash: [6, 4] });
      }
      const b = findBest(crit.name, scores.datasets.length > 1 ? null : scores.datasets[0]);
      const box = h('div', { class: 'val-chart wide' }, h('h3', null, `${criterionLabel(crit)}, best over parameter sets`), h('div', { class: 'chart' }));
      valEl.append(box);
      valCharts.push(new LineChart(box.lastChild, { data, series, yLabel: crit.name, marker: b && b.iteration !== null ? { x: b.iteration, y: b.value } : null }));
    } else {
      const colors = sequential(scores.parameters.length);
      scores.datasets.forEach((d, di) => {
        const data = [xs];
        const series = scores.parameters.map((p, pi) => {
          data.push(parameterSeries(scores, di, pi, c).map(finite));
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
        }));
      });
    }
    valEl.dataset.state = 'ready';
  }

  function drawBest() {
    if (!scores || !bestLines) {
      bestEl.replaceChildren(h('p', { class: 'empty' }, 'No best report: the run has no validation scores yet.'));
      bestEl.dataset.state = 'empty';
      return;
    }
    const c = chosen();
    const datasets = scores.datasets;
    const withMean = datasets.length > 1;
    const cell = (l) => {
      if (!l) return h('td', null, '—');
      const attrs = {
        class: 'best-cell',
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
        h('div', { class: 'where' }, `${fmtInt(l.iteration)} · ${l.parameters}`),
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
        drawBest();
      },
    },
    h('th', { scope: 'row' }, criterionLabel(k)),
    ...datasets.map((d) => cell(findBest(k.name, d))),
    withMean ? cell(findBest(k.name, null)) : null,
    ));
    bestEl.replaceChildren(h('table', { class: 'best', id: 'best-table' }, head, h('tbody', null, rows)));
    bestEl.dataset.state = 'ready';
  }

  async function loadHeader() {
    const last = await lastTraining(run, abort.signal);
    setStat('trained-until', last ? fmtInt(last.iteration + 1) : '—');
    setStat('last-loss', last ? fmtNum(last.loss) : '—');
  }

  async function loadValidation() {
    const [v, b] = await Promise.all([validation(run, abort.signal), best(run, abort.signal)]);
    scores = v;
    bestLines = b;
    const n = v.scores.length;
    setStat('validated-until', n ? fmtInt(v.scores[n - 1].iteration + 1) : '—');
    setStat('validations', fmtInt(n));
    drawValidation();
    drawBest();
  }

  const report = (err) => {
    if (err.name !== 'AbortError') ctx.showError(err);
  };
  loss.load();
  loadHeader().catch(report);
  loadValidation().catch(report);

  // Live: new entries re-fetch what is shown, at most once a second.
  const refreshLoss = throttle(() => {
    if (!loss.zoomed) loss.load();
  }, 1000);
  const refreshValidation = throttle(() => loadValidation().catch(report), 1000);
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
      refreshLoss();
    },
    validation: () => refreshValidation(),
    delete: () => {
      loss.load();
      loadHeader().catch(report);
      refreshValidation();
    },
    overflow: () => {
      refreshLoss();
      refreshValidation();
    },
  });

  return () => {
    stop();
    refreshLoss.cancel();
    refreshValidation.cancel();
    abort.abort();
    loss.destroy();
    for (const c of valCharts) c.destroy();
  };
}

function finite(v) {
  return Number.isFinite(v) ? v : null;
}
