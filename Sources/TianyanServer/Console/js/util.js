// Shared pieces of the console: the session, API calls with readable errors, a tiny element
// builder (text only: nothing from the server is ever parsed as HTML; Leaflet, which parses the
// strings it is given, gets elements from `textElement`), time formatting and an event bus the
// live feed publishes on.

export const S = {
  token: sessionStorage.getItem('tianyan.token'),
  me: null,              // {user, role}
  registry: null,        // GET /api/v1/registry
  settings: null,        // GET /api/v1/console
  units: new Map(),      // id → unit (position, kind, online, health, talking, emergency)
  map: null,
  datum: 'wgs84',
};

/**
 * Whether the logged-in user may do what `role` may (the controller's rule: the role itself, or
 * admin). A panel does not draw an action the user may not perform: no disabled buttons that
 * only say "no" (the controller refuses them anyway).
 */
export function allowed(role) {
  if (!S.me) return false;
  return S.me.role === 'admin' || S.me.role === role;
}

export class APIFailure extends Error {
  constructor(status, message, field) { super(message); this.status = status; this.field = field; }
}

export async function api(method, path, body) {
  const headers = {};
  if (S.token) headers.Authorization = 'Bearer ' + S.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new APIFailure(0, 'the controller cannot be reached (' + e.message + ')');
  }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    const err = data && data.error;
    const text = err ? (err.field ? err.field + ': ' : '') + err.message : response.status + ' ' + response.statusText;
    if (response.status === 401 && path !== '/api/v1/session') emit('logged-out', text);
    throw new APIFailure(response.status, text, err && err.field);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/** h('tr', {class: 'x', onclick: fn}, child, 'text', …) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (/^(innerHTML|outerHTML|srcdoc)$/i.test(k)) throw new Error('h(): ' + k + ' would parse text as HTML; pass children instead');
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(3)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Text for Leaflet (tooltips, labels): Leaflet sets a string content as innerHTML, so stored or
 * radio-supplied text (a task title, a community, a radio's alias) goes to it as an element
 * holding one text node, and markup in it is shown as typed.
 */
export function textElement(text) {
  const el = document.createElement('span');
  el.textContent = text;
  return el;
}

/** `text` with the characters HTML gives meaning escaped, for Leaflet options that take only HTML strings (the attribution). */
export function escapeHTML(text) {
  const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/** Replaces an element's children (arrays flattened, nulls skipped). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(3).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function toast(text, error = false) {
  const box = document.getElementById('toast');
  const el = h('div', { class: error ? 'error' : '' }, text);
  box.append(el);
  setTimeout(() => el.remove(), error ? 9000 : 4000);
}

/** Runs an action, showing its failure as a toast; returns its result or undefined. */
export async function attempt(what, fn) {
  try { return await fn(); } catch (e) { toast(what + ' failed: ' + e.message, true); return undefined; }
}

// Times: the API speaks ISO 8601 UTC; the dispatch centre reads UTC+8.
const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const localDay = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
export const clock = (t) => t ? local.format(new Date(t)) : '–';
export const stamp = (t) => t ? localDay.format(new Date(t)) : '–';
export function ago(t, now = Date.now()) {
  if (!t) return 'never';
  const s = Math.max(0, (now - new Date(t).getTime()) / 1000);
  if (s < 90) return Math.round(s) + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}
export function duration(seconds) {
  const s = Math.round(Math.abs(seconds));
  const m = Math.floor(s / 60), r = s % 60;
  return (seconds < 0 ? '-' : '') + (m >= 60 ? Math.floor(m / 60) + ' h ' + String(m % 60).padStart(2, '0') + ' min' : m + ':' + String(r).padStart(2, '0'));
}
export const fmt = (v, digits = 1, unit = '') => v === null || v === undefined ? '–' : Number(v).toFixed(digits) + (unit ? ' ' + unit : '');

// The live feed's events, and the console's own ("selected", "logged-out", …).
const listeners = new Map();
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, []);
  listeners.get(type).push(fn);
}
export function emit(type, data) {
  for (const fn of listeners.get(type) || []) {
    try { fn(data); } catch (e) { console.error('handler for ' + type + ' failed', e); }
  }
}

export function talkgroupName(gssi) {
  const tg = S.registry && S.registry.talkgroups.find((t) => t.gssi === gssi);
  return tg ? tg.name + ' (' + gssi + ')' : gssi;
}
export function unitName(id) {
  const u = S.units.get(id);
  return u && u.name && u.name !== id ? u.name + ' (' + id + ')' : id;
}

/** A modal form: fields [{name, label, value?, required?, textarea?}] → values or null. */
export function ask(title, fields, okText = 'OK') {
  const dialog = document.getElementById('dialog');
  const form = document.getElementById('dialog-form');
  fill(form, h('h2', {}, title));
  const inputs = {};
  for (const f of fields) {
    const input = f.textarea ? h('textarea', { name: f.name, rows: 3, required: f.required }) : h('input', { name: f.name, required: f.required });
    if (f.value !== undefined) input.value = f.value;
    inputs[f.name] = input;
    form.append(h('label', {}, f.label, h('br'), input));
  }
  const ok = h('button', { class: 'primary', value: 'ok', id: 'dialog-ok' }, okText);
  const cancel = h('button', { value: 'cancel', formnovalidate: true }, 'cancel');
  form.append(h('div', { class: 'row' }, ok, cancel));
  return new Promise((resolve) => {
    dialog.onclose = () => {
      if (dialog.returnValue !== 'ok') return resolve(null);
      const out = {};
      for (const [k, el] of Object.entries(inputs)) out[k] = el.value;
      resolve(out);
    };
    dialog.returnValue = '';
    dialog.showModal();
  });
}
