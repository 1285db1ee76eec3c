// The patient's clinical notes on their record: written from a template,
// saved as a draft, signed (then never changed) and corrected by addenda.
// Roles without clinical access see that a note exists, and when, not what it says.
import { get, post, patch } from '../api.js';
import { h, ask, field, formatInstant, modal, sentence, showFieldErrors, clearFieldErrors, toast } from '../dom.js';
import { can, currentUser } from '../session.js';

const STATUS = { draft: 'Draft', signed: 'Signed', discarded: 'Discarded' };

export function notesCard(patient, { writeFor = null, onChanged = () => {} } = {}) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading notes…'));
  const clinical = can('clinical_read');
  let templates = [];
  let authors = new Map();

  async function load() {
    try {
      const [{ data: notes }, loadedTemplates, { data: clinicians }] = await Promise.all([
        get(`/patients/${patient.id}/notes?page_size=50`),
        clinical ? get('/note-templates').then((r) => r.data) : Promise.resolve([]),
        get('/clinicians?page_size=100'),
      ]);
      templates = loadedTemplates;
      authors = new Map(clinicians.filter((c) => c.staff_id).map((c) => [c.staff_id, c.display_name]));
      body.replaceChildren(notes.length
        ? h('ol', { class: 'plain-list note-list' }, notes.map(noteItem))
        : h('p', { class: 'muted' }, 'No notes yet.'));
      // Opened from an appointment ("Write note"): its draft, or a new note about it.
      if (writeFor && can('clinical_write')) {
        const appointment = writeFor;
        writeFor = null;
        const draft = notes.find((n) => n.appointment_id === appointment && n.status === 'draft' && n.author_id === currentUser()?.id);
        if (!notes.some((n) => n.appointment_id === appointment && n.status === 'signed')) editor(draft || null, appointment);
      }
    } catch (error) {
      body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  const authorName = (id) => (id === currentUser()?.id ? 'you' : authors.get(id) || 'a colleague');
  const templateOf = (id) => templates.find((t) => t.id === id);

  function noteItem(note) {
    const template = templateOf(note.template);
    const mine = note.author_id === currentUser()?.id;
    const head = h('div', { class: 'row-between' },
      h('span', {}, h('span', { class: 'strong' }, template?.name || 'Note'), ' ',
        h('span', { class: `badge note-${note.status}` }, STATUS[note.status])),
      h('span', { class: 'muted small' }, note.status === 'signed'
        ? `Signed by ${authorName(note.signed_by)} · ${formatInstant(note.signed_at)}`
        : `By ${authorName(note.author_id)} · ${formatInstant(note.updated_at)}`));
    if (!note.content) return h('li', { class: 'note' }, head, h('p', { class: 'muted small' }, 'Clinical content is for clinicians and managers.'));
    const sections = (template?.sections || Object.keys(note.content).map((key) => ({ key, label: key })))
      .filter((s) => note.content[s.key])
      .map((s) => h('div', { class: 'note-section' }, h('h4', {}, s.label), h('p', { class: 'note-text' }, note.content[s.key])));
    const addenda = (note.addenda || []).map((a) => h('div', { class: 'addendum' },
      h('p', { class: 'muted small' }, `Addendum by ${authorName(a.author_id)} · ${formatInstant(a.signed_at)}`),
      h('p', { class: 'note-text' }, a.text)));
    const actions = [];
    if (note.status === 'draft' && mine) {
      actions.push(h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => editor(note) }, 'Edit draft'));
      actions.push(h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => sign(note) }, 'Sign'));
    }
    if (note.status === 'signed' && can('clinical_write')) {
      actions.push(h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => addendum(note) }, 'Add addendum'));
    }
    return h('li', { class: 'note' }, head, sections.length ? sections : h('p', { class: 'muted small' }, 'Nothing written yet.'), addenda,
      actions.length ? h('div', { class: 'actions' }, actions) : null);
  }

  async function sign(note) {
    if (!await ask({ title: 'Sign this note?', text: 'A signed note can no longer be changed; corrections are added as addenda.', yes: 'Sign note' })) return;
    try {
      await post(`/notes/${note.id}/sign`);
      toast('Note signed', 'success');
      load();
      onChanged();
    } catch (error) {
      toast(sentence(error.message), 'error');
    }
  }

  /** Writes a new note, or edits a draft: saved as a draft, or signed at once. */
  async function editor(note = null, forAppointment = null) {
    let appointments = [];
    try {
      appointments = (await get(`/patients/${patient.id}/appointments?page_size=50`)).data.filter((a) => a.status !== 'cancelled');
    } catch { /* the note can be written without linking it */ }
    const templateSelect = h('select', { dataset: { field: 'template' }, disabled: !!note },
      templates.map((t) => h('option', { value: t.id, selected: t.id === (note?.template || 'soap') }, t.name)));
    const appointmentSelect = h('select', { dataset: { field: 'appointment_id' } },
      h('option', { value: '' }, 'Not about one appointment'),
      appointments.map((a) => h('option', { value: a.id, selected: a.id === (note?.appointment_id ?? forAppointment) }, formatInstant(a.start))));
    const sectionsBox = h('div', { class: 'note-fields' });
    let inputs = {};
    const drawSections = () => {
      const template = templateOf(templateSelect.value);
      inputs = Object.fromEntries(template.sections.map((s) => [s.key,
        h('textarea', { rows: 3, maxlength: 20000, dataset: { field: `content.${s.key}` } }, note?.content?.[s.key] || '')]));
      sectionsBox.replaceChildren(...template.sections.map((s) => field(s.label, inputs[s.key])));
    };
    templateSelect.addEventListener('change', drawSections);
    drawSections();
    const message = h('div', {});
    const content = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v || note));
    async function save(andSign) {
      clearFieldErrors(form);
      message.replaceChildren();
      try {
        const appointment = appointmentSelect.value ? Number(appointmentSelect.value) : null;
        const saved = note
          ? await patch(`/notes/${note.id}`, { content: content(), appointment_id: appointment })
          : await post(`/patients/${patient.id}/notes`, { template: templateSelect.value, appointment_id: appointment, content: content() });
        // Saved: a retry after a refused signature changes this draft, not a new one.
        note = saved;
        if (andSign) await post(`/notes/${saved.id}/sign`);
        d.close();
        toast(andSign ? 'Note signed' : 'Draft saved', 'success');
        load();
        onChanged();
      } catch (error) {
        if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
        load();
      }
    }
    const form = h('form', { class: 'note-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(false); } },
      h('h2', {}, note ? 'Edit draft note' : `New note for ${patient.given_name} ${patient.family_name}`),
      message,
      h('div', { class: 'grid' }, field('Template', templateSelect), field('Appointment', appointmentSelect)),
      sectionsBox,
      h('div', { class: 'form-actions dialog-actions' },
        h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save draft'),
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => save(true) }, 'Save and sign'),
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Close')));
    const d = modal(form);
    sectionsBox.querySelector('textarea')?.focus();
  }

  function addendum(note) {
    const text = h('textarea', { rows: 4, maxlength: 20000, dataset: { field: 'text' } });
    const message = h('div', {});
    const form = h('form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        try {
          await post(`/notes/${note.id}/addenda`, { text: text.value });
          d.close();
          toast('Addendum added', 'success');
          load();
        } catch (error) {
          if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
        }
      },
    },
    h('h2', {}, 'Add an addendum'),
    h('p', { class: 'muted' }, 'The signed note stays as it is; the addendum is signed with your name and the time, and shown after it.'),
    message,
    field('Addendum', text),
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Sign addendum'),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Close')));
    const d = modal(form);
    text.focus();
  }

  load();
  return h('article', { class: 'card notes-card' },
    h('div', { class: 'row-between' }, h('h2', {}, 'Clinical notes'),
      can('clinical_write') && patient.status === 'active'
        ? h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => editor() }, 'Write note') : null),
    body);
}
