// Files on the patient's record: referral letters, scans, results. Dropped
// on the card or chosen; the server checks each by its bytes. Roles without
// clinical access see that a file is there and when, not what it is.
import { get, request } from '../api.js';
import { h, formatInstant, sentence, toast } from '../dom.js';
import { can } from '../session.js';

const TYPE_LABELS = {
  'application/pdf': 'PDF', 'image/png': 'PNG image', 'image/jpeg': 'JPEG image', 'image/gif': 'GIF image',
  'image/webp': 'WebP image', 'image/heic': 'HEIC photo', 'text/plain; charset=utf-8': 'Text',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel sheet',
  'application/dicom': 'DICOM image',
};
const SHORT = {
  'application/pdf': 'PDF', 'image/png': 'PNG', 'image/jpeg': 'JPG', 'image/gif': 'GIF', 'image/webp': 'WEBP', 'image/heic': 'HEIC',
  'text/plain; charset=utf-8': 'TXT', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX', 'application/dicom': 'DICOM',
};
const ACCEPT = '.pdf,.png,.jpg,.jpeg,.gif,.webp,.heic,.heif,.txt,.docx,.xlsx,.dcm';

export function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function filesCard(patient, { onChanged = () => {} } = {}) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading files…'));
  const status = h('p', { class: 'muted small', role: 'status' });
  const writable = can('clinical_write') && patient.status === 'active';

  async function load() {
    try {
      const { data } = await get(`/patients/${patient.id}/attachments?page_size=100`);
      body.replaceChildren(data.length
        ? h('ul', { class: 'plain-list file-list' }, data.map(fileItem))
        : h('p', { class: 'muted' }, writable ? 'No files yet. Drop a file here or choose one.' : 'No files yet.'));
    } catch (error) {
      body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  function fileItem(file) {
    const meta = [TYPE_LABELS[file.content_type] || file.content_type, sizeLabel(file.size), formatInstant(file.created_at)].join(' · ');
    if (!file.filename) {
      return h('li', { class: 'file' }, h('span', { class: 'file-type', 'aria-hidden': 'true' }, SHORT[file.content_type] || 'FILE'),
        h('div', {}, h('span', {}, 'A file'), h('p', { class: 'muted small' }, meta)));
    }
    return h('li', { class: 'file' }, h('span', { class: 'file-type', 'aria-hidden': 'true' }, SHORT[file.content_type] || 'FILE'),
      h('div', {},
        h('a', { href: `/api/v1/attachments/${file.id}/content`, download: file.filename }, file.filename),
        file.description ? h('p', { class: 'small' }, file.description) : null,
        h('p', { class: 'muted small' }, meta)));
  }

  async function send(files) {
    for (const file of files) {
      status.textContent = `Uploading ${file.name}…`;
      const form = new FormData();
      form.append('file', file, file.name);
      try {
        await request('POST', `/patients/${patient.id}/attachments`, form, null);
        toast(`${file.name} added`, 'success');
      } catch (error) {
        toast(`${file.name}: ${sentence(error.message)}`, 'error');
      }
    }
    status.textContent = '';
    load();
    onChanged();
  }

  const picker = h('input', { type: 'file', multiple: true, accept: ACCEPT, class: 'visually-hidden', id: `file-picker-${patient.id}`, 'aria-label': 'Choose files to add' });
  picker.addEventListener('change', () => { send([...picker.files]); picker.value = ''; });
  const card = h('article', { class: writable ? 'card files-card drop-zone' : 'card files-card' },
    h('div', { class: 'row-between' }, h('h2', {}, 'Files'),
      writable ? h('label', { class: 'btn btn-primary btn-small', for: picker.id }, 'Add file') : null),
    writable ? picker : null,
    writable ? h('p', { class: 'muted small drop-hint' }, 'Drop files here: PDF, images, Word, Excel, text or DICOM.') : null,
    status, body);
  if (writable) {
    card.addEventListener('dragover', (e) => { e.preventDefault(); card.classList.add('dragging'); });
    card.addEventListener('dragleave', (e) => { if (!card.contains(e.relatedTarget)) card.classList.remove('dragging'); });
    card.addEventListener('drop', (e) => {
      e.preventDefault();
      card.classList.remove('dragging');
      if (e.dataTransfer?.files?.length) send([...e.dataTransfer.files]);
    });
  }
  load();
  return card;
}
