// A clinician's to-do on their home page: visits done with no signed note,
// and questionnaires due from their patients today.
import { get } from '../api.js';
import { h, formatDate, formatInstant, sentence } from '../dom.js';
import { can } from '../session.js';

const SHOWN = 8;

export function clinicalTasks() {
  if (!can('clinical_write')) return null;
  const notes = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const due = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const notesCount = h('span', { class: 'count-badge', hidden: true });
  const dueCount = h('span', { class: 'count-badge', hidden: true });
  const counted = (badge, n) => { badge.textContent = String(n); badge.hidden = n === 0; };

  get('/notes/pending').then(({ data }) => {
    counted(notesCount, data.length);
    notes.replaceChildren(data.length
      ? h('ul', { class: 'plain-list task-list', 'aria-label': 'Notes to write' }, data.slice(0, SHOWN).map((p) => h('li', { class: 'row-between' },
        h('span', {}, h('span', { class: 'strong' }, p.patient_name), h('span', { class: 'muted small' }, ` · ${formatInstant(p.start)}`)),
        h('a', { class: 'btn btn-ghost btn-small', href: `/patients/${p.patient_id}?write_note=${p.appointment_id}`, dataset: { link: '' }, 'aria-label': `${p.draft_note_id ? 'Finish the note' : 'Write a note'} for ${p.patient_name}` },
          p.draft_note_id ? 'Finish draft' : 'Write note'))))
      : h('p', { class: 'muted' }, 'No completed visit is waiting for its note.'));
  }).catch((error) => notes.replaceChildren(h('p', { class: 'muted' }, sentence(error.message))));

  Promise.all([get('/questionnaire-assignments/due'), get('/questionnaires')]).then(([{ data }, { data: questionnaires }]) => {
    const nameOf = (id) => questionnaires.find((q) => q.id === id)?.name || id;
    counted(dueCount, data.length);
    due.replaceChildren(data.length
      ? h('ul', { class: 'plain-list task-list', 'aria-label': 'Questionnaires due' }, data.slice(0, SHOWN).map((a) => h('li', { class: 'row-between' },
        h('span', {}, h('span', { class: 'strong' }, a.patient_name), h('span', { class: 'muted small' }, ` · ${nameOf(a.questionnaire)} due ${formatDate(a.next_due_on)}`)),
        h('a', { class: 'btn btn-ghost btn-small', href: `/patients/${a.patient_id}`, dataset: { link: '' }, 'aria-label': `Open ${a.patient_name}` }, 'Open'))))
      : h('p', { class: 'muted' }, 'No questionnaires due today.'));
  }).catch((error) => due.replaceChildren(h('p', { class: 'muted' }, sentence(error.message))));

  return h('div', { class: 'task-cards' },
    h('article', { class: 'card tasks-card' }, h('h2', {}, 'Notes to write ', notesCount), notes),
    h('article', { class: 'card tasks-card' }, h('h2', {}, 'Questionnaires due ', dueCount), due));
}
