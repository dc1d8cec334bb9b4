// The console's start: log in, load the registry and the units, open the live feed, and hand
// events to the panels. `window.tianyan` exposes the state for the browser tests and for anyone
// debugging at the console.
import './leaflet.js';
import { S, api, get, post, h, on, emit, toast, attempt, clock, ago, fmt, unitName, allowed, fill } from './util.js';
import { initMap, setCells, setCoverage, setHeat, fitCells, redraw, toMap, frameStats, overlay, redrawCellsForDatum } from './map.js';
import { startLive, liveState } from './live.js';
import * as talk from './talk.js';
import * as alarms from './alarms.js';
import * as pages from './pages.js';
import * as tasks from './tasks.js';
import * as sorties from './sorties.js';
import * as maint from './maint.js';
import * as replay from './replay.js';

const cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
window.tianyan = { S, frameStats, liveState, csp: cspViolations };
const $ = (id) => document.getElementById(id);

async function login(event) {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    const r = await api('POST', '/api/v1/session', { name: $('login-name').value, password: $('login-password').value });
    S.token = r.token;
    sessionStorage.setItem('tianyan.token', r.token);
    $('login-password').value = '';
    await start();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
}

function loggedOut(reason) {
  S.token = null;
  sessionStorage.removeItem('tianyan.token');
  $('login').classList.remove('hidden');
  if (reason) $('login-error').textContent = reason;
}

let started = false;
async function start() {
  // Everything the first screen needs, at once: the session check and the data in parallel.
  const me = get('/api/v1/session');
  const data = Promise.all([get('/api/v1/console'), get('/api/v1/registry'), get('/api/v1/registry/cells'), get('/api/v1/units?limit=10000')]);
  data.catch(() => {});
  const before = S.me;
  try {
    S.me = await me;
  } catch (e) {
    loggedOut(S.token ? 'your session has ended; log in again' : '');
    return;
  }
  // The panels were drawn with the actions of the role logged in first: another user logging
  // in on this page (after the session ended) gets a fresh page (the token is kept for it).
  if (started && (before.user !== S.me.user || before.role !== S.me.role)) { location.reload(); return; }
  $('login').classList.add('hidden');
  $('who').textContent = S.me.user + ' · ' + S.me.role;
  document.body.dataset.role = S.me.role;
  if (started) { emit('restarted'); return; }
  started = true;
  alarms.unlockSound();
  let settings, registry, cells, units;
  try {
    [settings, registry, cells, units] = await data;
  } catch (e) {
    toast('the console cannot load its data: ' + e.message, true);
    return;
  }
  S.settings = settings;
  S.datum = S.settings.tile_datum || 'wgs84';
  $('datum').value = S.datum;
  if (!window.L) {
    toast('Leaflet is not installed on the controller (apt-get install libjs-leaflet); the map cannot be drawn', true);
    return;
  }
  initMap(S.settings);
  S.registry = registry;
  for (const u of units.units) S.units.set(u.id, { ...u });
  for (const d of registry.docks || []) {
    const u = S.units.get(d.serial) || { id: d.serial, kind: 'dock', name: d.name, online: false };
    u.formation = d.formation;
    if (!u.position && d.location) u.position = { lat: d.location.latitude, lon: d.location.longitude };
    S.units.set(d.serial, u);
  }
  for (const r of registry.radios || []) {
    const u = S.units.get(r.issi);
    if (u) { u.name = r.alias || u.name; u.person = r.person; u.talkgroups = r.talkgroups; }
  }
  setCells(cells);
  fitCells();
  for (const m of [talk, alarms, pages, tasks, sorties, maint, replay]) m.init();
  unitsPanel();
  startLive();
  attempt('loading coverage', async () => setCoverage(await get('/api/v1/coverage')));
  setInterval(() => { $('clock').textContent = clock(Date.now()) + ' UTC+8'; }, 1000);
  setInterval(markOffline, 5000);
  checkHealth();
  setInterval(checkHealth, 10000);
  emit('ready');
  // Milliseconds since navigation start, once the map has been drawn with every unit (the
  // console's first-load time in tools/bench-console).
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.tianyan.readyAt = performance.now();
    document.body.dataset.ready = 'true';
  }));
}

