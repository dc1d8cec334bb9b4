// The map: Leaflet with an optional tile layer, the grid cells and community outlines from the
// registry, and every unit drawn on one canvas (thousands of radios stay fluid: an update only
// marks the canvas dirty; it is redrawn once per animation frame). Radios are clustered on a
// screen grid when zoomed out.
import { S, emit, on, textElement, escapeHTML } from './util.js';
import { wgsToGcj } from './geo.js';

export const CLUSTER_BELOW_ZOOM = 15;
const CLUSTER_PX = 56;

/** A WGS-84 point as the map draws it (shifted to GCJ-02 when that datum is shown). */
export function toMap(lat, lon) {
  if (S.datum === 'gcj02') { const [a, b] = wgsToGcj(lat, lon); return L.latLng(a, b); }
  return L.latLng(lat, lon);
}

let cellsLayer = null, outlineLayer = null, overlays = null;
let cellsGeo = null, coverage = null, heat = false;
const frame = { dirty: true, drawn: 0, last: 0, durations: [] };

export function initMap(settings) {
  const map = L.map('map', { preferCanvas: true, zoomControl: true, attributionControl: !!settings.tile_url, worldCopyJump: false });
  S.map = map;
  if (settings.tile_url) {
    // The attribution is configured text (console.tile_attribution); Leaflet shows it as HTML.
    L.tileLayer(settings.tile_url, { maxZoom: 19, attribution: escapeHTML(settings.tile_attribution || '') }).addTo(map);
  }
  overlays = L.layerGroup().addTo(map);
  map.setView([22.80, 113.80], 12);  // until the cells are drawn and fitted
  const canvas = document.createElement('canvas');
  canvas.className = 'unit-canvas';
  map.getContainer().append(canvas);
  const resize = () => {
    const size = map.getSize(), ratio = window.devicePixelRatio || 1;
    canvas.width = size.x * ratio; canvas.height = size.y * ratio;
    canvas.style.width = size.x + 'px'; canvas.style.height = size.y + 'px';
    frame.dirty = true;
  };
  resize();
  map.on('resize', resize);
  map.on('move zoom viewreset', () => { frame.dirty = true; });
  map.on('click', (e) => {
    const hit = hitTest(e.containerPoint);
    if (hit && hit.cluster) map.setView(e.latlng, Math.min(map.getZoom() + 2, 18));
    else if (hit) emit('selected', hit.unit.id);
    else emit('map-click', e);
  });
  map.getContainer().addEventListener('mousemove', (e) => {
    const r = map.getContainer().getBoundingClientRect();
    map.getContainer().style.cursor = hitTest(L.point(e.clientX - r.left, e.clientY - r.top)) ? 'pointer' : '';
  });
  const loop = (t) => {
    if (frame.dirty) {
      const start = performance.now();
      draw(canvas);
      frame.durations.push(performance.now() - start);
      if (frame.durations.length > 5000) frame.durations.splice(0, 1000);
      frame.dirty = false; frame.drawn++;
    }
    frame.last = t;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  on('units-changed', () => { frame.dirty = true; });
  return map;
}

export function redraw() { frame.dirty = true; }
export const frameStats = frame;

// What was drawn where, for clicks: [{x, y, unit} | {x, y, cluster: n}]
let drawn = [];

function colour(u) {
  if (u.emergency) return '#d50000';
  if (!u.online) return '#8a94a3';
  if (u.talking) return '#1d5fbf';
  if (u.kind === 'drone') return u.flying ? '#e65100' : '#00838f';
  if (u.kind === 'dock') return '#4527a0';
  return '#2e7d32';
}

function draw(canvas) {
  const map = S.map, ctx = canvas.getContext('2d'), ratio = window.devicePixelRatio || 1;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const size = map.getSize();
  ctx.clearRect(0, 0, size.x, size.y);
  drawn = [];
  const clustering = map.getZoom() < CLUSTER_BELOW_ZOOM;
  const clusters = new Map();
  const others = [];
  // Each unit's world pixel position is kept until it moves, the zoom or the datum changes;
  // a frame then only subtracts the view's origin (no allocation per unit).
  const zoom = map.getZoom(), key = zoom + S.datum;
  const origin = map.getPixelOrigin(), pane = map._getMapPanePos ? map._getMapPanePos() : L.point(0, 0);
  const ox = origin.x - pane.x, oy = origin.y - pane.y;
  for (const u of S.units.values()) {
    const pos = u.position;
    if (!pos) continue;
    if (u._pk !== key || u._pp !== pos) {
      const w = map.project(toMap(pos.lat, pos.lon), zoom);
      u._wx = w.x; u._wy = w.y; u._pk = key; u._pp = pos;
    }
    const x = u._wx - ox, y = u._wy - oy;
    if (x < -20 || y < -20 || x > size.x + 20 || y > size.y + 20) continue;
    if (u.kind === 'radio' && clustering && !u.emergency && !u.talking && !u.selected) {
      const cell = Math.floor(x / CLUSTER_PX) * 4096 + Math.floor(y / CLUSTER_PX) + 2048;
      let c = clusters.get(cell);
      if (!c) { c = { x: 0, y: 0, n: 0, online: 0, first: u, fx: x, fy: y }; clusters.set(cell, c); }
      c.x += x; c.y += y; c.n++; if (u.online) c.online++;
    } else others.push([u, { x, y }]);
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
  for (const c of clusters.values()) {
    if (c.n === 1) { others.push([c.first, { x: c.fx, y: c.fy }]); continue; }
    const x = c.x / c.n, y = c.y / c.n, r = 9 + Math.min(14, Math.log2(c.n) * 2.2);
    ctx.beginPath(); ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fillStyle = c.online > 0 ? 'rgba(46,125,50,.78)' : 'rgba(138,148,163,.8)';
    ctx.fill(); ctx.lineWidth = 2; ctx.strokeStyle = '#fff'; ctx.stroke();
    ctx.fillStyle = '#fff'; ctx.fillText(String(c.n), x, y);
    drawn.push({ x, y, r, cluster: c.n });
  }
  // Radios first, then docks, then drones on top; the selected unit last.
  const rank = (u) => (u.selected ? 9 : 0) + (u.emergency ? 5 : 0) + (u.kind === 'drone' ? 3 : u.kind === 'dock' ? 2 : 1);
  others.sort((a, b) => rank(a[0]) - rank(b[0]));
  for (const [u, p] of others) {
    ctx.fillStyle = colour(u); ctx.strokeStyle = '#fff'; ctx.lineWidth = 1.5;
    ctx.beginPath();
    if (u.kind === 'drone') {
      const a = ((u.position.heading_deg || 0) - 90) * Math.PI / 180;
      ctx.moveTo(p.x + Math.cos(a) * 11, p.y + Math.sin(a) * 11);
      ctx.lineTo(p.x + Math.cos(a + 2.5) * 8, p.y + Math.sin(a + 2.5) * 8);
      ctx.lineTo(p.x + Math.cos(a - 2.5) * 8, p.y + Math.sin(a - 2.5) * 8);
      ctx.closePath();
    } else if (u.kind === 'dock') {
      ctx.rect(p.x - 6, p.y - 6, 12, 12);
    } else {
      ctx.arc(p.x, p.y, u.emergency ? 8 : 5, 0, Math.PI * 2);
    }
    ctx.fill(); ctx.stroke();
    if (u.talking || u.selected || u.emergency) {
      ctx.beginPath(); ctx.arc(p.x, p.y, 13, 0, Math.PI * 2);
      ctx.strokeStyle = u.emergency ? '#d50000' : u.selected ? '#111' : '#1d5fbf'; ctx.lineWidth = 2.5; ctx.stroke();
    }
    if (map.getZoom() >= 16 || u.selected) {
      ctx.fillStyle = '#142033'; ctx.textAlign = 'left';
      ctx.fillText(u.name || u.id, p.x + 12, p.y - 10);
      ctx.textAlign = 'center';
    }
    drawn.push({ x: p.x, y: p.y, r: 9, unit: u });
  }
}

function hitTest(point) {
  let best = null, bestD = 12;
  for (const d of drawn) {
    const dist = Math.hypot(d.x - point.x, d.y - point.y) - (d.cluster ? d.r - 6 : 0);
    if (dist <= bestD) { best = d; bestD = dist; }
  }
  return best;
}

/** The grid cells (GeoJSON) drawn as outlines, or coloured by staleness when the heat map is on. */
export function setCells(geojson) { cellsGeo = geojson; drawCells(); }
export function setCoverage(c) { coverage = c; if (heat) drawCells(); }
export function setHeat(on) { heat = on; drawCells(); }

export function staleColour(c) {
  if (!c || c.status === 'never' || c.staleness_days === null || c.staleness_days === undefined) return '#6d6d6d';
  const d = c.staleness_days;
  if (c.status === 'overdue') return '#c62828';
  if (d < 4) return '#2e7d32';
  if (d < 9) return '#9e9d24';
  return '#ef6c00';
}

function drawCells() {
  if (!S.map || !cellsGeo) return;
  if (cellsLayer) cellsLayer.remove();
  if (outlineLayer) outlineLayer.remove();
  const byCell = new Map((coverage ? coverage.cells : []).map((c) => [c.cell, c]));
  cellsLayer = L.layerGroup();
  const communities = new Map();
  for (const f of cellsGeo.features || []) {
    const ring = (f.geometry && f.geometry.coordinates && f.geometry.coordinates[0]) || [];
    const latlngs = ring.map(([lon, lat]) => toMap(lat, lon));
    const id = f.properties.id, c = byCell.get(id);
    const style = heat
      ? { color: '#ffffff', weight: 0.6, fillColor: staleColour(c), fillOpacity: 0.55 }
      : { color: '#5a6b82', weight: 0.7, fillOpacity: 0.03, fillColor: '#5a6b82' };
    const poly = L.polygon(latlngs, { ...style, interactive: true, bubblingMouseEvents: false });
    // A click on a cell is also a click on the map at that point (a task's location, say).
    poly.on('click', (e) => { emit('cell-click', { id, cell: c, feature: f, event: e }); emit('map-click', e); });
    const tip = c ? `${id} · ${c.community} · ${c.status}` + (c.staleness_days !== null && c.staleness_days !== undefined ? ` · ${c.staleness_days.toFixed(1)} d since covered` : '') : `${id} · ${f.properties.community || ''}`;
    poly.bindTooltip(() => textElement(tip), { sticky: true });
    cellsLayer.addLayer(poly);
    const name = f.properties.community;
    if (name) {
      const b = communities.get(name) || L.latLngBounds(latlngs);
      b.extend(L.latLngBounds(latlngs));
      communities.set(name, b);
    }
  }
  // Community outlines: the envelope of each community's cells, named.
  outlineLayer = L.layerGroup();
  for (const [name, b] of communities) {
    outlineLayer.addLayer(L.rectangle(b, { color: '#142033', weight: 1.5, fill: false, dashArray: '4 4', interactive: false }));
    outlineLayer.addLayer(L.tooltip({ permanent: true, direction: 'center', className: 'cell-label', opacity: 0.7 }).setLatLng(b.getNorthWest()).setContent(textElement(name)));
  }
  cellsLayer.addTo(S.map);
  if (S.map.getZoom() >= 11) outlineLayer.addTo(S.map);
}

export function fitCells() {
  if (!cellsLayer) return;
  const b = L.latLngBounds([]);
  cellsLayer.eachLayer((l) => b.extend(l.getBounds()));
  if (b.isValid()) S.map.fitBounds(b, { padding: [20, 20] });
}

/** A layer for overlays a panel draws (a track, a replay); cleared by the panel that owns it. */
export function overlay() { const g = L.layerGroup(); g.addTo(S.map); return g; }

export function redrawCellsForDatum() { drawCells(); }
