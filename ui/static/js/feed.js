// The store's change feed (GET /api/v1/events, docs/api.md): one
// EventSource shared by every view that follows changes. Events are hints:
// a view re-reads what changed from the API. After "resync" (the server or
// this page may have missed changes) views reload everything they show.
//
//   const stop = watch({ runs: ['a'], onEvent(ev) {...}, onResync() {...} });
//
// ev is {kind, run, from, to, id}. Events are delivered in order per run;
// an event whose id was delivered already (a reconnection through another
// server replica) is dropped.

import { token } from './api.js';

const kinds = ['run_created', 'run_deleted', 'training_appended', 'training_replaced', 'validation_merged', 'meta_changed'];
const reconnectMillis = 3000; // after the server refused the stream
const rememberedIds = 2000; // ids kept to drop duplicates

const subscribers = new Set();
let source = null;
let lastId = '';
let reconnectTimer = null;
const seen = new Set();
const seenOrder = [];

function dispatch(ev) {
  for (const s of [...subscribers]) {
    if (!s.runs || s.runs.includes(ev.run)) s.onEvent(ev);
  }
}

function resync() {
  for (const s of [...subscribers]) s.onResync();
}

function setState(state) {
  for (const s of [...subscribers]) if (s.onState) s.onState(state);
}

function open() {
  const url = new URL('api/v1/events', document.baseURI);
  const t = token();
  if (t) url.searchParams.set('access_token', t);
  // A stream opened again by hand (not by the browser's own reconnection)
  // resumes after the last event seen; the server answers resync if it cannot.
  if (lastId) url.searchParams.set('last_event_id', lastId);
  const es = new EventSource(url);
  source = es;
  setState('connecting');
  es.onopen = () => setState('live');
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) {
      setState('connecting'); // the browser reconnects with Last-Event-ID
      return;
    }
    setState('closed');
    source = null;
    if (subscribers.size && !reconnectTimer) {
      reconnectTimer = setTimeout(() => {
        reconnectTimer = null;
        if (subscribers.size && !source) open();
      }, reconnectMillis);
    }
  };
  for (const kind of kinds) {
    es.addEventListener(kind, (msg) => {
      if (msg.lastEventId) lastId = msg.lastEventId;
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        resync(); // unreadable: what changed is unknown
        return;
      }
      if (data.id) {
        if (seen.has(data.id)) return;
        seen.add(data.id);
        seenOrder.push(data.id);
        if (seenOrder.length > rememberedIds) seen.delete(seenOrder.shift());
      }
      dispatch({ kind, run: data.run, from: data.from, to: data.to, id: data.id || '' });
    });
  }
  es.addEventListener('resync', (msg) => {
    if (msg.lastEventId) lastId = msg.lastEventId;
    resync();
  });
}

/**
 * Follows the store's changes until the returned function is called.
 * runs: the run names to follow (all when omitted); onEvent(ev) for each
 * change; onResync() when everything shown must be read again; onState(s)
 * with 'connecting' | 'live' | 'closed'.
 */
export function watch({ runs = null, onEvent, onResync, onState } = {}) {
  const s = { runs, onEvent: onEvent || (() => {}), onResync: onResync || (() => {}), onState };
  subscribers.add(s);
  if (!source) open();
  else if (onState) onState(source.readyState === EventSource.OPEN ? 'live' : 'connecting');
  return () => {
    subscribers.delete(s);
    if (subscribers.size === 0) {
      if (source) source.close();
      source = null;
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
  };
}
