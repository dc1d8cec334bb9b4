// Maintenance view: per drone and dock what is due and why, grounded or not; for one unit its
// flight hours, battery cycles and battery/temperature over time as charts, and its HMS alarm
// history. Ground, unground and record a service (maintenance role).
import { S, get, post, h, on, attempt, toast, stamp, clock, fmt, allowed, ask, fill } from './util.js';

let list = [];

// Grounding, ungrounding and recording a service are maintenance work: other roles see no such button.
function button(label, id, fn) {
  return allowed('maintenance') ? h('button', { id, onclick: fn }, label) : null;
}

/** A line chart of [time ms, value] points with its unit on the axis. */
function chart(title, unit, points, colour) {
  const canvas = h('canvas', { class: 'chart', 'data-chart': title });
  requestAnimationFrame(() => {
    const width = canvas.clientWidth || 400, height = 120, ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio; canvas.height = height * ratio;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = '10px system-ui, sans-serif'; ctx.fillStyle = '#4a5668';
    ctx.fillText(title + ' (' + unit + ')', 4, 11);
    if (points.length === 0) { ctx.fillText('no samples in this range', 4, 60); return; }
    const ts = points.map((p) => p[0]), vs = points.map((p) => p[1]);
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (hi === lo) { hi += 1; lo -= 1; }
    const t0 = Math.min(...ts), t1 = Math.max(...ts) || t0 + 1, left = 44, top = 16, bottom = height - 14;
    const x = (t) => left + (t1 === t0 ? 0 : (t - t0) / (t1 - t0)) * (width - left - 6);
    const y = (v) => bottom - (v - lo) / (hi - lo) * (bottom - top);
    ctx.strokeStyle = '#dde3ea';
    for (const v of [lo, (lo + hi) / 2, hi]) { ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(width, y(v)); ctx.stroke(); ctx.fillText(v.toFixed(hi - lo < 10 ? 1 : 0), 2, y(v) + 3); }
    ctx.fillText(stamp(t0), left, height - 2);
    ctx.textAlign = 'right'; ctx.fillText(stamp(t1), width - 4, height - 2); ctx.textAlign = 'left';
    ctx.strokeStyle = colour; ctx.lineWidth = 1.6; ctx.beginPath();
    points.forEach(([t, v], i) => (i ? ctx.lineTo(x(t), y(v)) : ctx.moveTo(x(t), y(v))));
    ctx.stroke();
  });
  return canvas;
}

async function showUnit(id) {
  const box = document.getElementById('maint-unit');
  const s = list.find((u) => u.unit === id);
  fill(box, h('p', { class: 'muted' }, 'loading ' + id + '…'));
  const from = new Date(Date.now() - 90 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const [hist, alarms] = await Promise.all([
    attempt('loading health history', () => get('/api/v1/units/' + encodeURIComponent(id) + '/health?limit=5000&from=' + from)),
    attempt('loading alarms', () => get('/api/v1/alarms?limit=200&unit=' + encodeURIComponent(id))),
  ]);
  const samples = hist ? hist.samples : [];
  const series = (key, scale = 1) => samples.filter((p) => p[key] !== null && p[key] !== undefined).map((p) => [new Date(p.time).getTime(), p[key] * scale]);
  const actions = s && allowed('maintenance') ? h('div', { class: 'row' },
    s.grounded ? button('unground', 'maint-unground', () => act(id, 'unground')) : button('ground', 'maint-ground', () => act(id, 'ground')),
    button('record a service', 'maint-serviced', () => act(id, 'serviced'))) : null;
  fill(box, 
    h('h3', {}, id + (s && s.model ? ' · ' + s.model : '')),
    s ? h('table', {}, [
      ['state', s.state + (s.grounded ? ' since ' + stamp(s.grounded.time) + ' by ' + s.grounded.by + (s.grounded.note ? ': ' + s.grounded.note : '') : '')],
      ['flight hours', fmt(s.flight_hours, 1, 'h') + ' (' + fmt(s.flight_hours_since_service, 1, 'h') + ' since service)'],
      ['battery cycles', s.battery_cycles === null ? '–' : s.battery_cycles + ' cycles'],
      ['last service', s.last_service ? stamp(s.last_service.time) + ' by ' + s.last_service.by : 'none recorded'],
      ['due', s.due.length ? s.due.join('; ') : 'nothing'], ['health reported', s.health_reported ? stamp(s.health_reported) : 'never'],
    ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))) : null,
    actions,
    h('h3', {}, 'Over the last 90 days (' + samples.length + ' samples)'),
    chart('flight time', 'h', series('flight_seconds', 1 / 3600), '#1d5fbf'),
    chart('battery charge cycles', 'cycles', series('battery_cycles'), '#6a1b9a'),
    chart('battery', '%', series('battery_percent'), '#2e7d32'),
    chart('temperature', '°C', series('temperature_c'), '#ef6c00'),
    h('h3', {}, 'HMS and other alarms'),
    alarms && alarms.alarms.length ? h('table', {}, alarms.alarms.map((a) => h('tr', {}, h('td', {}, stamp(a.time)), h('td', {}, h('span', { class: 'state ' + a.severity }, a.severity)),
      h('td', {}, (a.code ? a.code + ' ' : '') + a.text), h('td', {}, a.cleared_at ? 'cleared ' + clock(a.cleared_at) : 'open')))) : h('p', { class: 'muted' }, 'no alarms'));
}