// /healthz problem names in a dispatcher's words.
function problemText(p) {
  const words = {
    'broker': 'dock link down (broker)', 'database writes': 'database not saving', 'database': 'database unreadable',
    'mqtt journal full': 'dock link paused: disk full', 'positions dropped': 'positions dropped',
  };
  if (words[p]) return words[p];
  if (p.startsWith('gateway ')) return 'radio ' + p + ' down';
  return p;
}

// The controller's own faults (database writes failing, the broker or a gateway down, the MQTT
// journal out of disk room) in the bar, with the details in the tooltip: a dispatcher should not
// have to read /healthz to learn that what the map shows is not being stored.
async function checkHealth() {
  const chip = $('health');
  let body;
  try {
    const r = await fetch('/healthz');
    body = await r.json();
  } catch (e) {
    chip.className = 'chip off';
    chip.textContent = 'system: no answer';
    chip.title = 'the controller did not answer /healthz: ' + e.message;
    return;
  }
  const problems = body.problems || [];
  chip.className = problems.length ? 'chip off' : 'chip on';
  chip.textContent = problems.length ? 'system: ' + problems.map(problemText).join(', ') : 'system ok';
  const lines = ['checked ' + clock(Date.now()), 'database: ' + body.database];
  if (body.broker) lines.push('broker: ' + (body.broker.connected ? 'connected' : 'not connected') + (body.broker.last_error ? ' (' + body.broker.last_error + ')' : ''));
  for (const g of body.gateways || []) lines.push('gateway ' + g.name + ': ' + (g.ready ? 'ready' : 'not ready') + (g.last_error ? ' (' + g.last_error + ')' : ''));
  if (body.store && body.store.failing) lines.push('records waiting in memory: ' + body.store.pending);
  chip.title = lines.join('\n');
  window.tianyan.health = body;
}

function markOffline() {
  const limit = (S.settings.online_seconds || 60) * 1000, now = Date.now();
  let changed = false;
  for (const u of S.units.values()) {
    const online = !!u.last_seen && now - new Date(u.last_seen).getTime() <= limit;
    if (u.online !== online) { u.online = online; changed = true; }
  }
  if (changed) { redraw(); emit('units-changed'); }
}

// Live events that move units.
on('position', (p) => {
  let u = S.units.get(p.unit);
  if (!u) { u = { id: p.unit, kind: p.source === 'lip' ? 'radio' : 'drone', name: p.unit }; S.units.set(p.unit, u); }
  u.position = { lat: p.lat, lon: p.lon, alt_m: p.alt_m, speed_mps: p.speed_mps, heading_deg: p.heading_deg, accuracy_m: p.accuracy_m, time: p.time, source: p.source };
  u.last_seen = p.time; u.online = true;
  if (u.kind === 'drone') u.flying = (p.alt_m || 0) > 2 || (p.speed_mps || 0) > 0.5;
  redraw();
  if (selected === p.unit) showUnit(p.unit);
});
on('unit', (s) => {
  const u = S.units.get(s.unit) || { id: s.unit, kind: s.kind, name: s.unit };
  u.last_seen = s.last_seen; u.online = true; u.kind = u.kind || s.kind;
  S.units.set(s.unit, u);
  redraw();
});
on('unit_health', (hl) => {
  const u = S.units.get(hl.unit);
  if (u) { u.health = hl; if (selected === hl.unit) showUnit(hl.unit); }
});

