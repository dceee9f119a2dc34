// The run view's decision cards (docs/deciding.md): which checkpoints to
// keep and why, the checkpoint × parameter-set grid of a criterion as a
// heatmap with its stability, regret and width, and one consistent choice
// made on one dataset × criterion with every line's gap to its own best.
// Each card fetches its answer from the API; refresh() reloads them after
// new validation scores.

import { ApiError, grid, keepPlan, selection } from '../api.js';
import { fmtInt, fmtNum, h } from '../format.js';

/** The heatmap's colour for t in [0, 1] (0: worst of the row, 1: its best): light to deep blue. */
export function heatColor(t) {
  if (!Number.isFinite(t)) return '#f1f3f5';
  const lo = [247, 251, 255];
  const hi = [8, 81, 156];
  const c = lo.map((l, i) => Math.round(l + (hi[i] - l) * Math.min(Math.max(t, 0), 1)));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * The decision cards of a run. state() returns {scores, criterion, includeSuperseded}: the
 * validation answer (datasets, criteria) and the chosen criterion's name. Returns {el, refresh}.
 */
export function decideCards(run, state, { signal, onError }) {
  const keepEl = h('div', { class: 'table-wrap scroll', id: 'keep' });
  const keepWhat = h('span', { class: 'muted small', id: 'keep-what' });
  const top = h('input', { type: 'number', min: '1', value: '1', id: 'keep-top', 'aria-label': 'Top N', class: 'small-number', onchange: () => loadKeep() });
  const keepCard = h('section', { class: 'card', id: 'keep-card' },
    h('div', { class: 'toolbar' }, h('h2', null, 'Checkpoints to keep'), keepWhat,
      h('div', { class: 'controls' }, h('label', { class: 'field' }, 'Top ', top))),
    keepEl,
  );

  const gridDataset = h('select', { id: 'grid-dataset', 'aria-label': 'Dataset', onchange: () => loadGrid() });
  const gridEl = h('div', { class: 'table-wrap scroll', id: 'grid' });
  const gridSummary = h('div', { class: 'grid-summary', id: 'grid-summary' });
  const gridCard = h('section', { class: 'card', id: 'grid-card' },
    h('div', { class: 'toolbar' }, h('h2', null, 'Parameter grid'),
      h('span', { class: 'muted small' }, 'the chosen criterion per checkpoint and parameter set; darker is better within a checkpoint, the best outlined'),
      h('div', { class: 'controls' }, h('label', { class: 'field' }, 'Dataset ', gridDataset))),
    gridSummary,
    gridEl,
  );

  const selDataset = h('select', { id: 'select-dataset', 'aria-label': 'Choose on dataset', onchange: () => loadSelect() });
  const selEl = h('div', { class: 'table-wrap scroll', id: 'select' });
  const selWhat = h('div', { class: 'muted small', id: 'select-what' });
  const selCard = h('section', { class: 'card', id: 'select-card' },
    h('div', { class: 'toolbar' }, h('h2', null, 'Choose on one dataset'),
      h('span', { class: 'muted small' }, 'one checkpoint and parameter set, chosen by the chosen criterion on one dataset; every other dataset is held out and shows what the choice costs there'),
      h('div', { class: 'controls' }, h('label', { class: 'field' }, 'Dataset ', selDataset))),
    selWhat,
    selEl,
  );

  const failed = (el, err) => {
    if (err && err.name === 'AbortError') return;
    el.replaceChildren(h('p', { class: 'muted' }, err instanceof ApiError ? err.message : String(err)));
    el.dataset.state = 'error';
    if (!(err instanceof ApiError)) onError(err);
  };

  const fillDatasets = (select, datasets) => {
    const keep = select.value;
    select.replaceChildren(...datasets.map((d) => h('option', { value: d, selected: d === keep }, d)));
  };

  async function loadKeep() {
    const { includeSuperseded } = state();
    try {
      const p = await keepPlan(run, { top: Number(top.value) || 1, includeSuperseded }, signal);
      keepWhat.textContent = `keep ${p.kept} of ${p.kept + p.prunable}, ${p.prunable} can go · bests by ${p.all_criteria ? 'every criterion' : p.criteria.join(', ')}`;
      const rows = p.checkpoints.map((c) => h('tr', { class: c.keep ? 'keep' : 'prunable', dataset: { iteration: String(c.iteration), keep: String(c.keep) } },
        h('th', { scope: 'row' }, fmtInt(c.iteration)),
        h('td', null, h('span', { class: 'badge ' + (c.keep ? 'keep-badge' : 'prune-badge') }, c.keep ? 'keep' : 'can go')),
        h('td', { class: 'reasons' }, c.reasons.length ? c.reasons.map((r) => h('div', null, r.text)) : '—'),
      ));
      keepEl.replaceChildren(h('table', { class: 'keep-table' },
        h('thead', null, h('tr', null, h('th', null, 'Checkpoint'), h('th', null, 'Decision'), h('th', null, 'Why'))),
        h('tbody', null, rows)));
      keepEl.dataset.state = 'ready';
    } catch (err) {
      failed(keepEl, err);
    }
  }

  async function loadGrid() {
    const { criterion, includeSuperseded } = state();
    if (!criterion || !gridDataset.value) return;
    try {
      const g = await grid(run, { dataset: gridDataset.value, criterion, includeSuperseded }, signal);
      const label = (p, i) => (g.axis ? `${g.axis}=${g.axis_values[i]}` : p.name || 'parameters_' + p.id);
      const head = h('thead', null, h('tr', null, h('th', null, 'Checkpoint'), ...g.parameters.map((p, i) => h('th', { class: 'num' }, label(p, i))),
        h('th', { class: 'num', title: 'parameter sets within epsilon of the best' }, 'Width'), h('th', { class: 'num', title: 'cost of fixing the best-on-average set' }, 'Regret')));
      const rows = g.iterations.map((it, r) => {
        const row = g.values[r];
        const finite = row.filter(Number.isFinite);
        const lo = Math.min(...finite);
        const hi = Math.max(...finite);
        return h('tr', null, h('th', { scope: 'row' }, fmtInt(it)),
          ...row.map((v, p) => {
            let t = hi > lo ? (v - lo) / (hi - lo) : 1;
            if (!g.higher_is_better) t = 1 - t;
            const best = g.best[r] === p;
            return h('td', {
              class: 'num heat' + (best ? ' heat-best' : ''),
              style: `background:${heatColor(Number.isFinite(v) ? t : NaN)};color:${t > 0.55 ? '#fff' : 'inherit'}`,
              title: `${label(g.parameters[p], p)} at ${fmtInt(it)}: ${fmtNum(v)}${best ? ' (best)' : ''}`,
              dataset: { iteration: String(it), parameter: String(g.parameters[p].id), value: String(v), best: String(best) },
            }, fmtNum(v));
          }),
          h('td', { class: 'num' }, String(g.width[r])),
          h('td', { class: 'num' }, fmtNum(g.regret[r])));
      });
      gridEl.replaceChildren(h('table', { class: 'grid-table', id: 'grid-table' }, head, h('tbody', null, rows)));
      const fixed = g.fixed >= 0 ? label(g.parameters[g.fixed], g.fixed) : '—';
      gridSummary.replaceChildren(
        h('span', { class: 'metric', id: 'grid-stability', title: 'how often the best parameter set changes from one checkpoint to the next' },
          h('b', null, 'Stability '), g.steps ? `best changed ${g.best_changes} of ${g.steps} steps (${Math.round(100 * g.best_change_rate)}%)` : 'too few checkpoints'),
        h('span', { class: 'metric', id: 'grid-regret', title: 'what fixing the parameter set that is best on average costs against each checkpoint\'s best' },
          h('b', null, 'Regret '), `of fixing ${fixed}: max ${fmtNum(g.max_regret)}, mean ${fmtNum(g.mean_regret)}`),
        h('span', { class: 'metric', id: 'grid-width', title: 'how many parameter sets lie within epsilon of the best' },
          h('b', null, 'Width '), `sets within ${fmtNum(g.epsilon)} of the best (column)`),
      );
      gridEl.dataset.state = 'ready';
    } catch (err) {
      failed(gridEl, err);
    }
  }

  async function loadSelect() {
    const { scores, criterion, includeSuperseded } = state();
    if (!criterion || !selDataset.value) return;
    const heldOut = scores.datasets.filter((d) => d !== selDataset.value);
    try {
      const s = await selection(run, { dataset: selDataset.value, criterion, heldOut, includeSuperseded }, signal);
      selWhat.textContent = `chosen on ${s.criterion} of ${s.dataset}: checkpoint ${fmtInt(s.iteration)} with ${s.parameters} (${fmtNum(s.value)})`;
      const rows = s.lines.map((l) => h('tr', { class: l.held_out ? 'held-out' : '', dataset: { dataset: l.dataset, criterion: l.criterion, gap: String(l.gap) } },
        h('th', { scope: 'row' }, l.dataset + (l.held_out ? ' (held out)' : '')),
        h('td', null, l.criterion),
        h('td', { class: 'num' }, fmtNum(l.value)),
        h('td', { class: 'num' }, fmtNum(l.best.value), h('div', { class: 'where' }, l.best.iteration === null ? '' : `${fmtInt(l.best.iteration)} · ${l.best.parameters}`)),
        h('td', { class: 'num' + (l.gap > 0 ? ' gap' : '') }, fmtNum(l.gap))));
      selEl.replaceChildren(h('table', { class: 'select-table', id: 'select-table' },
        h('thead', null, h('tr', null, h('th', null, 'Dataset'), h('th', null, 'Criterion'), h('th', { class: 'num' }, 'At the choice'), h('th', { class: 'num' }, 'Its own best'), h('th', { class: 'num' }, 'Gap'))),
        h('tbody', null, rows)));
      selEl.dataset.state = 'ready';
    } catch (err) {
      failed(selEl, err);
    }
  }

  /** Reloads every card (after new scores or another criterion). */
  function refresh() {
    const { scores } = state();
    if (!scores || scores.scores.length === 0) {
      for (const c of [keepCard, gridCard, selCard]) c.hidden = true;
      return;
    }
    for (const c of [keepCard, gridCard, selCard]) c.hidden = false;
    fillDatasets(gridDataset, scores.datasets);
    fillDatasets(selDataset, scores.datasets);
    loadKeep();
    loadGrid();
    loadSelect();
  }

  const el = h('div', { class: 'decide' }, keepCard, gridCard, selCard);
  return { el, refresh };
}
