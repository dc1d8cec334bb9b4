// Track replay: pick units and a time range, load their tracks, and play them back with a time
// slider (1×, 10×, 60×, 300×). Each unit is drawn with its trail up to the slider's time.
import { S, get, h, on, attempt, toast, clock, stamp, unitName, textElement } from './util.js';
import { toMap, overlay } from './map.js';

let layer = null, tracks = [], t0 = 0, t1 = 0, now = 0, playing = false, speed = 60, lastFrame = 0;
export const replayState = { get tracks() { return tracks; }, get time() { return now; } };

const localInput = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);
const fromLocalInput = (text) => new Date(text + ':00+08:00').getTime();

function position(points, t) {
  // The last point at or before t (binary search).
  let lo = 0, hi = points.length - 1, best = -1;
  while (lo <= hi) { const mid = (lo + hi) >> 1; if (points[mid].ms <= t) { best = mid; lo = mid + 1; } else hi = mid - 1; }
  return best;
}

function render() {
  if (!layer) return;
  layer.clearLayers();
  const colours = ['#e65100', '#1d5fbf', '#6a1b9a', '#2e7d32', '#c62828', '#00838f'];
  tracks.forEach((tr, i) => {
    const k = position(tr.points, now);
    if (k < 0) return;
    const trail = tr.points.slice(0, k + 1).map((p) => toMap(p.lat, p.lon));
    L.polyline(trail, { color: colours[i % colours.length], weight: 3, opacity: 0.8, interactive: false }).addTo(layer);
    L.circleMarker(trail[trail.length - 1], { radius: 7, color: '#fff', weight: 2, fillColor: colours[i % colours.length], fillOpacity: 1 })
      .bindTooltip(textElement(unitName(tr.unit) + ' · ' + clock(tr.points[k].time)), { permanent: true, direction: 'right' }).addTo(layer);
  });
  document.getElementById('replay-time').textContent = stamp(now) + ':' + String(new Date(now).getUTCSeconds()).padStart(2, '0') + ' UTC+8';
  const slider = document.getElementById('replay-slider');
  if (t1 > t0) slider.value = String(Math.round((now - t0) / (t1 - t0) * 1000));
}

function tick(t) {
  if (!playing) return;
  const dt = lastFrame ? (t - lastFrame) : 0;
  lastFrame = t;
  now = Math.min(t1, now + dt * speed);
  render();
  if (now >= t1) { playing = false; document.getElementById('replay-play').textContent = 'play'; return; }
  requestAnimationFrame(tick);
}

export function init() {
  const tab = document.getElementById('tab-replay');
  const units = h('input', { id: 'replay-units', placeholder: 'unit ids, comma separated' });
  const from = h('input', { id: 'replay-from', type: 'datetime-local', value: localInput(Date.now() - 3600e3) });
  const to = h('input', { id: 'replay-to', type: 'datetime-local', value: localInput(Date.now()) });
  const slider = h('input', { id: 'replay-slider', type: 'range', min: 0, max: 1000, value: 0 });
  const play = h('button', { id: 'replay-play' }, 'play');
  const rate = h('select', { id: 'replay-speed' }, [1, 10, 60, 300].map((v) => h('option', { value: v, selected: v === 60 }, v + '×')));
  const status = h('p', { id: 'replay-status', class: 'muted' });
  const load = h('button', { class: 'primary', id: 'replay-load' }, 'load tracks');
  load.addEventListener('click', async () => {
    const ids = units.value.split(',').map((s) => s.trim()).filter(Boolean);
    const a = fromLocalInput(from.value), b = fromLocalInput(to.value);
    if (ids.length === 0) { toast('name one or more units (or use "replay…" on a unit)', true); return; }
    if (!(b > a)) { toast('the end of the range must be after its start', true); return; }
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const results = await Promise.all(ids.map((id) => attempt('loading the track of ' + id,
      () => get('/api/v1/units/' + encodeURIComponent(id) + '/track?limit=100000&from=' + iso(a) + '&to=' + iso(b)))));
    tracks = results.filter(Boolean).map((r) => ({ unit: r.unit, truncated: r.truncated, points: r.points.map((p) => ({ ...p, ms: new Date(p.time).getTime() })) }));
    t0 = a; t1 = b; now = a;
    if (!layer) layer = overlay();
    status.textContent = tracks.map((t) => unitName(t.unit) + ': ' + t.points.length + ' positions' + (t.truncated ? ' (truncated; narrow the range)' : '')).join(' · ');
    const first = tracks.find((t) => t.points.length);
    if (first) S.map.fitBounds(L.latLngBounds(first.points.map((p) => toMap(p.lat, p.lon))), { padding: [40, 40], maxZoom: 17 });
    render();
  });
  play.addEventListener('click', () => {
    if (!tracks.length) { toast('load tracks first', true); return; }
    playing = !playing; play.textContent = playing ? 'pause' : 'play';
    if (playing) { if (now >= t1) now = t0; lastFrame = 0; requestAnimationFrame(tick); }
  });
  rate.addEventListener('change', () => { speed = Number(rate.value); });
  slider.addEventListener('input', () => { now = t0 + (t1 - t0) * Number(slider.value) / 1000; render(); });
  const clear = h('button', { onclick: () => { tracks = []; if (layer) layer.clearLayers(); status.textContent = ''; } }, 'clear');
  tab.append(h('h2', {}, 'Track replay'), h('div', { class: 'row' }, units),
    h('div', { class: 'row' }, 'from', from, 'to', to, h('span', { class: 'muted' }, 'UTC+8')), h('div', { class: 'row' }, load, clear),
    h('div', { class: 'row' }, play, rate, slider), h('div', { id: 'replay-time', class: 'muted' }), status);
  on('replay-unit', (id) => {
    const list = units.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.includes(id)) list.push(id);
    units.value = list.join(', ');
  });
  on('datum', render);
}
