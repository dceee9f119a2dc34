// The runs view: every run with how far it trained and validated, its last
// loss and a best value; filter by name (or a filter expression), sort by a
// column, select runs to compare.
//
// It stays fluid with 10,000 runs: the table is virtual (only the rows in
// view, and a few around them, are in the page), and a server with run
// summaries filters, sorts and pages (GET /api/v1/runs?filter=&sort=&limit=
// &offset=&best=1), so the page holds one page of runs at a time. A server
// without them answers the plain list: then the view filters and sorts it
// itself and fetches the last loss and best report of the rows in view only.
// Changes come from the store-wide feed (followChanges), not by polling.

import { best, health, lastTraining, maxCompareRuns, runsPage } from '../api.js';
import { compareHref, fmtInt, fmtNum, h, runHref } from '../format.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { debounce, followChanges } from './common.js';

const rowHeight = 34; // px: the height of a row (app.css, table.virtual td), measured again once drawn
const overscan = 8; // rows drawn beyond each edge of the view
const pageSize = 200; // runs per request to a paging server
const parallel = 4; // detail requests in flight at once (plain-list servers)
const searchDelay = 200; // ms of quiet typing before the list is filtered
const changeDelay = 1000; // ms: changes arriving together reload the list once

/** The server's sort column of a table column (the best column is computed). */
const serverColumns = { run: 'name', trained: 'trained_until', validated: 'validated_until', loss: 'last_loss' };

