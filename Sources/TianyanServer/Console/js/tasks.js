// Dispatch tasks: created from an alarm, a map point or a drone finding; the nearest available
// units suggested with distance and estimated arrival; dispatching pages them; their radio
// statuses move the task. SLA timers (contact within 30 min, on scene within 1 h of creation)
// count down here and turn red when missed (the controller escalates with an alarm). Per-team
// on-time closure and rework rates below the list.
import { S, get, post, h, on, emit, attempt, toast, clock, stamp, duration, unitName, allowed, ask, fill, textElement } from './util.js';
import { toMap, overlay } from './map.js';
import { gcjToWgs } from './geo.js';

const tasks = new Map();
let layer = null, picking = false, shown = null;
export const taskState = { tasks };

// Tasks are created, dispatched and moved by dispatchers: other roles see no such button.
const can = () => allowed('dispatcher');
function dispatcherButton(label, attrs, fn) {
  return can() ? h('button', { ...attrs, onclick: fn }, label) : null;
}

/** "12:34 left", "met 12 min", "MISSED 5 min ago" from an SLA object, at `now`. */
function slaText(name, sla, now) {
  if (!sla) return h('span', { class: 'sla' }, name + ' –');
  const deadline = new Date(sla.deadline).getTime();
  if (sla.state === 'met') return h('span', { class: 'sla met', title: 'met at ' + clock(sla.met_at) }, name + ' met');
  if (sla.state === 'stopped') return h('span', { class: 'sla', title: 'closed before the deadline' }, name + ' stopped');
  if (sla.state === 'missed' || now > deadline) return h('span', { class: 'sla missed', title: 'deadline ' + clock(sla.deadline) }, name + ' MISSED ' + duration((now - deadline) / 1000) + ' ago');
  return h('span', { class: 'sla running', title: 'deadline ' + clock(sla.deadline) }, name + ' ' + duration((deadline - now) / 1000) + ' left');
}

function drawMarkers() {
  if (!layer) layer = overlay();
  layer.clearLayers();
  for (const t of tasks.values()) {
    if (t.final || !t.location) continue;
    const missed = ['contact', 'on_site'].some((k) => t.sla && t.sla[k] && t.sla[k].state === 'missed');
    L.circleMarker(toMap(t.location.lat, t.location.lon), { radius: 10, color: missed ? '#b3261e' : '#e65100', weight: 3, fillOpacity: 0.25 })
      .bindTooltip(textElement(t.id + ' · ' + t.title + ' · ' + t.state.replace('_', ' ')))
      .on('click', () => { emit('show-tab', 'tasks'); details(t.id); })
      .addTo(layer);
  }
}

function render() {
  const list = document.getElementById('task-list');
  if (!list) return;
  const now = Date.now();
  const rows = [...tasks.values()].filter((t) => !t.final || now - new Date(t.updated).getTime() < 3600e3)
    .sort((a, b) => (a.final - b.final) || (b.created_at > a.created_at ? 1 : -1));
  fill(list, h('tr', {}, h('th', {}, 'task'), h('th', {}, 'state'), h('th', {}, 'SLA')),
    rows.length === 0 ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no tasks in the last hour')) :
    rows.map((t) => h('tr', { class: 'pick', 'data-task': t.id, onclick: () => details(t.id) },
      h('td', {}, h('strong', {}, t.title), h('br'), h('span', { class: 'muted' }, t.id + ' · ' + t.priority + (t.team ? ' · ' + t.team : '') + ' · ' + clock(t.created_at))),
      h('td', {}, h('span', { class: 'state task-state ' + t.state }, t.state.replace('_', ' ')),
        h('div', { class: 'muted' }, (t.units || []).filter((u) => u.active).map((u) => unitName(u.unit) + (u.page_state ? ' (' + u.page_state + ')' : '')).join(', '))),
      h('td', {}, slaText('contact', t.sla && t.sla.contact, now), h('br'), slaText('on site', t.sla && t.sla.on_site, now)))));
  if (shown && tasks.has(shown)) renderTimers(tasks.get(shown));
}

function renderTimers(t) {
  const box = document.getElementById('task-timers');
  if (box) fill(box, slaText('contact', t.sla && t.sla.contact, Date.now()), ' · ', slaText('on site', t.sla && t.sla.on_site, Date.now()));
}

