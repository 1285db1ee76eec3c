import { get, post } from '../api.js';
import { h, formatInstant, toast } from '../dom.js';

function size(bytes) {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function backupsView() {
  const list = h('div', { class: 'results' });
  const button = h('button', { class: 'btn btn-primary', type: 'button' }, 'Take a snapshot now');

  async function load() {
    try {
      const { data } = await get('/admin/backups');
      list.replaceChildren(data.length
        ? h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Snapshot'), h('th', {}, 'Taken'), h('th', {}, 'Size'), h('th', {}, ''))),
          h('tbody', {}, data.map((b) => h('tr', {},
            h('td', { class: 'mono' }, b.name),
            h('td', {}, formatInstant(b.created_at)),
            h('td', {}, size(b.size_bytes)),
            h('td', {}, b.latest ? h('span', { class: 'badge badge-active' }, 'Latest') : null)))))
        : h('div', { class: 'empty' }, h('p', {}, 'No snapshots yet.')));
    } catch (error) {
      list.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    }
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Taking snapshot…';
    try {
      const taken = await post('/admin/backups');
      toast(`Snapshot ${taken.name} taken and verified`, 'success');
      load();
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      button.disabled = false;
      button.textContent = 'Take a snapshot now';
    }
  });

  load();
  return h('section', { class: 'page' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Backups'),
        h('p', { class: 'muted' }, 'Clinicbox keeps a verified snapshot of all data in the data directory, refreshed every few minutes, plus one per day for the past week. Copying the data directory to another disk is a complete backup.')),
      button),
    list,
    h('article', { class: 'card help' },
      h('h2', {}, 'Restoring'),
      h('p', {}, 'On the server, restore any snapshot or backup into a new directory, then start Clinicbox on it:'),
      h('pre', {}, 'clinicbox restore DATA/snapshots/latest --data NEW-DIRECTORY')));
}
