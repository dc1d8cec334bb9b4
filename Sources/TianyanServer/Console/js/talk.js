// Talkgroup activity: who is talking now on which talkgroup (the talker ringed on the map), and
// the last 30 minutes of calls per talkgroup as a timeline.
import { S, get, h, on, emit, attempt, clock, duration, unitName, talkgroupName, fill } from './util.js';
import { redraw } from './map.js';

const WINDOW_MS = 30 * 60 * 1000;
const calls = new Map();   // id → call {id, called, caller, kind, emergency, start, end, talking, transmissions}
export const talkState = { calls };

function normalise(c) {
  const tx = c.transmissions || [];
  const talking = c.talking !== undefined ? c.talking : (c.end ? null : (tx.filter((t) => !t.end).pop() || {}).talker || null);
  return { ...c, transmissions: tx, talking };
}

function markTalkers() {
  for (const u of S.units.values()) u.talking = false;
  for (const c of calls.values()) if (!c.end && c.talking) { const u = S.units.get(c.talking); if (u) u.talking = true; }
  redraw();
}

function render() {
  const tab = document.getElementById('tab-talk');
  const now = Date.now(), since = now - WINDOW_MS;
  for (const [id, c] of calls) if (c.end && new Date(c.end).getTime() < since) calls.delete(id);
  const live = [...calls.values()].filter((c) => !c.end);
  const groups = new Map();
  for (const c of calls.values()) {
    const key = c.kind === 'group' ? c.called : 'individual';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  const nowBox = h('table', { id: 'talk-now' }, h('tr', {}, h('th', {}, 'talkgroup'), h('th', {}, 'talking now'), h('th', {}, 'call')),
    live.length === 0 ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'nobody is talking')) :
    live.map((c) => h('tr', { 'data-call': c.id },
      h('td', {}, c.kind === 'group' ? talkgroupName(c.called) : 'individual → ' + unitName(c.called)),
      h('td', {}, c.talking ? h('a', { href: '#', class: 'talking', onclick: (e) => { e.preventDefault(); emit('selected', c.talking); } }, unitName(c.talking)) : h('span', { class: 'muted' }, 'channel open, nobody keyed')),
      h('td', {}, (c.emergency ? 'EMERGENCY · ' : '') + duration((now - new Date(c.start).getTime()) / 1000)))));
  const lines = [];
  for (const [key, list] of [...groups].sort()) {
    const bars = h('div', { class: 'timeline', title: 'last 30 minutes' });
    for (const c of list) {
      const a = Math.max(new Date(c.start).getTime(), since), b = c.end ? new Date(c.end).getTime() : now;
      const bar = h('i', { class: c.emergency ? 'emergency' : c.end ? '' : 'open', title: clock(c.start) + ' ' + unitName(c.caller) + (c.end ? ' · ' + duration((b - new Date(c.start).getTime()) / 1000) : ' · now') });
      bar.style.left = ((a - since) / WINDOW_MS * 100).toFixed(2) + '%';
      bar.style.width = Math.max(0.3, (b - a) / WINDOW_MS * 100).toFixed(2) + '%';
      bars.append(bar);
    }
    lines.push(h('div', {}, h('span', {}, key === 'individual' ? 'individual calls' : talkgroupName(key)), bars));
  }
  fill(tab, h('h2', {}, 'Talking now'), nowBox, h('h2', {}, 'Last 30 minutes'),
    lines.length ? lines : h('p', { class: 'muted' }, 'no calls in the last 30 minutes'));
}

export function init() {
  const load = async () => {
    const since = new Date(Date.now() - WINDOW_MS).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await attempt('loading the voice log', () => get('/api/v1/voice-log?limit=1000&since=' + since));
    if (!r) return;
    for (const c of r.calls) calls.set(c.id, normalise(c));
    markTalkers(); render();
  };
  load();
  on('resync', load);
  on('call', (c) => { calls.set(c.id, normalise(c)); markTalkers(); render(); });
  setInterval(() => { if (document.getElementById('tab-talk').classList.contains('on')) render(); }, 1000);
}
