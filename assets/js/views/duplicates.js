// Two records of one person: the notice on each record, the side-by-side
// comparison a manager merges from, the review list, and undoing a merge.
import { get, post } from '../api.js';
import { h, ask, modal, formatDate, formatInstant, sentence, toast } from '../dom.js';
import { can } from '../session.js';

const canMerge = () => can('patient_merge');
const nameOf = (p) => `${p.given_name} ${p.family_name}`;
const REASONS = { name_and_birth_date: 'same name and date of birth', phone: 'same phone number' };

/**
 * What the record page says above the details: that it may be a duplicate
 * (with compare and dismiss for managers), or that it was merged away.
 */
export function duplicateNotices(patient, navigate) {
  const box = h('div', { class: 'duplicate-notices' });
  if (patient.merged_into_id) box.append(mergedAwayNotice(patient, navigate));
  get(`/patients/${patient.id}/duplicates`).then(({ data }) => {
    for (const flag of data.filter((f) => f.status === 'open')) {
      const other = flag.patient.id === patient.id ? flag.other : flag.patient;
      box.append(h('div', { class: 'banner banner-warning duplicate-notice', role: 'status' },
        h('p', { class: 'strong' }, 'Possible duplicate'),
        h('p', {}, 'This may be the same person as ',
          h('a', { href: `/patients/${other.id}`, dataset: { link: '' } }, nameOf(other)),
          ` (${REASONS[flag.reason] || flag.reason}). `,
          canMerge() ? null : 'A manager will review the pair.'),
        canMerge() ? h('div', { class: 'actions' },
          h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => compare(patient.id, other.id, navigate) }, 'Compare and merge'),
          h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => dismiss(flag, navigate, patient.id) }, 'Not the same person')) : null));
    }
  }).catch(() => {});
  return box;
}

function mergedAwayNotice(patient, navigate) {
  const into = h('a', { href: `/patients/${patient.merged_into_id}`, dataset: { link: '' } }, `patient #${patient.merged_into_id}`);
  get(`/patients/${patient.merged_into_id}`).then((p) => { into.textContent = nameOf(p); }).catch(() => {});
  const undoButton = h('button', { class: 'btn btn-ghost btn-small', type: 'button' }, 'Undo merge');
  get(`/patients/${patient.id}/merges`).then(({ data }) => {
    const merge = data.find((m) => m.merged_patient_id === patient.id && !m.undone_at);
    if (merge && canMerge()) undoButton.addEventListener('click', () => undo(merge, navigate, patient.id));
    else undoButton.remove();
  }).catch(() => undoButton.remove());
  return h('div', { class: 'banner banner-info', role: 'status' },
    h('p', {}, h('span', { class: 'strong' }, 'Merged. '), 'This record was merged into ', into,
      '; its appointments are there now. It is kept here, archived, as it was.'),
    canMerge() ? undoButton : null);
}

async function dismiss(flag, navigate, here) {
  if (!await ask({ title: 'Not the same person?', text: `${nameOf(flag.patient)} and ${nameOf(flag.other)} stay two records and are no longer flagged.`, yes: 'Not the same person' })) return;
  try {
    await post(`/patients/duplicates/${flag.id}/dismiss`);
    toast('Marked as two different people', 'success');
    navigate(here ? `/patients/${here}` : '/patients/duplicates', { replace: true });
  } catch (error) {
    toast(sentence(error.message), 'error');
  }
}

async function undo(merge, navigate, here) {
  if (!await ask({ title: 'Undo this merge?', text: 'The merged record becomes its own again, with the appointments and shares it had.', yes: 'Undo merge' })) return;
  try {
    await post(`/patient-merges/${merge.id}/undo`);
    toast('Merge undone', 'success');
    navigate(`/patients/${here}`, { replace: true });
  } catch (error) {
    toast(sentence(error.message), 'error');
  }
}

const ROWS = [
  ['Name', (p) => nameOf(p)],
  ['Preferred name', (p) => p.preferred_name],
  ['Date of birth', (p) => p.date_of_birth && formatDate(p.date_of_birth)],
  ['Phone', (p) => p.phone_display || p.phone],
  ['Email', (p) => p.email],
  ['Address', (p) => p.address && Object.values(p.address).filter(Boolean).join(', ')],
  ['Emergency contact', (p) => p.emergency_contact?.name],
  ['Registered', (p) => formatInstant(p.created_at)],
];

