// The runs view: every run with how far it trained and validated, its last
// loss and the best value of a chosen criterion; filter by name, sort by a
// column, select runs to compare.

import { best, health, lastTraining, listRuns } from '../api.js';
import { compareHref, fmtInt, fmtNum, h, runHref } from '../format.js';
import { watch } from '../feed.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { throttle } from './common.js';

const parallel = 4; // detail requests in flight at once

export function renderRuns(main, route, ctx) {
  ctx.setCrumbs([{ text: 'Runs' }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  let runs = null; // the API's list, null until loaded
  const details = new Map(); // run → {version, last, best}
  let healthOf = new Map(); // run → its health report (statstore check)
  let healthVersion = ''; // the runs' versions the reports are of
  const selected = new Set();
  let filter = route.params.get('filter') || '';
  let sort = { key: 'run', dir: 1 };

  const filterInput = h('input', {
    type: 'search',
    id: 'run-filter',
    placeholder: 'Filter runs by name',
    value: filter,
    'aria-label': 'Filter runs by name',
    oninput: () => {
      filter = filterInput.value;
      draw();
    },
  });
  const criterionSelect = h('select', {
    id: 'runs-criterion',
    'aria-label': 'Criterion',
    onchange: () => {
      prefs = savePrefs({ criterion: criterionSelect.value });
      draw();
    },
  });
  const compareButton = h('button', {
    type: 'button',
    id: 'compare-selected',
    class: 'primary',
    onclick: () => {
      location.hash = compareHref([...selected]);
    },
  });
  const count = h('span', { class: 'muted' });
  const table = h('table', { class: 'runs', id: 'runs-table' });
  main.append(
    h('section', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('h1', null, 'Runs'),
        count,
        h('span', { class: 'grow' }),
        filterInput,
        h('label', { class: 'field' }, 'Criterion ', criterionSelect),
        compareButton,
      ),
      table,
    ),
  );

  /** Every criterion named in the runs' best reports, in first-seen order. */
  function criteria() {
    const seen = new Map();
    for (const d of details.values()) {
      for (const l of d.best || []) if (!seen.has(l.criterion)) seen.set(l.criterion, l.direction_unknown ? null : l.higher_is_better);
    }
    return seen;
  }

  function chosenCriterion(all) {
    if (all.has(prefs.criterion)) return prefs.criterion;
    return all.size ? all.keys().next().value : '';
  }

  /** The best line over datasets of criterion c, or undefined. */
  function bestLine(run, c) {
    const d = details.get(run);
    return d && d.best ? d.best.find((l) => l.mean_over_datasets && l.criterion === c) : undefined;
  }

  function sortValue(r, key, c) {
    const d = details.get(r.run);
    switch (key) {
      case 'trained':
        return r.trained_until;
      case 'validated':
        return r.validated_until;
      case 'loss':
        return d && d.last ? d.last.loss : NaN;
      case 'best': {
        const l = bestLine(r.run, c);
        if (!l || Number.isNaN(l.value)) return NaN;
        return l.higher_is_better ? -l.value : l.value; // best first
      }
      default:
        return r.run;
    }
  }

  function draw() {
    if (runs === null) return;
    const all = criteria();
    const c = chosenCriterion(all);
    criterionSelect.replaceChildren(
      ...(all.size ? [...all.keys()] : ['—']).map((name) => h('option', { value: name, selected: name === c }, name)),
    );
    criterionSelect.disabled = all.size === 0;
    const needle = filter.trim().toLowerCase();
    const shown = runs.filter((r) => r.run.toLowerCase().includes(needle));
    shown.sort((a, b) => {
      const x = sortValue(a, sort.key, c);
      const y = sortValue(b, sort.key, c);
      if (typeof x === 'string') return sort.dir * x.localeCompare(y);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1; // missing values last
      if (Number.isNaN(y)) return -1;
      return sort.dir * (x - y);
    });
    count.textContent = shown.length === runs.length ? `${runs.length} runs` : `${shown.length} of ${runs.length} runs`;
    compareButton.textContent = selected.size ? `Compare ${selected.size} selected` : 'Compare selected';
    compareButton.disabled = selected.size === 0;

    const arrow = all.get(c) === undefined || all.get(c) === null ? '' : all.get(c) ? ' ↑' : ' ↓';
    const th = (key, text, cls) =>
      h('th', {
        class: (cls || '') + ' sortable' + (sort.key === key ? ' sorted' : ''),
        'aria-sort': sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : undefined,
        onclick: () => {
          sort = { key, dir: sort.key === key ? -sort.dir : 1 };
          draw();
        },
      }, text);
    const allBox = h('input', {
      type: 'checkbox',
      'aria-label': 'Select all shown runs',
      checked: shown.length > 0 && shown.every((r) => selected.has(r.run)),
      onchange: (ev) => {
        for (const r of shown) ev.target.checked ? selected.add(r.run) : selected.delete(r.run);
        draw();
      },
    });
    const head = h('thead', null, h('tr', null,
      h('th', { class: 'check' }, allBox),
      th('run', 'Run'),
      th('trained', 'Trained until', 'num'),
      th('validated', 'Last validated', 'num'),
      th('loss', 'Last loss', 'num'),
      th('best', `Best ${c || 'score'}${arrow}`, 'num'),
      h('th', null, 'at checkpoint'),
    ));
    const rows = shown.map((r) => {
      const d = details.get(r.run);
      const l = bestLine(r.run, c);
      const loading = !d ? h('span', { class: 'muted' }, '…') : null;
      return h('tr', { dataset: { run: r.run, health: (healthOf.get(r.run) || {}).status || '' }, class: selected.has(r.run) ? 'selected' : '' },
        h('td', { class: 'check' }, h('input', {
          type: 'checkbox',
          'aria-label': 'Select ' + r.run,
          checked: selected.has(r.run),
          onchange: (ev) => {
            ev.target.checked ? selected.add(r.run) : selected.delete(r.run);
            draw();
          },
        })),
        h('td', { class: 'name' }, h('a', { href: runHref(r.run) }, r.run), healthBadge(healthOf.get(r.run))),
        h('td', { class: 'num', dataset: { field: 'trained_until' } }, fmtInt(r.trained_until)),
        h('td', { class: 'num', dataset: { field: 'last_validated' }, title: 'the last checkpoint validated' }, r.validated_until ? fmtInt(r.validated_until - 1) : '—'),
        h('td', { class: 'num', dataset: { field: 'last_loss' } }, loading || (d.last ? fmtNum(d.last.loss) : '—')),
        h('td', { class: 'num strong', dataset: { field: 'best', value: l ? String(l.value) : '' } }, loading || (l ? fmtNum(l.value) : '—')),
        h('td', { class: 'muted small' }, l && l.iteration !== null ? `${fmtInt(l.iteration)} · ${l.parameters}` : ''),
      );
    });
    let body;
    if (runs.length === 0) {
      body = h('tbody', null, h('tr', null, h('td', { colspan: 7, class: 'empty' },
        'No runs yet. Try the demo runs (statstore demo, then statstore serve), or write to the API from a training job: see docs/api.md.')));
    } else if (rows.length === 0) {
      body = h('tbody', null, h('tr', null, h('td', { colspan: 7, class: 'empty' }, `No run name contains “${filter}”.`)));
    } else {
      body = h('tbody', null, rows);
    }
    table.replaceChildren(head, body);
    table.dataset.state = [...runs].every((r) => details.has(r.run)) ? 'ready' : 'loading';
  }

  /** Fetches every run's health report (statstore check) when any run changed. */
  async function loadHealth(list) {
    const v = list.map(version).join(';');
    if (v === healthVersion) return;
    const reports = await health(abort.signal);
    healthOf = new Map(reports.map((r) => [r.run, r]));
    healthVersion = v;
  }

  /** Fetches the last loss and best report of the runs that changed. */
  async function loadDetails(list) {
    const todo = list.filter((r) => {
      const d = details.get(r.run);
      return !d || d.version !== version(r);
    });
    let i = 0;
    const worker = async () => {
      while (i < todo.length) {
        const r = todo[i++];
        const [last, bestLines] = await Promise.all([
          r.trained_until ? lastTraining(r.run, abort.signal) : null,
          r.validated_until ? best(r.run, abort.signal) : null,
        ]);
        details.set(r.run, { version: version(r), last, best: bestLines });
        draw();
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  async function refresh() {
    try {
      const list = await listRuns(abort.signal);
      runs = list;
      const names = new Set(list.map((r) => r.run));
      for (const s of [...selected]) if (!names.has(s)) selected.delete(s);
      draw();
      await Promise.all([loadDetails(list), loadHealth(list)]);
      draw();
      ctx.setStatus('updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      if (err.name !== 'AbortError') ctx.showError(err);
    }
  }

  refresh();
  // Live: any change of the store re-reads the list (at most once a second).
  const refreshSoon = throttle(refresh, 1000);
  const unwatch = watch({ onEvent: refreshSoon, onResync: refreshSoon });
  return () => {
    unwatch();
    refreshSoon.cancel();
    abort.abort();
  };
}

/** A warning or failure badge for a run's health report (nothing when healthy or unknown). */
function healthBadge(rep) {
  if (!rep || rep.status === 'ok') return null;
  return h('span', {
    class: 'badge health-badge ' + rep.status,
    title: rep.findings.map((f) => f.message).join('\n'),
    dataset: { kinds: rep.findings.map((f) => f.kind).join(' ') },
  }, rep.findings.length === 1 ? rep.findings[0].kind.replaceAll('_', ' ') : `${rep.findings.length} problems`);
}

function version(r) {
  return `${r.trained_until}/${r.training_iterations}/${r.validated_until}/${r.validation_iterations}`;
}