// Units panel: search, list, details and actions.
let selected = null, trackLayer = null;
function unitsPanel() {
  const tab = $('tab-units');
  const search = h('input', { id: 'unit-search', placeholder: 'search id, name, person…' });
  const kind = h('select', { id: 'unit-kind' }, h('option', { value: '' }, 'all kinds'), h('option', { value: 'drone' }, 'drones'),
    h('option', { value: 'dock' }, 'docks'), h('option', { value: 'radio' }, 'radios'));
  const details = h('div', { id: 'unit-details' });
  const list = h('table', { id: 'unit-list' });
  tab.append(h('div', { class: 'row' }, search, kind), details, list);
  const render = () => {
    const q = search.value.trim().toLowerCase(), k = kind.value;
    const rows = [];
    for (const u of S.units.values()) {
      if (k && u.kind !== k) continue;
      if (q && !(u.id.toLowerCase().includes(q) || (u.name || '').toLowerCase().includes(q) || (u.person || '').toLowerCase().includes(q))) continue;
      rows.push(u);
      if (rows.length >= 200) break;
    }
    fill(list, h('tr', {}, h('th', {}, 'unit'), h('th', {}, 'kind'), h('th', {}, 'state'), h('th', {}, 'last seen')),
      ...rows.map((u) => h('tr', { class: 'pick', 'data-unit': u.id, onclick: () => emit('selected', u.id) },
        h('td', {}, u.name || u.id, h('br'), h('span', { class: 'muted' }, u.id)), h('td', {}, u.kind),
        h('td', {}, h('span', { class: 'state ' + (u.emergency ? 'emergency' : u.online ? 'ok' : '') }, u.emergency ? 'EMERGENCY' : u.online ? 'online' : 'offline')),
        h('td', {}, ago(u.last_seen)))));
  };
  search.addEventListener('input', render);
  kind.addEventListener('change', render);
  render();
  setInterval(() => { if (tab.classList.contains('on')) render(); }, 3000);
}

on('selected', (id) => {
  const before = S.units.get(selected);
  if (before) before.selected = false;
  selected = id;
  const u = S.units.get(id);
  if (u) u.selected = true;
  redraw();
  showTab('units');
  showUnit(id);
  if (u && u.position) S.map.panTo(toMap(u.position.lat, u.position.lon));
});

function showUnit(id) {
  const u = S.units.get(id), box = $('unit-details');
  if (!u) { fill(box, h('p', { class: 'error' }, 'unknown unit ' + id)); return; }
  const p = u.position, hl = u.health;
  const rows = [
    ['id', u.id], ['name', u.name || '–'], ['kind', u.kind], ['formation', u.formation || '–'],
    ['state', u.emergency ? 'EMERGENCY' : u.online ? 'online' : 'offline'], ['last seen', u.last_seen ? clock(u.last_seen) + ' (' + ago(u.last_seen) + ')' : 'never'],
  ];
  if (u.person) rows.push(['carried by', u.person]);
  if (p) {
    rows.push(['position (WGS-84)', p.lat.toFixed(6) + ', ' + p.lon.toFixed(6)]);
    if (p.alt_m !== null && p.alt_m !== undefined) rows.push(['altitude', fmt(p.alt_m, 1, 'm')]);
    if (p.speed_mps !== null && p.speed_mps !== undefined) rows.push(['speed', fmt(p.speed_mps, 1, 'm/s')]);
    if (p.heading_deg !== null && p.heading_deg !== undefined) rows.push(['heading', fmt(p.heading_deg, 0, '°')]);
    if (p.accuracy_m !== null && p.accuracy_m !== undefined) rows.push(['accuracy', fmt(p.accuracy_m, 0, 'm')]);
  }
  if (hl) {
    if (hl.mode) rows.push(['mode', hl.mode]);
    if (hl.battery_percent !== null && hl.battery_percent !== undefined) rows.push(['battery', fmt(hl.battery_percent, 0, '%')]);
    if (hl.flight_seconds !== null && hl.flight_seconds !== undefined) rows.push(['flight time', fmt(hl.flight_seconds / 3600, 1, 'h')]);
  }
  const actions = h('div', { class: 'row' },
    h('button', { id: 'unit-track', onclick: () => showTrack(id) }, 'track (last hour)'),
    u.kind === 'radio' && allowed('dispatcher') ? h('button', { id: 'unit-page', onclick: () => { showTab('pages'); emit('page-to', id); } }, 'page') : null,
    h('button', { onclick: () => { emit('replay-unit', id); showTab('replay'); } }, 'replay…'),
    u.kind === 'drone' ? h('button', { onclick: () => { showTab('maint'); emit('maint-unit', id); } }, 'maintenance') : null,
    u.kind === 'drone' && allowed('dispatcher') ? h('button', { id: 'unit-finding', title: 'a task where the drone is now', onclick: () => emit('task-from-drone', id) }, 'task from finding') : null);
  const control = u.kind === 'radio' && allowed('dispatcher') ? radioControl(id) : null;
  fill(box, h('h2', {}, u.name || u.id), h('table', {}, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))), actions, control);
}