/** Both records side by side; the manager picks the one to keep and merges. */
export async function compare(firstId, secondId, navigate) {
  let records;
  try {
    records = await Promise.all([get(`/patients/${firstId}`), get(`/patients/${secondId}`)]);
  } catch (error) {
    toast(sentence(error.message), 'error');
    return;
  }
  // The older record is the usual one to keep: it has the history.
  records.sort((a, b) => a.created_at.localeCompare(b.created_at));
  const choice = (p, index) => h('label', { class: 'keep-choice' },
    h('input', { type: 'radio', name: 'keep', value: p.id, checked: index === 0 }), ' Keep this record');
  const message = h('div', {});
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Merge records');
  const form = h('form', { class: 'merge-form' },
    h('h2', {}, 'Compare and merge'),
    h('p', { class: 'muted' }, 'The record kept keeps its details. The other is archived with its own details, its appointments move to the record kept, and the merge can be undone.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table compare-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), ...records.map((p, i) => h('th', { scope: 'col' }, choice(p, i))))),
      h('tbody', {}, ROWS.map(([label, value]) => {
        const values = records.map((p) => value(p) || '—');
        return h('tr', { class: values[0] !== values[1] ? 'differs' : null },
          h('th', { scope: 'row' }, label), ...values.map((v) => h('td', {}, v)));
      })))),
    message,
    h('div', { class: 'form-actions dialog-actions' }, submit,
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Cancel')));
  const d = modal(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const keep = Number(form.elements.keep.value);
    const merged = records.find((p) => p.id !== keep);
    submit.disabled = true;
    try {
      const result = await post(`/patients/${keep}/merge`, { merged_patient_id: merged.id });
      d.close();
      const moved = result.moved.appointments || 0;
      toast(`Records merged: ${moved === 1 ? '1 appointment' : `${moved} appointments`} moved`, 'success');
      navigate(`/patients/${keep}`);
    } catch (error) {
      message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
      submit.disabled = false;
    }
  });
  form.querySelector('input[name="keep"]')?.focus();
}

/** The merges a record kept, for its page: when, how much moved, and undo. */
export function mergesCard(patient, navigate) {
  const card = h('article', { class: 'card merges-card', hidden: true }, h('h2', {}, 'Merged records'));
  get(`/patients/${patient.id}/merges`).then(({ data }) => {
    const kept = data.filter((m) => m.kept_patient_id === patient.id);
    if (!kept.length) return;
    card.hidden = false;
    card.append(h('ul', { class: 'plain-list' }, kept.map((m) => h('li', { class: 'row-between' },
      h('span', {}, h('a', { href: `/patients/${m.merged_patient_id}`, dataset: { link: '' } }, `Record #${m.merged_patient_id}`),
        h('span', { class: 'muted' }, m.undone_at ? ` · merged ${formatInstant(m.merged_at)}, undone ${formatInstant(m.undone_at)}` : ` · merged ${formatInstant(m.merged_at)}`)),
      !m.undone_at && canMerge() ? h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => undo(m, navigate, patient.id) }, 'Undo merge') : null))));
  }).catch(() => {});
  return card;
}

/** A link for the patient list: how many pairs wait for review (managers). */
export function reviewLink() {
  const link = h('a', { class: 'chip chip-warning', href: '/patients/duplicates', dataset: { link: '' }, hidden: true });
  if (!canMerge()) return null;
  get('/patients/duplicates?page_size=1').then(({ pagination }) => {
    if (!pagination.total) return;
    link.textContent = pagination.total === 1 ? '1 possible duplicate to review' : `${pagination.total} possible duplicates to review`;
    link.hidden = false;
  }).catch(() => {});
  return link;
}

/** The pairs waiting for a manager, newest first. */
export async function duplicatesView({ navigate }) {
  const { data } = await get('/patients/duplicates?page_size=100');
  const row = (f) => h('li', { class: 'card duplicate-pair' },
    h('div', { class: 'pair' }, [f.patient, f.other].map((p) => h('div', {},
      h('a', { href: `/patients/${p.id}`, dataset: { link: '' }, class: 'strong' }, nameOf(p)),
      h('p', { class: 'muted small' }, [p.date_of_birth ? `Born ${formatDate(p.date_of_birth)}` : 'No date of birth', p.phone_display || 'no phone', `registered ${formatInstant(p.created_at)}`].join(' · '))))),
    h('p', { class: 'muted small' }, `Flagged ${formatInstant(f.flagged_at)}: ${REASONS[f.reason] || f.reason}.`),
    h('div', { class: 'actions' },
      h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => compare(f.patient.id, f.other.id, navigate) }, 'Compare and merge'),
      h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => dismiss(f, navigate) }, 'Not the same person')));
  return h('section', { class: 'page' },
    h('a', { href: '/patients', dataset: { link: '' }, class: 'back' }, '← Patients'),
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Possible duplicates'),
      h('p', { class: 'muted' }, 'Records registered although they looked like an existing patient. Merge the pairs that are one person; nothing is deleted and a merge can be undone.'))),
    data.length ? h('ul', { class: 'plain-list duplicate-list' }, data.map(row)) : h('div', { class: 'empty' }, h('p', { class: 'strong' }, 'No pairs to review.')));
}