async function act(id, kind) {
  let body = {};
  if (kind === 'ground') {
    const r = await ask('Ground ' + id, [{ name: 'reason', label: 'why (required)', textarea: true, required: true }], 'ground');
    if (!r) return;
    body = { reason: r.reason };
  } else {
    const r = await ask((kind === 'serviced' ? 'Record a service of ' : 'Unground ') + id, [{ name: 'note', label: 'note', textarea: true }], kind);
    if (!r) return;
    if (r.note) body = { note: r.note };
  }
  const s = await attempt(kind, () => post('/api/v1/maintenance/' + encodeURIComponent(id) + '/' + kind, body));
  if (s) { toast(id + ': ' + s.state); await load(); showUnit(id); }
}

async function load() {
  const r = await attempt('loading maintenance', () => get('/api/v1/maintenance?all=true'));
  if (!r) return;
  list = r.units;
  const table = document.getElementById('maint-list');
  fill(table, h('tr', {}, h('th', {}, 'unit'), h('th', {}, 'state'), h('th', {}, 'flight h'), h('th', {}, 'cycles'), h('th', {}, 'due')),
    list.map((s) => h('tr', { class: 'pick', 'data-unit': s.unit, onclick: () => showUnit(s.unit) },
      h('td', {}, s.unit, h('br'), h('span', { class: 'muted' }, s.kind + (s.model ? ' · ' + s.model : ''))),
      h('td', {}, h('span', { class: 'state ' + (s.state === 'grounded' ? 'failed' : s.state === 'due' ? 'missed' : 'ok') }, s.state)),
      h('td', {}, fmt(s.flight_hours, 1)), h('td', {}, s.battery_cycles ?? '–'), h('td', {}, s.due.join('; ') || '–'))));
  document.getElementById('maint-summary').textContent = r.total + ' units · ' + r.due + ' due · ' + r.grounded + ' grounded · rules: service every ' + r.rules.flight_hours + ' flight h, batteries at ' + r.rules.battery_cycles + ' cycles, every ' + r.rules.months + ' months';
}

export function init() {
  const tab = document.getElementById('tab-maint');
  tab.append(h('h2', {}, 'Maintenance'), h('p', { id: 'maint-summary', class: 'muted' }), h('div', { id: 'maint-unit' }), h('table', { id: 'maint-list' }));
  on('tab', (t) => { if (t === 'maint') load(); });
  on('maint-unit', async (id) => { await load(); showUnit(id); });
}
