// The dashboard: a router over the URL fragment and the page frame (breadcrumbs,
// status, error banner, token prompt). Each view renders into <main> and
// returns a function that releases what it holds (fetches, event streams, charts).

import { ApiError, setToken } from './api.js';
import { h } from './format.js';
import { renderRuns } from './views/runs.js';
import { renderRun } from './views/run.js';
import { renderCompare } from './views/compare.js';
import { renderLeaderboard } from './views/leaderboard.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
const status = document.getElementById('status');
const banner = document.getElementById('banner');

let dispose = () => {};

/** Parses the fragment: #/, #/run/<run>, #/compare?run=a&run=b, #/leaderboard?criterion=&group_by=. */
function parseRoute(hash) {
  const frag = hash.replace(/^#/, '') || '/';
  const [path, query = ''] = frag.split('?');
  const params = new URLSearchParams(query);
  if (path.startsWith('/run/')) {
    return { view: 'run', run: decodeURIComponent(path.slice('/run/'.length)), params };
  }
  if (path === '/compare') return { view: 'compare', runs: params.getAll('run'), params };
  if (path === '/leaderboard') return { view: 'leaderboard', params };
  return { view: 'runs', params };
}

/** Shows an error above the page; a 401 asks for the token instead. */
function showError(err) {
  if (err instanceof ApiError && err.status === 401) {
    askToken(err.message);
    return;
  }
  banner.replaceChildren(
    h('strong', null, 'Error: '),
    err && err.message ? err.message : String(err),
    h('button', { class: 'link', type: 'button', onclick: () => (banner.hidden = true) }, 'dismiss'),
  );
  banner.hidden = false;
}

/** Asks for the server's bearer token and reloads the view with it. */
function askToken(message) {
  if (main.querySelector('.token-form')) return; // already asking (several requests were refused)
  dispose();
  dispose = () => {};
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'token', size: 40 });
  const form = h(
    'form',
    {
      class: 'card token-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        setToken(input.value.trim());
        route();
      },
    },
    h('h2', null, 'This server needs a token'),
    h('p', { class: 'muted' }, message),
    h('p', null, 'Enter the token of its --token-file. It is kept for this browser tab only.'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'primary' }, 'Open')),
  );
  main.replaceChildren(form);
  input.focus();
}

function setCrumbs(items) {
  crumbs.replaceChildren(
    ...items.flatMap((it, i) => [
      ...(i > 0 ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '/')] : []),
      it.href ? h('a', { href: it.href }, it.text) : h('span', { class: 'here' }, it.text),
    ]),
  );
}

function setStatus(text, kind = '') {
  status.textContent = text;
  status.className = 'status' + (kind ? ' ' + kind : '');
}

function route() {
  dispose();
  banner.hidden = true;
  setStatus('');
  const r = parseRoute(location.hash);
  document.body.dataset.view = r.view;
  const ctx = { setCrumbs, setStatus, showError };
  main.replaceChildren();
  const views = { runs: renderRuns, run: renderRun, compare: renderCompare, leaderboard: renderLeaderboard };
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('current', a.dataset.view === r.view);
  try {
    dispose = views[r.view](main, r, ctx) || (() => {});
  } catch (err) {
    dispose = () => {};
    showError(err);
  }
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
