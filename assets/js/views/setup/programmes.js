// Treatment programmes, for a manager: a plan of sessions of one service,
// the questionnaires that track it and the goals each enrolment starts with.
import { get, post } from '../../api.js';
import { h, field, sentence, showFieldErrors, clearFieldErrors, toast } from '../../dom.js';

export function programmesSetupCard(services) {
  const listing = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const measuresBox = h('fieldset', { class: 'checks' }, h('legend', {}, 'Tracked by'));
  const input = {
    name: h('input', { dataset: { field: 'name' }, maxlength: 100 }),
    planned: h('input', { type: 'number', min: 1, max: 200, value: 6, dataset: { field: 'planned_sessions' } }),
    service: h('select', { dataset: { field: 'service_id' } }, h('option', { value: '' }, 'Any service'),
      services.filter((s) => s.active).map((s) => h('option', { value: s.id }, s.name))),
    goals: h('textarea', { rows: 3, placeholder: 'One goal a line', dataset: { field: 'goals' } }),
    measures: [],
  };
  const message = h('div', { class: 'form-message' });

  async function load() {
    try {
      const [{ data: programmes }, { data: questionnaires }] = await Promise.all([get('/programmes'), get('/questionnaires')]);
      listing.replaceChildren(programmes.length
        ? h('ul', { class: 'setup-list' }, programmes.map((p) => h('li', {},
          h('span', {}, h('span', { class: 'strong' }, p.name),
            h('span', { class: 'muted' }, ` · ${p.planned_sessions} sessions${p.measures.length ? ` · ${p.measures.join(', ').toUpperCase()}` : ''}${p.goals.length ? ` · ${p.goals.length} goal${p.goals.length === 1 ? '' : 's'}` : ''}`)))))
        : h('p', { class: 'muted' }, 'No programmes yet.'));
      input.measures = questionnaires.map((q) => ({ id: q.id, box: h('input', { type: 'checkbox', value: q.id }) }));
      measuresBox.replaceChildren(h('legend', {}, 'Tracked by'), ...input.measures.map((m, i) => h('label', { class: 'check' }, m.box, ` ${questionnaires[i].name}`)));
    } catch (error) {
      listing.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  const form = h('form', { novalidate: true }, h('h3', {}, 'Add a programme'), message,
    h('div', { class: 'grid' }, field('Programme name', input.name), field('Planned sessions', input.planned), field('Service', input.service)),
    measuresBox,
    field('Goals', input.goals, 'Each enrolment starts with these; clinicians add their patient’s own.'),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add programme')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    message.replaceChildren();
    try {
      await post('/programmes', {
        name: input.name.value.trim(),
        planned_sessions: Number(input.planned.value),
        service_id: input.service.value ? Number(input.service.value) : null,
        measures: input.measures.filter((m) => m.box.checked).map((m) => m.id),
        goals: input.goals.value.split('\n').map((g) => g.trim()).filter(Boolean),
      });
      toast('Programme added', 'success');
      form.reset();
      load();
    } catch (error) {
      if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  });
  load();
  return h('section', { class: 'card', id: 'programmes' }, h('h2', {}, 'Treatment programmes'), listing, form);
}
