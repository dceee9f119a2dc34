// The leaderboard: per dataset × criterion, runs ranked by their best value,
// the runs that differ only in repetition (or share the group-by tag or
// configuration value) grouped as mean ± standard deviation, min and max
// over the group, with the count; a group opens to its runs. From GET
// /api/v1/leaderboard (docs/api.md).

import { ApiError, leaderboard } from '../api.js';
import { compareHref, fmtInt, fmtNum, h, runHref } from '../format.js';
import { debounce, followChanges } from './common.js';

const shownRows = 50; // rows of a board shown before "show all"
const changeDelay = 2000; // ms: changes arriving together reload the board once

/** The leaderboard's location for the chosen options. */
function boardHref(o) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ dataset: o.dataset, criterion: o.criterion, group_by: o.groupBy, filter: o.filter })) if (v) q.set(k, v);
  const s = q.toString();
  return '#/leaderboard' + (s ? '?' + s : '');
}

export function renderLeaderboard(main, route, ctx) {
  ctx.setCrumbs([{ text: 'Runs', href: '#/' }, { text: 'Leaderboard' }]);
  const abort = new AbortController();
  const p = route.params;
  const opts = { dataset: p.get('dataset') || '', criterion: p.get('criterion') || '', groupBy: p.get('group_by') || '', filter: p.get('filter') || '' };
  const expanded = new Set(); // 'board\0group' of the open groups
  const showAll = new Set(); // boards whose every row is shown
  let answer = null;
  let seq = 0;
  let criterionChosen = opts.criterion !== ''; // else the first criterion is shown, not every one

  const go = (changes) => {
    if ('criterion' in changes) criterionChosen = true;
    Object.assign(opts, changes);
    history.replaceState(null, '', boardHref(opts)); // the address says what is shown, without reloading the view
    load();
  };
  const datasetSelect = h('select', { id: 'lb-dataset', 'aria-label': 'Dataset', onchange: () => go({ dataset: datasetSelect.value }) });
  const criterionSelect = h('select', { id: 'lb-criterion', 'aria-label': 'Criterion', onchange: () => go({ criterion: criterionSelect.value }) });
  const groupInput = h('input', {
    type: 'search',
    id: 'lb-group-by',
    value: opts.groupBy,
    placeholder: 'repetitions',
    list: 'lb-group-keys',
    'aria-label': 'Group by',
    title: 'A tag or configuration key (architecture, trainer, task.name); empty groups the repetitions of a run (name__<n> or a repetition tag)',
  });
  const groupKeys = h('datalist', { id: 'lb-group-keys' }, ['architecture', 'trainer', 'task', 'datasplit'].map((k) => h('option', { value: k })));
  const filterInput = h('input', {
    type: 'search',
    id: 'lb-filter',
    value: opts.filter,
    placeholder: 'Filter: name~unet tag.trainer=adam',
    'aria-label': 'Filter runs',
  });
  const typed = debounce(() => go({ groupBy: groupInput.value.trim(), filter: filterInput.value.trim() }), 300);
  groupInput.addEventListener('input', typed);
  filterInput.addEventListener('input', typed);
  const boardsEl = h('div', { class: 'boards', id: 'leaderboard' });
  main.append(
    h('section', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('h1', null, 'Leaderboard'),
        h('span', { class: 'grow' }),
        h('label', { class: 'field' }, 'Dataset ', datasetSelect),
        h('label', { class: 'field' }, 'Criterion ', criterionSelect),
        h('label', { class: 'field' }, 'Group by ', groupInput, groupKeys),
        filterInput,
      ),
      h('p', { class: 'muted small' }, 'Each run counts with its best checkpoint (superseded checkpoints left out). A group holds the runs that differ only in repetition, or share the group-by value: its mean ± standard deviation, min and max over the runs, and how many.'),
    ),
    boardsEl,
  );

  async function load() {
    const s = ++seq;
    boardsEl.dataset.state = answer ? 'updating' : 'loading';
    try {
      const got = await leaderboard(opts, abort.signal);
      if (s !== seq) return;
      answer = got;
      // By default one criterion (the first): every board of a large store at once is a lot to read.
      if (!criterionChosen && got.criteria.length > 1 && got.boards.length > got.datasets.length) {
        opts.criterion = got.criteria[0];
        history.replaceState(null, '', boardHref(opts));
        answer.boards = got.boards.filter((b) => b.criterion === opts.criterion);
      }
      draw();
      ctx.setStatus('updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      if (err.name === 'AbortError' || s !== seq) return;
      if (err instanceof ApiError && err.status === 404 && err.code === 'not_found' && /no API route/.test(err.message)) {
        boardsEl.replaceChildren(h('section', { class: 'card' }, h('p', { class: 'empty' }, 'This server has no leaderboard (GET /api/v1/leaderboard): it predates run summaries.')));
        boardsEl.dataset.state = 'absent';
        return;
      }
      boardsEl.dataset.state = 'error';
      ctx.showError(err);
    }
  }

  function draw() {
    const a = answer;
    datasetSelect.replaceChildren(h('option', { value: '' }, 'every dataset'), ...a.datasets.map((d) => h('option', { value: d, selected: d === opts.dataset }, d)));
    criterionSelect.replaceChildren(h('option', { value: '' }, 'every criterion'), ...a.criteria.map((c) => h('option', { value: c, selected: c === opts.criterion }, c)));
    if (a.boards.length === 0) {
      boardsEl.replaceChildren(h('section', { class: 'card' }, h('p', { class: 'empty' }, 'No run has validation scores here yet.')));
    } else {
      boardsEl.replaceChildren(...a.boards.map(drawBoard));
    }
    boardsEl.dataset.state = 'ready';
    boardsEl.dataset.boards = String(a.boards.length);
  }

  function drawBoard(b) {
    const id = b.dataset + '\0' + b.criterion;
    const higher = b.direction === 'higher';
    const all = showAll.has(id);
    const rows = all ? b.rows : b.rows.slice(0, shownRows);
    const runsIn = b.rows.reduce((n, r) => n + r.count, 0);
    const body = [];
    rows.forEach((r, i) => {
      const key = id + '\0' + r.group;
      const open = expanded.has(key);
      const toggle = h('button', {
        type: 'button',
        class: 'link expand',
        'aria-expanded': open ? 'true' : 'false',
        'aria-label': (open ? 'Hide' : 'Show') + ' the runs of ' + r.group,
        onclick: () => {
          open ? expanded.delete(key) : expanded.add(key);
          draw();
        },
      }, open ? '▾' : '▸');
      body.push(h('tr', { class: 'group-row' + (open ? ' open' : ''), dataset: { group: r.group, count: String(r.count), mean: String(r.mean), std: String(r.std) } },
        h('td', { class: 'num rank' }, String(i + 1)),
        h('td', { class: 'name' }, r.count > 1 || r.runs.length > 1 ? toggle : null, ' ', r.count === 1 && r.runs.length === 1 ? h('a', { href: runHref(r.runs[0]) }, r.group) : r.group),
        h('td', { class: 'num' }, fmtInt(r.count)),
        h('td', { class: 'num strong', dataset: { field: 'mean' } }, fmtNum(r.mean), r.count > 1 ? h('span', { class: 'muted std' }, ' ± ' + fmtNum(r.std)) : null),
        h('td', { class: 'num', dataset: { field: 'min' } }, fmtNum(r.min)),
        h('td', { class: 'num', dataset: { field: 'max' } }, fmtNum(r.max)),
        h('td', { class: 'small' }, h('a', { href: runHref(r.best_run) }, r.best_run), h('span', { class: 'muted' }, ` · ${fmtInt(r.best_iteration)} · ${r.best_parameters}`)),
      ));
      if (open) {
        body.push(h('tr', { class: 'group-runs' },
          h('td'),
          h('td', { colspan: 6 },
            h('div', { class: 'group-run-list' },
              ...r.runs.map((run) => h('a', { class: 'chip', href: runHref(run), dataset: { run } }, run)),
              r.runs.length > 1 ? h('a', { class: 'button small', href: compareHref(r.runs.slice(0, 100)) }, 'Compare these') : null,
            ),
          ),
        ));
      }
    });
    return h('section', { class: 'card board', dataset: { dataset: b.dataset, criterion: b.criterion } },
      h('div', { class: 'toolbar' },
        h('h2', null, `${b.criterion} ${higher ? '↑' : '↓'}`, h('span', { class: 'muted' }, ' on ' + b.dataset)),
        h('span', { class: 'muted small' }, `${fmtInt(b.rows.length)} groups · ${fmtInt(runsIn)} runs · ${higher ? 'higher' : 'lower'} is better`),
      ),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'runs leaderboard' },
          h('thead', null, h('tr', null,
            h('th', { class: 'num rank' }, '#'), h('th', null, opts.groupBy ? `Group (${opts.groupBy})` : 'Group'), h('th', { class: 'num' }, 'Runs'),
            h('th', { class: 'num' }, 'Mean ± std'), h('th', { class: 'num' }, 'Min'), h('th', { class: 'num' }, 'Max'), h('th', null, 'Best run · checkpoint · parameters'),
          )),
          h('tbody', null, body),
        ),
      ),
      b.rows.length > shownRows
        ? h('button', { type: 'button', class: 'small show-all', onclick: () => {
          all ? showAll.delete(id) : showAll.add(id);
          draw();
        } }, all ? `Show the first ${shownRows}` : `Show all ${fmtInt(b.rows.length)} groups`)
        : null,
    );
  }

  const changed = debounce(() => load(), changeDelay);
  const stopFeed = followChanges({}, () => changed());
  load();
  return () => {
    stopFeed();
    changed.cancel();
    typed.cancel();
    abort.abort();
  };
}
