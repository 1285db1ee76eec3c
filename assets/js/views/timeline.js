// The patient's chart at a glance: appointments, notes, questionnaire
// results and files in one list, newest first. Each part comes from its own
// list endpoint; what the caller may not read simply is not in it.
import { get } from '../api.js';
import { h, formatInstant, sentence } from '../dom.js';
import { can } from '../session.js';
import { STATUS_LABEL } from './appointment.js';

const SHOWN = 12;
const severityLabel = (s) => (s ? s.replace(/_/g, ' ') : '');

export function timelineCard(patient) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading the chart…'));
  const clinical = can('clinical_read');

  async function load() {
    try {
      const none = Promise.resolve({ data: [] });
      const [appointments, notes, responses, files, questionnaires, templates] = await Promise.all([
        get(`/patients/${patient.id}/appointments?page_size=50`),
        get(`/patients/${patient.id}/notes?page_size=50`),
        clinical ? get(`/patients/${patient.id}/questionnaire-responses?page_size=50`) : none,
        get(`/patients/${patient.id}/attachments?page_size=50`),
        clinical ? get('/questionnaires') : none,
        clinical ? get('/note-templates') : none,
      ]);
      const templateName = new Map(templates.data.map((t) => [t.id, t.name]));
      const named = new Map(questionnaires.data.map((q) => [q.id, q.name]));
      const events = [
        ...appointments.data.map((a) => ({ at: a.start, kind: 'appointment', text: `Appointment · ${STATUS_LABEL[a.status] || a.status}`, detail: a.notes })),
        ...notes.data.map((n) => ({ at: n.signed_at || n.updated_at, kind: 'note', text: `${templateName.get(n.template) || 'Note'} · ${n.status === 'signed' ? 'signed' : n.status === 'draft' ? 'draft' : 'discarded'}`, detail: n.content ? Object.values(n.content).find(Boolean) : null })),
        ...responses.data.map((r) => ({ at: r.completed_at, kind: r.flags.length ? 'risk' : 'questionnaire', text: `${named.get(r.questionnaire) || r.questionnaire}: ${r.score}${r.severity ? ` (${severityLabel(r.severity)})` : ''}`, detail: r.flags.includes('self_harm_risk') ? 'Self-harm risk answer' : null })),
        ...files.data.map((f) => ({ at: f.created_at, kind: 'file', text: f.filename ? `File added · ${f.filename}` : 'File added', detail: f.description })),
      ].sort((a, b) => (a.at < b.at ? 1 : -1));
      if (!events.length) {
        body.replaceChildren(h('p', { class: 'muted' }, 'Nothing on the chart yet.'));
        return;
      }
      const list = h('ol', { class: 'timeline' });
      const draw = (all) => list.replaceChildren(...(all ? events : events.slice(0, SHOWN)).map((e) => h('li', { class: `timeline-item timeline-${e.kind}` },
        h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
        h('div', {},
          h('p', {}, h('span', { class: 'strong' }, e.text), h('span', { class: 'muted small' }, ` · ${formatInstant(e.at)}`)),
          e.detail ? h('p', { class: 'small timeline-detail' }, e.detail.length > 140 ? `${e.detail.slice(0, 140)}…` : e.detail) : null))));
      draw(false);
      const more = events.length > SHOWN
        ? h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => { draw(true); more.remove(); } }, `Show all ${events.length}`)
        : null;
      body.replaceChildren(...[list, more].filter(Boolean));
    } catch (error) {
      body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  load();
  return Object.assign(h('article', { class: 'card timeline-card' }, h('h2', {}, 'Chart'), body), { reload: load });
}