// Radio control (Hytera networks): radio check, remote monitor, stun, revive. Each asks for
// confirmation, is audited by the controller, and its outcome is followed for 30 s.
const CONTROLS = [['radio_check', 'radio check'], ['remote_monitor', 'remote monitor'], ['stun', 'stun (disable the radio)'], ['revive', 'revive (enable the radio)']];
function radioControl(id) {
  const action = h('select', { id: 'unit-control-action' }, CONTROLS.map(([v, label]) => h('option', { value: v }, label)));
  const send = h('button', { id: 'unit-control', onclick: async () => {
    const label = CONTROLS.find(([v]) => v === action.value)[1];
    if (!window.confirm(label + ' of ' + unitName(id) + '? It is sent over the air and audited.')) return;
    const c = await attempt('radio control', () => post('/api/v1/radio-controls', { to: id, action: action.value }));
    if (!c) return;
    toast(label + ' of ' + unitName(id) + ' sent via ' + c.gateway);
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await get('/api/v1/radio-controls/' + encodeURIComponent(c.id)).catch(() => null);
      if (now && now.outcome) { toast(label + ' of ' + unitName(id) + ': ' + now.outcome); return; }
    }
    toast(label + ' of ' + unitName(id) + ': no answer from the radio in 30 s');
  } }, 'send');
  return h('div', { class: 'row', title: 'radio control, where the radio\'s network has it (Hytera)' }, h('span', {}, 'radio control'), action, send);
}

async function showTrack(id) {
  const r = await attempt('loading the track', () => get('/api/v1/units/' + encodeURIComponent(id) + '/track'));
  if (!r) return;
  if (trackLayer) trackLayer.remove();
  trackLayer = overlay();
  if (r.points.length === 0) { toast('no positions of ' + unitName(id) + ' in the last hour'); return; }
  L.polyline(r.points.map((p) => toMap(p.lat, p.lon)), { color: '#e65100', weight: 3 }).addTo(trackLayer);
  toast(r.points.length + ' positions of ' + unitName(id) + ' in the last hour');
}

export function showTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('on', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.classList.toggle('on', s.id === 'tab-' + name);
  emit('tab', name);
}
on('show-tab', showTab);

for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', async () => {
  await attempt('logging out', () => api('DELETE', '/api/v1/session'));
  loggedOut('');
  location.reload();
});
$('datum').addEventListener('change', (e) => { S.datum = e.target.value; redrawCellsForDatum(); redraw(); emit('datum'); });
$('heat').addEventListener('change', async (e) => {
  if (e.target.checked) await attempt('loading coverage', async () => setCoverage(await get('/api/v1/coverage')));
  setHeat(e.target.checked);
});
$('alarm-count').addEventListener('click', () => showTab('alarms'));
on('logged-out', (reason) => loggedOut(reason));

if (S.token) start(); else loggedOut('');
