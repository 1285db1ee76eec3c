// Live events: one WebSocket to /api/v1/events for the whole page, opened
// after sign-in and reopened (with growing pauses) when it drops. Views
// listen for event types ("appointment.created", or "appointment.*") and
// refetch what they show; "resync" and a reconnect reach every listener,
// since events may have been missed.
import { get } from './api.js';

const SIGNED_OUT = 4401;
const listeners = new Set();
const stateListeners = new Set();
let socket = null;
let wanted = false;
let retryMs = 1000;
let retryTimer = null;
let everOpen = false;

/** Whether the socket is open now. */
export const isLive = () => socket?.readyState === WebSocket.OPEN;

/** Calls `handler(event)` for events whose type matches `pattern`; returns the way to stop. */
export function onEvent(pattern, handler) {
  const entry = { pattern, handler };
  listeners.add(entry);
  return () => listeners.delete(entry);
}

/** Calls `handler(isLive)` whenever the connection opens or drops; returns the way to stop. */
export function onLiveChange(handler) {
  stateListeners.add(handler);
  return () => stateListeners.delete(handler);
}

const matches = (pattern, type) => pattern === type || pattern === '*'
  || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)));

function dispatch(event) {
  for (const { pattern, handler } of [...listeners]) {
    // A resync is every listener's business: something may have been missed.
    if (event.type === 'resync' || matches(pattern, event.type)) {
      try { handler(event); } catch (error) { console.warn('live event handler failed', error); }
    }
  }
}

function announce() {
  const live = isLive();
  for (const handler of [...stateListeners]) handler(live);
}

function open() {
  clearTimeout(retryTimer);
  if (!wanted || socket) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/events`);
  socket = ws;
  ws.addEventListener('open', () => {
    retryMs = 1000;
    // After a gap, what is on screen may be stale.
    if (everOpen) dispatch({ type: 'resync', id: null, data: {} });
    everOpen = true;
    announce();
  });
  ws.addEventListener('message', (message) => {
    try { dispatch(JSON.parse(message.data)); } catch { /* not an event */ }
  });
  ws.addEventListener('close', (closed) => {
    if (socket === ws) socket = null;
    announce();
    if (closed.code === SIGNED_OUT) {
      // The sign-in ended elsewhere: asking the server shows the sign-in page.
      wanted = false;
      get('/auth/session').catch(() => {});
      return;
    }
    if (wanted) {
      retryTimer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    }
  });
}

/** Opens the page's connection (once) for the signed-in person. */
export function startLive() {
  wanted = true;
  open();
}

/** Closes it: on sign-out. */
export function stopLive() {
  wanted = false;
  everOpen = false;
  clearTimeout(retryTimer);
  socket?.close(1000, 'signed out');
  socket = null;
}

// A tab woken from sleep reconnects at once rather than after its pause.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && wanted && !socket) { retryMs = 1000; open(); }
});
