// The bell in the top bar: how many of one's notifications are unread, and
// the latest of them in a panel. Live events say when one arrives (a toast)
// or is read in another tab; only while they are down is it counted every
// half minute instead.
import { get, post } from './api.js';
import { h, formatInstant, toast } from './dom.js';
import { isLive, onEvent } from './live.js';

const EVERY_MS = 30000;
let timer = null;
let lastSeen = null;
let stopListening = () => {};

function bellIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'bell-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

export function bell() {
  const count = h('span', { class: 'bell-count', hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-ghost bell', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'bell-panel', 'aria-label': 'Notifications' },
    bellIcon(), count);
  const list = h('div', {});
  const panel = h('div', { id: 'bell-panel', class: 'bell-panel', hidden: true, role: 'region', 'aria-label': 'Notifications' },
    h('div', { class: 'row-between' }, h('h2', {}, 'Notifications'),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: readAll }, 'Mark all read')),
    list);

  function show(n) {
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    button.setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications');
  }

  async function refresh({ quiet = false } = {}) {
    try {
      const { unread } = await get('/notifications/unread-count');
      show(unread);
      // A toast for what arrived since the last count (a live event brings its own).
      if (!quiet && lastSeen !== null && unread > lastSeen) {
        const { data } = await get('/notifications?unread_only=true&page_size=1');
        if (data[0]) toast(data[0].title, 'info');
      }
      lastSeen = unread;
    } catch { /* signed out or offline: the next count tries again */ }
  }

  async function open() {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    list.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const { data } = await get('/notifications?page_size=10');
      list.replaceChildren(data.length
        ? h('ul', { class: 'plain-list bell-list' }, data.map((n) => h('li', { class: n.read_at ? '' : 'unread' },
          h('a', {
            href: n.link || '#', dataset: { link: '' },
            onclick: async () => { close(); if (!n.read_at) await post(`/notifications/${n.id}/read`).catch(() => {}); refresh(); },
          }, h('span', { class: 'strong' }, n.title)),
          n.body ? h('p', { class: 'small' }, n.body) : null,
          h('p', { class: 'muted small' }, formatInstant(n.created_at)))))
        : h('p', { class: 'muted' }, 'Nothing new. Bookings others make for you, failed messages and risk answers show here.'));
    } catch (error) {
      list.replaceChildren(h('p', { class: 'muted' }, error.message));
    }
  }

  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  async function readAll() {
    try {
      await post('/notifications/read-all');
      show(0);
      lastSeen = 0;
      open();
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  button.addEventListener('click', () => (panel.hidden ? open() : close()));
  panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { close(); button.focus(); } });
  document.addEventListener('click', (e) => { if (!panel.hidden && !wrapper.contains(e.target)) close(); });
  const wrapper = h('div', { class: 'bell-wrap' }, button, panel);
  clearInterval(timer);
  timer = setInterval(() => { if (!document.hidden && !isLive()) refresh(); }, EVERY_MS);
  // The top bar is drawn again on each page: the newest bell listens.
  stopListening();
  const stops = [
    onEvent('notification.created', (event) => {
      if (event.type === 'notification.created') toast(event.data.title, 'info');
      refresh({ quiet: event.type === 'notification.created' });
    }),
    onEvent('notification.read', (event) => {
      if (event.type === 'notification.read') { show(event.data.unread); lastSeen = event.data.unread; } else refresh({ quiet: true });
    }),
  ];
  stopListening = () => stops.forEach((stop) => stop());
  refresh();
  return wrapper;
}
