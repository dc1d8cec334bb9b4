// Alarms: emergency presses, HMS alarms from the docks and missed task deadlines pop up at once
// with a sound; a dispatcher acknowledges (optionally with a note) and clears (with a note).
// Both are audited by the controller.
import { S, get, post, h, on, emit, toast, attempt, clock, ago, unitName, allowed, ask, fill } from './util.js';
import { redraw, toMap } from './map.js';

const open = new Map();   // id → alarm (as GET /api/v1/alarms shows it)
let audio = null, loadedOnce = false;
export const alarmState = { open, popups: 0, sounded: 0, shownAt: {} };
window.tianyanAlarms = alarmState;

export function unlockSound() {
  try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch { audio = null; }
}

function sound(severity) {
  alarmState.sounded++;
  if (!audio) return;
  if (audio.state === 'suspended') audio.resume();
  const t = audio.currentTime;
  for (let i = 0; i < (severity === 'critical' || severity === 'emergency' ? 3 : 1); i++) {
    const o = audio.createOscillator(), g = audio.createGain();
    o.type = 'square'; o.frequency.value = 880;
    g.gain.setValueAtTime(0.0001, t + i * 0.35);
    g.gain.exponentialRampToValueAtTime(0.25, t + i * 0.35 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.25);
    o.connect(g).connect(audio.destination);
    o.start(t + i * 0.35); o.stop(t + i * 0.35 + 0.3);
  }
}

const loud = (a) => a.kind === 'emergency' || a.severity === 'critical' || a.severity === 'warning' || a.kind === 'task_sla';

function markUnits() {
  for (const u of S.units.values()) u.emergency = false;
  for (const a of open.values()) {
    if (a.kind === 'emergency' && !a.acknowledged_at) { const u = S.units.get(a.unit); if (u) u.emergency = true; }
  }
  redraw();
}

function counter() {
  const el = document.getElementById('alarm-count');
  const unacked = [...open.values()].filter((a) => !a.acknowledged_at).length;
  el.textContent = 'alarms ' + open.size + (unacked ? ' (' + unacked + ' new)' : '');
  el.classList.toggle('hot', unacked > 0);
}

export async function acknowledge(id) {
  if (!allowed('dispatcher')) { toast('acknowledging needs the dispatcher role', true); return; }
  const r = await ask('Acknowledge alarm', [{ name: 'note', label: 'note (optional)', textarea: true }], 'acknowledge');
  if (!r) return;
  const a = await attempt('acknowledging', () => post('/api/v1/alarms/' + encodeURIComponent(id) + '/ack', r.note ? { note: r.note } : {}));
  if (a) { open.set(a.id, a); changed(); toast('alarm acknowledged'); }
}

export async function clearAlarm(id) {
  if (!allowed('dispatcher')) { toast('clearing needs the dispatcher role', true); return; }
  const r = await ask('Clear alarm', [{ name: 'note', label: 'why is it cleared? (required)', textarea: true, required: true }], 'clear');
  if (!r) return;
  const a = await attempt('clearing', () => post('/api/v1/alarms/' + encodeURIComponent(id) + '/clear', { note: r.note }));
  if (a) { open.delete(a.id); changed(); toast('alarm cleared'); }
}

function popup(a) {
  const box = document.getElementById('popups');
  alarmState.popups++;
  alarmState.shownAt[a.id] = Date.now();
  const where = S.units.get(a.unit), dispatcher = allowed('dispatcher');
  const el = h('div', { class: 'popup' + (a.severity === 'warning' ? ' warning' : ''), 'data-alarm': a.id, role: 'alert' },
    h('strong', {}, (a.kind === 'emergency' ? 'EMERGENCY' : a.kind.toUpperCase()) + ' · ' + unitName(a.unit)),
    h('div', {}, a.text), h('div', { class: 'muted' }, clock(a.time)),
    h('div', { class: 'row' },
      dispatcher ? h('button', { class: 'ack', onclick: async () => { await acknowledge(a.id); if (open.get(a.id)?.acknowledged_at) el.remove(); } }, 'acknowledge') : null,
      where && where.position ? h('button', { onclick: () => emit('selected', a.unit) }, 'show on map') : null,
      dispatcher && a.kind !== 'task_sla' ? h('button', { class: 'task', onclick: () => emit('task-from-alarm', a) }, 'create task') : null,
      h('button', { onclick: () => el.remove() }, 'hide')));
  box.prepend(el);
  while (box.children.length > 5) box.lastChild.remove();
}

function changed() { markUnits(); counter(); render(); }

function render() {
  const tab = document.getElementById('tab-alarms');
  const list = [...open.values()].sort((a, b) => (b.time > a.time ? 1 : -1));
  const dispatcher = allowed('dispatcher');
  fill(tab, h('h2', {}, 'Open alarms'),
    list.length === 0 ? h('p', { class: 'muted' }, 'no open alarms') :
    h('table', { id: 'alarm-list' }, h('tr', {}, h('th', {}, 'time'), h('th', {}, 'unit'), h('th', {}, 'alarm'), h('th', {}, '')),
      list.map((a) => h('tr', { 'data-alarm': a.id },
        h('td', {}, clock(a.time), h('br'), h('span', { class: 'muted' }, ago(a.time))),
        h('td', {}, h('a', { href: '#', onclick: (e) => { e.preventDefault(); emit('selected', a.unit); } }, unitName(a.unit))),
        h('td', {}, h('span', { class: 'state ' + (a.kind === 'emergency' ? 'emergency' : a.severity) }, a.kind), ' ', a.text,
          a.acknowledged_at ? h('div', { class: 'muted' }, 'acknowledged by ' + a.acknowledged_by + ' ' + clock(a.acknowledged_at) + (a.note ? ': ' + a.note : '')) : null),
        h('td', {},
          a.acknowledged_at || !dispatcher ? null : h('button', { class: 'ack', onclick: () => acknowledge(a.id) }, 'ack'),
          dispatcher ? h('button', { class: 'clear', onclick: () => clearAlarm(a.id) }, 'clear') : null)))));
}

async function load() {
  const r = await attempt('loading alarms', () => get('/api/v1/alarms?open=true&limit=500'));
  if (!r) return;
  open.clear();
  const fresh = !loadedOnce;
  loadedOnce = true;
  for (const a of r.alarms) {
    // At first load, what nobody has acknowledged yet pops up as if it had just arrived.
    if (fresh && !a.acknowledged_at && loud(a) && alarmState.popups < 5) popup(a);
    open.set(a.id, a);
  }
  changed();
}

export function init() {
  load();
  on('resync', load);
  on('alarm', (a) => {
    if (a.cleared_at) { open.delete(a.id); changed(); return; }
    const known = open.get(a.id);
    open.set(a.id, { ...known, ...a });
    changed();
    if (!known && loud(a)) { popup(a); sound(a.kind === 'emergency' ? 'emergency' : a.severity); }
  });
}
