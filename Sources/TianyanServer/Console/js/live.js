// The live feed: one WebSocket, every topic the console shows, batched; reconnects with backoff
// and says so in the header. Each event is handed to the bus by its type.
import { S, emit, toast } from './util.js';

export const liveState = { connected: false, events: 0, reconnects: 0, lastError: null, closeReason: null };
const TOPICS = ['positions', 'units', 'calls', 'alarms', 'pages', 'sorties', 'flight_tasks', 'radio_messages', 'tasks'];

export function startLive() {
  let backoff = 500;
  const chip = document.getElementById('link');
  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(scheme + '//' + location.host + '/api/v1/live?token=' + encodeURIComponent(S.token || ''));
    ws.onopen = () => {
      ws.send(JSON.stringify({ subscribe: TOPICS, batch: true }));
    };
    // The acknowledgement and errors are control messages, wherever they arrive (alone, or in a
    // batch written together with the events queued before them).
    const control = (msg) => {
      if (msg.type === 'subscribed') {
        liveState.connected = true; backoff = 500;
        chip.textContent = 'live: on'; chip.className = 'chip on';
        if (liveState.reconnects > 0) emit('resync');
        return true;
      }
      if (msg.type === 'error') {
        // An older controller may not know a topic: subscribe without it.
        const i = TOPICS.indexOf('tasks');
        if (msg.data && msg.data.field === 'subscribe' && i >= 0) { TOPICS.splice(i, 1); ws.send(JSON.stringify({ subscribe: TOPICS, batch: true })); return true; }
        liveState.lastError = msg.data && msg.data.message;
        return true;
      }
      return false;
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      const list = msg.type === 'batch' && Array.isArray(msg.data) ? msg.data : [msg];
      for (const e of list) {
        if (control(e)) continue;
        liveState.events++; emit(e.type, e.data);
      }
    };
    ws.onclose = (e) => {
      liveState.connected = false; liveState.closeReason = e.reason || String(e.code);
      chip.textContent = 'live: off'; chip.className = 'chip off';
      chip.title = 'live feed closed' + (e.reason ? ': ' + e.reason : '') + '; reconnecting';
      if (e.reason === 'session ended' || !S.token) { emit('logged-out', 'your session has ended; log in again'); return; }
      if (e.code === 1008) toast('live feed: ' + (e.reason || 'closed by the controller') + '; reconnecting', true);
      liveState.reconnects++;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  };
  connect();
}
