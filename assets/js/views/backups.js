import { get, post } from '../api.js';
import { h, formatInstant, toast } from '../dom.js';

function ago(iso) {
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return '(just now)';
  if (minutes < 60) return `(${minutes} min ago)`;
  if (minutes < 48 * 60) return `(${Math.round(minutes / 60)} h ago)`;
  return `(${Math.round(minutes / 1440)} days ago)`;
}

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
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Taken'), h('th', {}, 'Size'), h('th', { class: 'hide-sm' }, 'Snapshot'), h('th', {}, h('span', { class: 'visually-hidden' }, 'Download')))),
          h('tbody', {}, data.map((b) => h('tr', {},
            h('td', {}, h('span', { class: 'strong' }, formatInstant(b.created_at)), ' ',
              h('span', { class: 'muted small' }, ago(b.created_at)), b.latest ? h('span', { class: 'badge badge-active badge-gap' }, 'Latest') : null),
            h('td', { class: 'nowrap' }, size(b.size_bytes)),
            h('td', { class: 'mono muted small hide-sm' }, b.name),
            h('td', {}, h('a', {
              class: 'btn btn-ghost btn-small', href: `/api/v1/admin/backups/${encodeURIComponent(b.name)}/archive`, download: '',
              'aria-label': `Download the snapshot of ${formatInstant(b.created_at)}`,
            }, 'Download')))))))
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
        h('p', { class: 'muted' }, 'A verified snapshot of all the clinic’s data, refreshed every few minutes after a change, and the last one of each day for the past week. Times are this computer’s.')),
      button),
    h('div', { class: 'banner banner-warning', role: 'note' },
      h('strong', {}, 'These snapshots are on the same disk as Clinicbox. '),
      'A failed disk, a theft or a fire takes them with it. Keep a copy somewhere else too: download one here at least weekly onto a USB drive or another computer, or have your backup software copy the data directory every night.'),
    list,
    h('div', { class: 'cards' },
      h('article', { class: 'card help' },
        h('h2', {}, 'Keeping a copy off this machine'),
        h('ol', { class: 'steps' },
          h('li', {}, 'Press Download on the newest snapshot: one file, clinicbox-backup-….tar.'),
          h('li', {}, 'Save it on an encrypted USB drive or a computer in another place; it holds every patient record.'),
          h('li', {}, 'Keep a few weeks of them, and try a restore now and then.'))),
      h('article', { class: 'card help' },
        h('h2', {}, 'Restoring'),
        h('p', {}, 'On the server, restore a downloaded file, a snapshot or a backup into a new directory, then start Clinicbox on it:'),
        h('pre', {}, 'clinicbox restore clinicbox-backup-….tar --data NEW-DIRECTORY'),
        h('pre', {}, 'clinicbox restore DATA/snapshots/latest --data NEW-DIRECTORY'))));
}