export function renderRuns(main, route, ctx) {
  ctx.setCrumbs([{ text: 'Runs' }]);
  const abort = new AbortController();
  let prefs = loadPrefs();
  let filter = route.params.get('filter') || '';
  let sort = { key: 'run', dir: 1 };
  const selected = new Set();

  // The list: either paged by the server, or the whole list held here.
  let paged = null; // null until the first answer, then true or false
  let total = 0; // runs matching the filter
  let all = 0; // runs in the store (plain list), or the unfiltered total
  let pages = new Map(); // paged: page index → runs, or a promise while loading
  let stale = new Map(); // paged: the pages before a change of the runs, shown until reloaded
  let generation = 0; // bumped when the filter or sort changes: older answers are dropped
  let list = []; // plain list: every run
  let shown = []; // plain list: the runs matching the filter, sorted
  const details = new Map(); // plain list: run → {version, last, best}
  const pendingDetails = new Set();
  let healthOf = new Map(); // plain list: run → health report
  const bestKeys = new Map(); // 'dataset\0criterion' → {dataset, criterion, higherIsBetter}, first seen first

  const filterInput = h('input', {
    type: 'search',
    id: 'run-filter',
    placeholder: 'Filter runs: name, or tag.k=v best.d.c>0.8',
    value: filter,
    'aria-label': 'Filter runs',
    title: 'A part of the run name; with a paging server also an expression (docs/api.md): name~unet tag.architecture=unet repetition>=2',
    oninput: () => search(),
  });
  const search = debounce(() => {
    if (filterInput.value === filter) return;
    filter = filterInput.value;
    reload();
  }, searchDelay);
  const bestSelect = h('select', {
    id: 'runs-criterion',
    'aria-label': 'Best value shown',
    onchange: () => {
      const b = bestKeys.get(bestSelect.value);
      if (!b) return;
      prefs = savePrefs({ criterion: b.criterion, runsDataset: b.dataset });
      if (sort.key === 'best') reload();
      else draw();
    },
  });
  const compareButton = h('button', {
    type: 'button',
    id: 'compare-selected',
    class: 'primary',
    onclick: () => {
      location.hash = compareHref([...selected].slice(0, maxCompareRuns));
    },
  });
  const count = h('span', { class: 'muted', id: 'runs-count' });
  const head = h('thead');
  const body = h('tbody');
  const table = h('table', { class: 'runs virtual', id: 'runs-table' }, head, body);
  const sizer = h('div', { class: 'runs-sizer' }, table);
  const scroller = h('div', { class: 'runs-scroll', id: 'runs-scroll', onscroll: () => schedule() }, sizer);
  main.append(
    h('section', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('h1', null, 'Runs'),
        count,
        h('span', { class: 'grow' }),
        filterInput,
        h('label', { class: 'field' }, 'Best ', bestSelect),
        compareButton,
      ),
      scroller,
    ),
  );

  let rowH = rowHeight; // the rows' height as drawn
  let frame = 0;
  function schedule() {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  }
  const ro = new ResizeObserver(() => schedule());
  ro.observe(scroller);

  /** The chosen best column: {dataset, criterion, higherIsBetter} ('' dataset: mean over datasets), or null. */
  function chosenBest() {
    const keys = [...bestKeys.values()];
    const c = prefs.criterion;
    const d = prefs.runsDataset ?? '';
    return keys.find((b) => b.criterion === c && b.dataset === d)
      || keys.find((b) => b.criterion === c && b.dataset === '')
      || keys.find((b) => b.criterion === c)
      || keys.find((b) => b.dataset === '') // the mean over datasets of the first criterion
      || keys[0] || null;
  }

  /** Notes the best lines of a run (its report's or its summary's) for the column picker. */
  function noteBest(lines) {
    for (const l of lines || []) {
      const dataset = l.mean_over_datasets || l.dataset === null ? '' : l.dataset;
      const key = dataset + '\0' + l.criterion;
      if (!bestKeys.has(key)) bestKeys.set(key, { key, dataset, criterion: l.criterion, higherIsBetter: l.direction_unknown ? null : l.higher_is_better });
    }
  }

  /** The line of lines for the best column b. */
  function bestLine(lines, b) {
    if (!b || !lines) return undefined;
    return lines.find((l) => l.criterion === b.criterion && (b.dataset === '' ? l.mean_over_datasets || l.dataset === null : l.dataset === b.dataset));
  }

  /** The row of index i as the table shows it, or null while it loads. */
  function rowAt(i) {
    if (!paged) {
      const r = shown[i];
      if (!r) return null;
      const d = details.get(r.run);
      return { run: r.run, trained_until: r.trained_until, validated_until: r.validated_until,
        loaded: !!d, last_loss: d && d.last ? d.last.loss : null, best: d ? d.best : null, health: healthOf.get(r.run) };
    }
    let page = pages.get(Math.floor(i / pageSize));
    if (!Array.isArray(page)) page = stale.get(Math.floor(i / pageSize)); // shown until the new page comes
    if (!Array.isArray(page)) return null;
    const r = page[i % pageSize];
    if (!r) return null;
    const flags = r.health || [];
    const rep = flags.length ? { status: 'warning', findings: flags.map((k) => ({ kind: k, message: k.replaceAll('_', ' ') })) } : null;
    return { run: r.run, trained_until: r.trained_until, validated_until: r.validated_until,
      loaded: true, last_loss: r.trained_until ? r.last_loss : null, best: r.best, health: rep };
  }

  let headKey = '';
  function header(b) {
    // Drawn again only when it changes: a header rebuilt while scrolling
    // would lose a click that lands between press and release.
    const names = firstNames();
    const allChecked = total > 0 && names.every((r) => selected.has(r));
    const key = JSON.stringify([b && b.key, sort, allChecked, total]);
    if (key === headKey) return;
    headKey = key;
    const arrow = !b || b.higherIsBetter === null ? '' : b.higherIsBetter ? ' ↑' : ' ↓';
    const th = (key, text, cls) =>
      h('th', {
        class: (cls || '') + ' sortable' + (sort.key === key ? ' sorted' : ''),
        'aria-sort': sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : undefined,
        dataset: { sort: key },
        onclick: () => {
          sort = { key, dir: sort.key === key ? -sort.dir : 1 };
          reload();
        },
      }, text);
    const allBox = h('input', {
      type: 'checkbox',
      'aria-label': `Select the first ${maxCompareRuns} runs shown`,
      title: `Select the first ${maxCompareRuns} runs shown (a compare takes at most ${maxCompareRuns})`,
      checked: allChecked,
      onchange: (ev) => {
        for (const r of firstNames()) ev.target.checked ? selected.add(r) : selected.delete(r);
        draw();
      },
    });
    const bestTitle = b ? `Best ${b.criterion}${b.dataset ? ' on ' + b.dataset : ''}${arrow}` : 'Best';
    head.replaceChildren(h('tr', null,
      h('th', { class: 'check' }, allBox),
      th('run', 'Run', 'name-col'),
      th('trained', 'Trained until', 'num'),
      th('validated', 'Last validated', 'num'),
      th('loss', 'Last loss', 'num'),
      th('best', bestTitle, 'num'),
      h('th', { class: 'where-col' }, 'at checkpoint'),
    ));
  }

  /** The names of the first runs shown (up to the compare limit) that are loaded. */
  function firstNames() {
    const out = [];
    for (let i = 0; i < Math.min(total, maxCompareRuns); i++) {
      const r = rowAt(i);
      if (r) out.push(r.run);
    }
    return out;
  }

  function row(r, i, b) {
    if (!r) {
      return h('tr', { class: 'loading-row', dataset: { index: String(i) } }, h('td', { colspan: 7, class: 'muted' }, '…'));
    }
    const l = bestLine(r.best, b);
    const loading = r.loaded ? null : h('span', { class: 'muted' }, '…');
    return h('tr', { dataset: { run: r.run, index: String(i), health: (r.health || {}).status || '' }, class: selected.has(r.run) ? 'selected' : '' },
      h('td', { class: 'check' }, h('input', {
        type: 'checkbox',
        'aria-label': 'Select ' + r.run,
        checked: selected.has(r.run),
        onchange: (ev) => {
          ev.target.checked ? selected.add(r.run) : selected.delete(r.run);
          draw();
        },
      })),
      h('td', { class: 'name', title: r.run }, h('a', { href: runHref(r.run) }, r.run), healthBadge(r.health)),
      h('td', { class: 'num', dataset: { field: 'trained_until' } }, fmtInt(r.trained_until)),
      h('td', { class: 'num', dataset: { field: 'last_validated' }, title: 'the last checkpoint validated' }, r.validated_until ? fmtInt(r.validated_until - 1) : '—'),
      h('td', { class: 'num', dataset: { field: 'last_loss' } }, loading || (r.last_loss === null || r.last_loss === undefined ? '—' : fmtNum(r.last_loss))),
      h('td', { class: 'num strong', dataset: { field: 'best', value: l ? String(l.value) : '', dataset: b ? b.dataset : '' } }, loading || (l && !l.direction_unknown && Number.isFinite(l.value) ? fmtNum(l.value) : '—')),
      h('td', { class: 'muted small where' }, l && l.iteration !== null && l.iteration !== undefined ? `${fmtInt(l.iteration)} · ${l.parameters}` : ''),
    );
  }

  /** Draws the rows in view (and a few around them). */
  function draw() {
    if (paged === null) return;
    const b = chosenBest();
    bestSelect.replaceChildren(...(bestKeys.size
      ? [...bestKeys.values()].map((k) => h('option', { value: k.key, selected: b && k.key === b.key }, k.dataset ? `${k.criterion} · ${k.dataset}` : `${k.criterion} · mean over datasets`))
      : [h('option', { value: '' }, '—')]));
    bestSelect.disabled = bestKeys.size === 0;
    count.textContent = total === all ? `${fmtInt(all)} runs` : `${fmtInt(total)} of ${fmtInt(all)} runs`;
    compareButton.textContent = selected.size > maxCompareRuns
      ? `Compare ${fmtInt(maxCompareRuns)} of ${fmtInt(selected.size)} selected`
      : selected.size ? `Compare ${fmtInt(selected.size)} selected` : 'Compare selected';
    compareButton.title = selected.size > maxCompareRuns ? `A compare shows at most ${maxCompareRuns} runs: the first ${maxCompareRuns} selected` : '';
    compareButton.disabled = selected.size === 0;
    header(b);

    const headHeight = head.offsetHeight || rowHeight;
    sizer.style.height = `${headHeight + Math.max(total, 1) * rowH}px`;
    const view = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(scroller.scrollTop / rowH) - overscan);
    const last = Math.min(total, Math.ceil((scroller.scrollTop + view) / rowH) + overscan);
    table.style.top = `${first * rowH}px`;
    if (total === 0) {
      body.replaceChildren(h('tr', null, h('td', { colspan: 7, class: 'empty' }, all === 0
        ? 'No runs yet. Try the demo runs (statstore demo, then statstore serve), or write to the API from a training job: see docs/api.md.'
        : `No run matches “${filter}”.`)));
    } else {
      const rows = [];
      let missing = false;
      for (let i = first; i < last; i++) {
        const r = rowAt(i);
        if (!r || !r.loaded) missing = true;
        rows.push(row(r, i, b));
      }
      body.replaceChildren(...rows);
      // Rows must be exactly rowH apart, or the 10,000th drifts: measure.
      if (rows.length > 1) {
        const measured = (rows[rows.length - 1].getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top) / rows.length;
        if (measured > 0 && Math.abs(measured - rowH) > 0.01) {
          rowH = measured;
          schedule();
        }
      }
      table.dataset.state = missing ? 'loading' : 'ready';
      fetchInView(first, last);
    }
    if (total === 0) table.dataset.state = 'ready';
    table.dataset.total = String(total);
    table.dataset.all = String(all);
    table.dataset.first = String(first);
    table.dataset.mode = paged ? 'server' : 'client';
  }

  /** Fetches what the rows first..last-1 lack: their page, or (plain list) their details. */
  function fetchInView(first, last) {
    if (paged) {
      for (let p = Math.floor(first / pageSize); p <= Math.floor((last - 1) / pageSize); p++) loadPage(p);
      return;
    }
    const todo = [];
    for (let i = first; i < last; i++) {
      const r = shown[i];
      const d = r && details.get(r.run);
      if (r && (!d || d.version !== version(r)) && !pendingDetails.has(r.run)) todo.push(r);
    }
    if (todo.length) loadDetails(todo);
  }

  /** The server's sort expression. */
  function sortParam() {
    let col = serverColumns[sort.key];
    if (sort.key === 'best') {
      const b = chosenBest();
      if (!b) return 'name';
      col = `best.${b.dataset}.${b.criterion}`;
      // Best first: descending when higher is better.
      const desc = (b.higherIsBetter === false) === (sort.dir < 0);
      return (desc ? '-' : '') + col + ',name';
    }
    return (sort.dir < 0 ? '-' : '') + col + (col === 'name' ? '' : ',name');
  }

  /** The server's filter expression: an expression as typed, or a part of the name. */
  function filterParam() {
    const f = filter.trim();
    if (!f) return '';
    if (/[=~<>]/.test(f)) return f;
    return `name~${JSON.stringify(f)}`;
  }

  function loadPage(p) {
    if (pages.has(p)) return;
    const gen = generation;
    const promise = runsPage({ filter: filterParam(), sort: sortParam(), limit: pageSize, offset: p * pageSize }, abort.signal)
      .then((got) => {
        if (gen !== generation) return;
        if (!got.paged) {
          // The server stopped paging (an older one took over): start over.
          paged = null;
          reload();
          return;
        }
        pages.set(p, got.runs);
        for (const r of got.runs) noteBest(r.best);
        total = got.total;
        if (!filter.trim()) all = total;
        schedule();
      })
      .catch((err) => {
        if (gen === generation) pages.delete(p);
        report(err);
      });
    pages.set(p, promise);
  }

  /** Fetches the last loss and best report of runs (plain list), a few at a time. */
  function loadDetails(todo) {
    for (const r of todo) pendingDetails.add(r.run);
    let i = 0;
    const worker = async () => {
      while (i < todo.length) {
        const r = todo[i++];
        try {
          const [last, lines] = await Promise.all([
            r.trained_until ? lastTraining(r.run, abort.signal) : null,
            r.validated_until ? best(r.run, abort.signal) : null,
          ]);
          details.set(r.run, { version: version(r), last, best: lines });
          noteBest(lines);
        } finally {
          pendingDetails.delete(r.run);
        }
        if (sort.key === 'loss' || sort.key === 'best') applyFilter(); // the order depends on what was loaded
        schedule();
      }
    };
    Promise.all(Array.from({ length: Math.min(parallel, todo.length) }, worker)).catch(report);
  }

  /** Plain list: the runs matching the filter, in the chosen order. */
  function applyFilter() {
    const needle = filter.trim().toLowerCase();
    const b = chosenBest();
    shown = needle ? list.filter((r) => r.run.toLowerCase().includes(needle)) : [...list];
    const value = (r) => {
      const d = details.get(r.run);
      switch (sort.key) {
        case 'trained':
          return r.trained_until;
        case 'validated':
          return r.validated_until;
        case 'loss':
          return d && d.last ? d.last.loss : NaN;
        case 'best': {
          const l = d && bestLine(d.best, b);
          if (!l || Number.isNaN(l.value)) return NaN;
          return l.higher_is_better ? -l.value : l.value; // best first
        }
        default:
          return r.run;
      }
    };
    shown.sort((x, y) => {
      const a = value(x);
      const c = value(y);
      if (typeof a === 'string') return sort.dir * (a < c ? -1 : a > c ? 1 : 0);
      if (Number.isNaN(a)) return Number.isNaN(c) ? 0 : 1; // missing values last
      if (Number.isNaN(c)) return -1;
      return sort.dir * (a - c) || (x.run < y.run ? -1 : 1);
    });
    total = shown.length;
    all = list.length;
  }

  /** Reloads the list from the first row: after a change of filter or sort, or of the runs. */
  async function reload({ keepScroll = false } = {}) {
    generation++;
    const gen = generation;
    if (!keepScroll) scroller.scrollTop = 0;
    if (paged === false) {
      applyFilter();
      draw();
      return;
    }
    try {
      const got = await runsPage({ filter: filterParam(), sort: sortParam(), limit: pageSize, offset: 0 }, abort.signal);
      if (gen !== generation) return;
      if (got.paged) {
        paged = true;
        pages = new Map([[0, got.runs]]);
        stale = new Map();
        for (const r of got.runs) noteBest(r.best);
        total = got.total;
        if (!filter.trim()) all = total;
        else if (!all) all = total;
      } else {
        paged = false;
        setList(got.runs);
        applyFilter();
        loadHealth();
      }
      draw();
      ctx.setStatus('updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      report(err);
    }
  }

  /** Plain list: takes a new list, keeping the details of runs that did not change. */
  function setList(runs) {
    list = runs;
    const names = new Set(runs.map((r) => r.run));
    for (const s of [...selected]) if (!names.has(s)) selected.delete(s);
  }

  /** Plain list: every run's health report, in one request. */
  async function loadHealth() {
    try {
      const reports = await health(abort.signal);
      healthOf = new Map(reports.map((r) => [r.run, r]));
      schedule();
    } catch (err) {
      report(err);
    }
  }

  /** Plain list: fetches the list again, keeping the scroll position. */
  async function refreshList() {
    try {
      const got = await runsPage({ limit: pageSize }, abort.signal);
      if (got.paged) {
        paged = null;
        reload({ keepScroll: true });
        return;
      }
      setList(got.runs);
      applyFilter();
      loadHealth();
      draw();
      ctx.setStatus('updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      report(err);
    }
  }

  function report(err) {
    if (err && err.name !== 'AbortError') ctx.showError(err);
  }

  // Changes: reload what is shown once they stop arriving for a moment.
  const changed = debounce(() => {
    if (paged) {
      generation++;
      stale = new Map([...pages].filter(([, p]) => Array.isArray(p)));
      pages = new Map();
      schedule();
    } else {
      refreshList();
    }
  }, changeDelay);
  const stopFeed = followChanges({}, () => changed());

  reload();
  return () => {
    stopFeed();
    changed.cancel();
    search.cancel();
    cancelAnimationFrame(frame);
    ro.disconnect();
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
