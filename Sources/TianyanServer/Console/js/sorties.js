// The sortie board: the plan as a Gantt chart per formation and drone, a sortie's details and
// the lead's actions (pause, resume, recall/cancel, re-plan, urgent sortie over cells picked on
// the map). Coverage staleness is the map's heat layer (header switch).
import { S, get, post, h, on, emit, attempt, toast, stamp, clock, allowed, ask, fill } from './util.js';
import { setCoverage, setHeat } from './map.js';

const sorties = new Map();
const colours = { planned: '#90a4c0', held: '#b39ddb', prepared: '#42a5f5', executing: '#ef6c00', paused: '#ffb300', done: '#2e7d32', partial: '#9e9d24', failed: '#c62828', canceled: '#757575' };
let span = 24, picked = new Set(), picking = false, canvas = null, hits = [];
export const sortieState = { sorties };

// Sorties are planned, held, recalled and re-planned by leads: other roles see no such button.
function leadButton(label, id, fn) {
  return allowed('lead') ? h('button', { id, onclick: fn }, label) : null;
}

async function load() {
  const from = new Date(Date.now() - 6 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const to = new Date(Date.now() + 14 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const r = await attempt('loading sorties', () => get('/api/v1/sorties?limit=5000&from=' + from + '&to=' + to));
  if (!r) return;
  sorties.clear();
  for (const s of r.sorties) sorties.set(s.id, s);
  draw();
}

function draw() {
  if (!canvas) return;
  const now = Date.now(), t0 = now - 2 * 3600e3, t1 = now + span * 3600e3;
  const list = [...sorties.values()].filter((s) => new Date(s.end).getTime() >= t0 && new Date(s.start).getTime() <= t1);
  const rows = new Map();
  for (const s of list) {
    const key = s.formation + '\u0000' + s.drone;
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push(s);
  }
  const keys = [...rows.keys()].sort();
  const rowH = 14, left = 150, top = 18, width = canvas.clientWidth || 420;
  const height = top + keys.length * rowH + 4;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio; canvas.style.height = height + 'px';
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = '10px system-ui, sans-serif';
  const x = (t) => left + (t - t0) / (t1 - t0) * (width - left - 4);
  // Hour grid with local (UTC+8) labels.
  ctx.strokeStyle = '#e3e8ef'; ctx.fillStyle = '#6a778a';
  const step = span <= 24 ? 6 : span <= 72 ? 24 : 48;
  for (let t = Math.ceil(t0 / 3600e3) * 3600e3; t <= t1; t += 3600e3) {
    const local = new Date(t + 8 * 3600e3).getUTCHours();
    if (local % Math.min(step, 24) !== 0 || (step > 24 && Math.floor((t + 8 * 3600e3) / 86400e3) % 2 !== 0)) continue;
    ctx.beginPath(); ctx.moveTo(x(t), top - 4); ctx.lineTo(x(t), height); ctx.stroke();
    ctx.fillText(step >= 24 ? stamp(t).slice(0, 5) : String(local).padStart(2, '0') + ':00', x(t) + 2, 10);
  }
  hits = [];
  let last = '';
  keys.forEach((key, i) => {
    const [formation, drone] = key.split('\u0000');
    const y = top + i * rowH;
    ctx.fillStyle = '#1c2430';
    ctx.fillText((formation !== last ? formation + ' · ' : '   ') + drone.slice(-8), 2, y + 10);
    last = formation;
    for (const s of rows.get(key)) {
      const a = x(Math.max(new Date(s.start).getTime(), t0)), b = Math.max(a + 2, x(Math.min(new Date(s.end).getTime(), t1)));
      ctx.fillStyle = colours[s.state] || '#90a4c0';
      ctx.fillRect(a, y + 2, b - a, rowH - 4);
      if (s.urgent) { ctx.strokeStyle = '#c62828'; ctx.strokeRect(a, y + 2, b - a, rowH - 4); }
      hits.push({ a, b, y, s });
    }
  });
  ctx.strokeStyle = '#c62828'; ctx.beginPath(); ctx.moveTo(x(now), top - 6); ctx.lineTo(x(now), height); ctx.stroke();
  document.getElementById('sortie-count').textContent = list.length + ' sorties on ' + keys.length + ' drones in view';
}

function details(s) {
  const box = document.getElementById('sortie-details');
  const flying = s.state === 'executing' || s.state === 'paused';
  fill(box, h('h3', {}, 'Sortie ' + s.id + (s.urgent ? ' (urgent)' : '')),
    h('table', {},
      [['state', s.state + (s.percent !== null && s.percent !== undefined ? ' · ' + s.percent + ' %' : '')], ['drone', s.drone], ['dock', s.dock], ['pilot', s.pilot], ['formation', s.formation],
        ['slot', stamp(s.start) + ' – ' + clock(s.end) + ' UTC+8'], ['cells', s.cells.join(', ')],
        ['route', (s.route_distance_m / 1000).toFixed(1) + ' km, ' + Math.round(s.route_duration_s / 60) + ' min'],
        ['last step', s.history && s.history.length ? s.history[s.history.length - 1].state + ' ' + clock(s.history[s.history.length - 1].time) + ' ' + (s.history[s.history.length - 1].detail || '') : '–'],
      ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
    s.final ? h('p', { class: 'muted' }, 'finished') : !allowed('lead') ? null : h('div', { class: 'row' },
      s.state === 'held' || s.state === 'paused' ? leadButton('resume', 'sortie-resume', () => act(s, 'resume')) : leadButton(flying ? 'pause in the air' : 'hold', 'sortie-pause', () => act(s, 'pause')),
      leadButton(flying ? 'recall' : 'cancel', 'sortie-cancel', () => act(s, 'cancel'))));
}

async function act(s, action) {
  let body = {};
  if (action === 'cancel') {
    const r = await ask((s.state === 'executing' ? 'Recall' : 'Cancel') + ' sortie ' + s.id, [{ name: 'note', label: 'why (for the audit log)', textarea: true }], action === 'cancel' && s.state === 'executing' ? 'recall' : 'cancel sortie');
    if (!r) return;
    if (r.note) body.note = r.note;
  }
  const out = await attempt(action, () => post('/api/v1/sorties/' + encodeURIComponent(s.id) + '/' + action, body));
  if (out) { sorties.set(out.id, out); draw(); details(out); toast('sortie ' + out.id + ': ' + out.state); }
}

export function init() {
  const tab = document.getElementById('tab-sorties');
  canvas = h('canvas', { class: 'gantt', id: 'gantt' });
  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
    const hit = hits.find((k) => px >= k.a - 1 && px <= k.b + 1 && py >= k.y && py <= k.y + 14);
    if (hit) details(hit.s);
  });
  const range = h('select', { id: 'gantt-span' }, h('option', { value: 24 }, 'next 24 h'), h('option', { value: 72 }, 'next 3 days'), h('option', { value: 336 }, 'next 14 days'));
  range.addEventListener('change', () => { span = Number(range.value); draw(); });
  const pickedBox = h('span', { id: 'urgent-cells', class: 'muted' }, 'no cells picked');
  const pick = leadButton('pick cells on the map', 'urgent-pick', () => {
    picking = !picking; pick.textContent = picking ? 'stop picking' : 'pick cells on the map';
    if (picking) { document.getElementById('heat').checked = true; setHeat(true); }
  });
  const fly = leadButton('fly urgent sortie', 'urgent-fly', async () => {
    if (picked.size === 0) { toast('pick one or more cells on the map first', true); return; }
    const r = await attempt('urgent sortie', () => post('/api/v1/sorties', { cells: [...picked] }));
    if (r) { for (const s of r.sorties) sorties.set(s.id, s); picked.clear(); pickedBox.textContent = 'no cells picked'; draw(); toast(r.sorties.length + ' urgent sortie(s) planned'); }
  });
  const replan = leadButton('re-plan now', 'replan', async () => {
    const r = await attempt('re-plan', () => post('/api/v1/plan', {}));
    if (r) { toast(r.summary || 're-planned'); load(); }
  });
  const legend = h('div', { class: 'legend muted' }, Object.entries(colours).map(([k, c]) => { const sw = h('span'); sw.style.background = c; return [sw, k]; }));
  tab.append(h('h2', {}, 'Sortie board'), h('div', { class: 'row' }, range, replan, h('span', { id: 'sortie-count', class: 'muted' })), canvas, legend,
    h('div', { id: 'sortie-details' }, h('p', { class: 'muted' }, 'click a bar for its details')),
    ...(allowed('lead') ? [h('h3', {}, 'Urgent sortie'), h('div', { class: 'row' }, pick, fly), pickedBox] : []),
    h('p', { class: 'muted' }, 'The map\'s "staleness" switch colours each cell by days since it was last covered: green < 4 d, olive < 9 d, orange older, red overdue, grey never.'));
  on('cell-click', ({ id }) => {
    if (!picking) return;
    if (picked.has(id)) picked.delete(id); else picked.add(id);
    pickedBox.textContent = picked.size ? [...picked].join(', ') : 'no cells picked';
  });
  on('sortie', (s) => { sorties.set(s.id, s); draw(); });
  on('tab', (t) => { if (t === 'sorties') draw(); });
  on('resync', load);
  load();
  setInterval(() => attempt('loading coverage', async () => setCoverage(await get('/api/v1/coverage'))), 60000);
}
