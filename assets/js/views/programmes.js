// Treatment programmes on the patient's record: each enrolment's progress
// (sessions completed of those planned) and its goals with dated progress
// notes. Roles without clinical access see the programme and progress only.
import { get, post } from '../api.js';
import { h, ask, field, formatDate, formatInstant, modal, sentence, showFieldErrors, clearFieldErrors, toast } from '../dom.js';
import { can } from '../session.js';
import { clinicZone, nowIn } from '../zone.js';

const STATUS = { active: 'Active', completed: 'Completed', withdrawn: 'Withdrawn' };

function dialogForm(title, fields, submitText, send) {
  const message = h('div', {});
  const form = h('form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      message.replaceChildren();
      try {
        await send();
        d.close();
      } catch (error) {
        if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
      }
    },
  },
  h('h2', {}, title), message, ...fields,
  h('div', { class: 'form-actions dialog-actions' },
    h('button', { class: 'btn btn-primary', type: 'submit' }, submitText),
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Close')));
  const d = modal(form);
  form.querySelector('select, input, textarea')?.focus();
}

export function programmesCard(patient) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading programmes…'));
  const writable = can('clinical_write') && patient.status === 'active';
  let programmes = [];
  let clinicians = [];

  async function load() {
    try {
      const [{ data: enrolments }, { data: plans }, { data: people }] = await Promise.all([
        get(`/patients/${patient.id}/enrolments`), get('/programmes'), get('/clinicians?page_size=100'),
      ]);
      [programmes, clinicians] = [plans, people];
      body.replaceChildren(enrolments.length
        ? h('ul', { class: 'plain-list enrolment-list' }, enrolments.map(enrolmentItem))
        : h('p', { class: 'muted' }, programmes.length ? 'Not enrolled in a programme.' : 'The clinic has no treatment programmes yet.'));
    } catch (error) {
      body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  const clinicianName = (id) => clinicians.find((c) => c.id === id)?.display_name || 'a clinician';

  function enrolmentItem(e) {
    const p = e.progress;
    const active = e.status === 'active';
    const meter = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': p.planned_sessions, 'aria-valuenow': Math.min(p.completed_sessions, p.planned_sessions), 'aria-label': `${e.programme_name} sessions` },
      h('span', { class: 'progress-fill', style: `width: ${p.percent}%` }));
    const goals = e.goals ? h('ul', { class: 'plain-list goal-list' }, e.goals.map((g) => h('li', { class: 'goal' },
      h('div', { class: 'row-between' },
        h('span', {}, g.achieved_at ? h('span', { class: 'badge goal-achieved' }, 'Achieved') : null, g.achieved_at ? ' ' : null, g.text),
        writable && active ? h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'aria-label': `Note progress on “${g.text}”`, onclick: () => noteProgress(g) }, 'Note progress') : null),
      g.progress.map((r) => h('p', { class: 'small goal-note' }, h('span', { class: 'muted' }, `${formatInstant(r.created_at)}: `), r.note))))) : null;
    return h('li', { class: 'enrolment' },
      h('div', { class: 'row-between' },
        h('span', {}, h('span', { class: 'strong' }, e.programme_name), ' ', h('span', { class: `badge enrolment-${e.status}` }, STATUS[e.status])),
        h('span', { class: 'muted small' }, `With ${clinicianName(e.clinician_id)} · from ${formatDate(e.start_date)}`)),
      meter,
      h('p', { class: 'small' }, `${p.completed_sessions} of ${p.planned_sessions} sessions completed`, e.end_reason ? ` · ${e.end_reason}` : ''),
      goals,
      writable && active ? h('div', { class: 'actions' },
        e.goals ? h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => addGoal(e) }, 'Add goal') : null,
        h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => end(e, 'complete') }, 'Complete'),
        h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => end(e, 'withdraw') }, 'Withdraw')) : null);
  }

  function enrol() {
    const programme = h('select', { dataset: { field: 'programme_id' } }, programmes.map((p) => h('option', { value: p.id }, `${p.name} (${p.planned_sessions} sessions)`)));
    const clinician = h('select', { dataset: { field: 'clinician_id' } }, clinicians.filter((c) => c.active).map((c) => h('option', { value: c.id }, c.display_name)));
    const start = h('input', { type: 'date', dataset: { field: 'start_date' }, value: nowIn(clinicZone()).date });
    dialogForm(`Enrol ${patient.given_name} in a programme`, [field('Programme', programme), h('div', { class: 'grid' }, field('Clinician', clinician), field('Starts', start))], 'Enrol', async () => {
      await post(`/patients/${patient.id}/enrolments`, { programme_id: Number(programme.value), clinician_id: Number(clinician.value), start_date: start.value || null });
      toast('Enrolled', 'success');
      load();
    });
  }

  function noteProgress(goal) {
    const note = h('textarea', { rows: 3, maxlength: 5000, dataset: { field: 'note' } });
    const achieved = h('input', { type: 'checkbox', dataset: { field: 'achieved' } });
    dialogForm('How is this goal going?', [h('p', { class: 'muted' }, goal.text), field('Progress note', note),
      h('label', { class: 'checkbox' }, achieved, ' Goal achieved')], 'Save note', async () => {
      await post(`/enrolment-goals/${goal.id}/progress`, { note: note.value, achieved: achieved.checked });
      toast(achieved.checked ? 'Goal achieved' : 'Progress noted', 'success');
      load();
    });
  }

  function addGoal(e) {
    const text = h('input', { type: 'text', maxlength: 500, dataset: { field: 'text' } });
    dialogForm(`Add a goal to ${e.programme_name}`, [field('Goal', text)], 'Add goal', async () => {
      await post(`/enrolments/${e.id}/goals`, { text: text.value });
      toast('Goal added', 'success');
      load();
    });
  }

  async function end(e, how) {
    const complete = how === 'complete';
    if (!await ask({ title: complete ? `Complete ${e.programme_name}?` : `Withdraw from ${e.programme_name}?`, text: 'Progress stops counting; the enrolment and its goals stay on the record.', yes: complete ? 'Complete' : 'Withdraw' })) return;
    try {
      await post(`/enrolments/${e.id}/${how}`, {});
      toast(complete ? 'Programme completed' : 'Withdrawn from the programme', 'success');
      load();
    } catch (error) {
      toast(sentence(error.message), 'error');
    }
  }

  load();
  return h('article', { class: 'card programmes-card' },
    h('div', { class: 'row-between' }, h('h2', {}, 'Treatment programmes'),
      writable ? h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => (programmes.length ? enrol() : toast('A manager adds programmes in Clinic setup first.', 'info')) }, 'Enrol') : null),
    body);
}
