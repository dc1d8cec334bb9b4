// Paging: send a text (or a status callout) to a radio or a talkgroup and watch it go
// sent → received → read as the gateway reports it.
import { S, get, post, h, on, attempt, toast, clock, unitName, talkgroupName, allowed, fill } from './util.js';

const pages = new Map();  // id → page

function render() {
  const list = document.getElementById('page-list');
  if (!list) return;
  const rows = [...pages.values()].sort((a, b) => (b.requested_at > a.requested_at ? 1 : -1)).slice(0, 100);
  fill(list, h('tr', {}, h('th', {}, 'sent'), h('th', {}, 'to'), h('th', {}, 'text'), h('th', {}, 'state')),
    rows.map((p) => h('tr', { 'data-page': p.id },
      h('td', {}, clock(p.requested_at), h('br'), h('span', { class: 'muted' }, p.requested_by)),
      h('td', {}, p.target === 'group' ? talkgroupName(p.to) : unitName(p.to)),
      h('td', {}, p.text || (p.status !== null ? 'status ' + p.status : '')),
      h('td', { title: (p.history || []).map((s) => s.state + ' ' + clock(s.time) + (s.detail ? ' (' + s.detail + ')' : '')).join('\n') },
        h('span', { class: 'state page-state ' + p.state }, p.state)))));
}

export function init() {
  const tab = document.getElementById('tab-pages');
  // Only dispatchers page: other roles see the recent pages and no form.
  if (allowed('dispatcher')) tab.append(...composer());
  tab.append(h('h2', {}, 'Recent pages'), h('table', { id: 'page-list' }));
  on('page', (p) => { pages.set(p.id, p); render(); });
  const load = async () => {
    const r = await attempt('loading pages', () => get('/api/v1/pages?limit=100'));
    if (r) { for (const p of r.pages) pages.set(p.id, p); render(); }
  };
  load();
  on('resync', load);
}

/** The form that sends a page (text or status) to a radio or a talkgroup. */
function composer() {
  const to = h('input', { id: 'page-to', list: 'page-targets', placeholder: 'radio ISSI or talkgroup GSSI' });
  const targets = h('datalist', { id: 'page-targets' },
    (S.registry.talkgroups || []).map((t) => h('option', { value: t.gssi }, 'talkgroup ' + t.name)),
    (S.registry.radios || []).slice(0, 3000).map((r) => h('option', { value: r.issi }, r.alias + ' · ' + r.person)));
  const text = h('textarea', { id: 'page-text', rows: 3, maxlength: 1000, placeholder: 'message' });
  const status = h('input', { id: 'page-status', placeholder: 'or a status code / name', size: 14 });
  const send = h('button', { class: 'primary', id: 'page-send' }, 'send');
  const error = h('p', { class: 'error', id: 'page-error' });
  send.addEventListener('click', async () => {
    error.textContent = '';
    const body = { to: to.value.trim() };
    if (status.value.trim()) body.status = status.value.trim(); else body.text = text.value;
    try {
      const p = await post('/api/v1/pages', body);
      pages.set(p.id, p);
      render();
      text.value = ''; status.value = '';
      toast('page ' + p.id + ' to ' + p.to + ': ' + p.state);
    } catch (e) { error.textContent = e.message; }
  });
  on('page-to', (id) => { to.value = id; text.focus(); });
  return [h('h2', {}, 'Page a unit or talkgroup'), h('div', { class: 'row' }, to, targets), text, h('div', { class: 'row' }, status, send), error];
}

export function sendPage(to, text) { return post('/api/v1/pages', { to, text }); }