async function details(id) {
  shown = id;
  const t = tasks.get(id) || await attempt('loading the task', () => get('/api/v1/tasks/' + encodeURIComponent(id)));
  if (!t) return;
  tasks.set(t.id, t);
  const box = document.getElementById('task-details');
  const suggestions = h('div', { id: 'task-suggestions' });
  const states = ['accepted', 'en_route', 'on_scene', 'done'];
  fill(box, h('h3', {}, t.id + ' · ' + t.title),
    h('div', { id: 'task-timers' }),
    h('table', {}, [
      ['state', t.state.replace('_', ' ') + (t.reopened ? ' (reopened ' + t.reopened + '×)' : '')], ['priority', t.priority],
      ['where (WGS-84)', t.location ? t.location.lat.toFixed(5) + ', ' + t.location.lon.toFixed(5) : '–'],
      ['from', t.source ? t.source.kind + (t.source.alarm ? ' ' + t.source.alarm : '') + (t.source.drone ? ' ' + t.source.drone : '') + (t.source.note ? ': ' + t.source.note : '') : '–'],
      ['team', t.team || '–'], ['created', stamp(t.created_at) + ' by ' + t.created_by], ['description', t.description || '–'],
    ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
    h('h3', {}, 'Units'),
    (t.units || []).length ? h('table', {}, t.units.map((u) => h('tr', {}, h('td', {}, unitName(u.unit)), h('td', {}, u.active ? 'on task' : 'released'),
      h('td', {}, u.page_state ? h('span', { class: 'state ' + u.page_state }, 'page ' + u.page_state) : ''), h('td', {}, u.status ? u.status + ' ' + clock(u.status_at) : '')))) : h('p', { class: 'muted' }, 'none yet'),
    t.final || !can() ? null : h('div', { class: 'row' },
      dispatcherButton('suggest units', { id: 'task-suggest' }, () => suggest(t, suggestions)),
      ...states.map((s) => dispatcherButton(s.replace('_', ' '), { 'data-state': s }, () => move(t, s))),
      dispatcherButton('cancel', { id: 'task-cancel' }, () => cancel(t))),
    t.state === 'done' && can() ? h('div', { class: 'row' }, dispatcherButton('reopen', { id: 'task-reopen' }, () => reopen(t))) : null,
    suggestions,
    h('h3', {}, 'History'),
    h('table', {}, (t.history || []).slice().reverse().map((s) => h('tr', {}, h('td', {}, clock(s.time)), h('td', {}, s.action), h('td', {}, s.actor), h('td', {}, s.detail || '')))));
  renderTimers(t);
  if (t.location) S.map.panTo(toMap(t.location.lat, t.location.lon));
}

async function suggest(t, box) {
  const r = await attempt('suggesting units', () => get('/api/v1/tasks/' + encodeURIComponent(t.id) + '/suggestions?limit=8'));
  if (!r) return;
  const a = r.assumptions || {};
  const checks = [];
  fill(box, h('h3', {}, 'Nearest available units'),
    h('p', { class: 'muted' }, 'arrival estimated at ' + (a.radio_road_speed_kmh ?? '?') + ' km/h by road (×' + (a.radio_road_detour ?? '?') + ') for radios, ' + (a.drone_speed_mps ?? '?') + ' m/s straight for drones'),
    r.units.length === 0 ? h('p', { class: 'muted' }, 'no unit with a recent position is free') :
    h('table', { id: 'suggestion-list' }, r.units.map((u, i) => {
      const c = h('input', { type: 'checkbox', value: u.id, checked: i === 0 });
      checks.push(c);
      return h('tr', { 'data-unit': u.id }, h('td', {}, c), h('td', {}, unitName(u.id), h('br'), h('span', { class: 'muted' }, u.kind)),
        h('td', {}, (u.distance_m / 1000).toFixed(2) + ' km'), h('td', {}, '≈ ' + Math.max(1, Math.round(u.eta_s / 60)) + ' min'),
        h('td', { class: 'muted' }, 'position ' + Math.round(u.position_age_s) + ' s old'));
    })),
    r.units.length ? dispatcherButton('dispatch (page the selected units)', { class: 'primary', id: 'task-dispatch' }, async () => {
      const units = checks.filter((c) => c.checked).map((c) => c.value);
      if (!units.length) { toast('select at least one unit', true); return; }
      const out = await attempt('dispatching', () => post('/api/v1/tasks/' + encodeURIComponent(t.id) + '/dispatch', { units }));
      if (!out) return;
      for (const d of out.dispatch || []) if (d.error) toast(unitName(d.unit) + ': ' + d.error, true);
      delete out.dispatch;
      tasks.set(out.id, out); render(); drawMarkers(); details(out.id);
      toast(t.id + ' dispatched to ' + units.length + ' unit(s)');
    }) : null);
}

async function move(t, state) {
  const out = await attempt('moving the task', () => post('/api/v1/tasks/' + encodeURIComponent(t.id) + '/state', { state }));
  if (out) { tasks.set(out.id, out); render(); drawMarkers(); details(out.id); }
}

async function cancel(t) {
  const r = await ask('Cancel ' + t.id, [{ name: 'reason', label: 'why (required)', textarea: true, required: true }], 'cancel task');
  if (!r) return;
  const out = await attempt('canceling', () => post('/api/v1/tasks/' + encodeURIComponent(t.id) + '/cancel', { reason: r.reason }));
  if (out) { tasks.set(out.id, out); render(); drawMarkers(); details(out.id); }
}

async function reopen(t) {
  const r = await ask('Reopen ' + t.id + ' (counts as rework)', [{ name: 'reason', label: 'why (required)', textarea: true, required: true }], 'reopen');
  if (!r) return;
  const out = await attempt('reopening', () => post('/api/v1/tasks/' + encodeURIComponent(t.id) + '/reopen', { reason: r.reason }));
  if (out) { tasks.set(out.id, out); render(); drawMarkers(); details(out.id); }
}

async function create(body, title) {
  const r = await ask(title, [
    { name: 'title', label: 'title', value: body.title || '', required: true },
    { name: 'description', label: 'description', textarea: true, value: body.description || '' },
    { name: 'priority', label: 'priority (low, normal, high, urgent)', value: body.priority || 'high' },
  ], 'create task');
  if (!r) return;
  const out = await attempt('creating the task', () => post('/api/v1/tasks', { ...body, title: r.title, description: r.description, priority: r.priority.trim() || 'normal' }));
  if (out) { tasks.set(out.id, out); render(); drawMarkers(); emit('show-tab', 'tasks'); details(out.id); toast('task ' + out.id + ' created'); }
}

async function stats() {
  const r = await attempt('loading task statistics', () => get('/api/v1/tasks/stats'));
  const box = document.getElementById('task-stats');
  if (!r || !box) return;
  const pct = (v) => v === null || v === undefined ? '–' : Math.round(v * 100) + ' %';
  const min = (v) => v === null || v === undefined ? '–' : Math.round(v / 60) + ' min';
  fill(box, h('h3', {}, 'Teams, last 30 days'),
    r.teams.length === 0 ? h('p', { class: 'muted' }, 'no tasks in the last 30 days') :
    h('table', { id: 'task-stats-table' }, h('tr', {}, h('th', {}, 'team'), h('th', {}, 'closed'), h('th', {}, 'on time'), h('th', {}, 'rework'), h('th', {}, 'to contact'), h('th', {}, 'to scene')),
      r.teams.map((t) => h('tr', {}, h('td', {}, t.name || t.team || 'no team'), h('td', {}, t.closed + ' / ' + t.created), h('td', {}, pct(t.on_time_rate)),
        h('td', {}, pct(t.rework_rate)), h('td', {}, min(t.mean_contact_s)), h('td', {}, min(t.mean_on_site_s))))));
}

export function init() {
  const tab = document.getElementById('tab-tasks');
  const pick = dispatcherButton('new task at a map point', { id: 'task-new-point' }, () => {
    picking = !picking;
    pick.textContent = picking ? 'click the map… (again to stop)' : 'new task at a map point';
  });
  fill(tab, h('h2', {}, 'Tasks'), pick ? h('div', { class: 'row' }, pick, h('span', { class: 'muted' }, 'or "create task" on an alarm, or on a drone\'s details')) : null,
    h('div', { id: 'task-details' }), h('table', { id: 'task-list' }), h('div', { id: 'task-stats' }));
  on('map-click', (e) => {
    if (!picking) return;
    picking = false; pick.textContent = 'new task at a map point';
    // The map shows GCJ-02 when that datum is on; tasks are kept in WGS-84.
    let { lat, lng } = e.latlng;
    if (S.datum === 'gcj02') [lat, lng] = gcjToWgs(lat, lng);
    create({ location: { lat, lon: lng }, source: { kind: 'point' } }, 'New task at ' + lat.toFixed(5) + ', ' + lng.toFixed(5));
  });
  on('task-from-alarm', (a) => {
    if (!can()) { toast('creating tasks needs the dispatcher role', true); return; }
    create({ source: { kind: 'alarm', alarm: a.id }, title: (a.kind === 'emergency' ? 'Emergency: ' : a.kind + ': ') + unitName(a.unit), description: a.text }, 'New task from alarm');
  });
  on('task-from-drone', (id) => {
    if (!can()) { toast('creating tasks needs the dispatcher role', true); return; }
    create({ source: { kind: 'drone', drone: id, note: 'finding' }, title: 'Drone finding: ' + unitName(id) }, 'New task from a drone finding');
  });
  on('task', (t) => { tasks.set(t.id, t); render(); drawMarkers(); if (shown === t.id && document.getElementById('tab-tasks').classList.contains('on')) details(t.id); });
  on('tab', (name) => { if (name === 'tasks') { render(); stats(); } });
  on('datum', drawMarkers);
  const load = async () => {
    const since = new Date(Date.now() - 7 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await attempt('loading tasks', () => get('/api/v1/tasks?limit=500&since=' + since));
    if (!r) return;
    for (const t of r.tasks) tasks.set(t.id, t);
    render(); drawMarkers();
  };
  load();
  on('resync', load);
  setInterval(render, 1000);
}
