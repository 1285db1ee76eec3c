// Clinicians in clinic setup: each with its hours summarised, the weekly
// hours, time off and extra hours on demand, and an edit dialog (centres,
// signing-in account, calendar feed, deactivation).
import { get, patch } from '../../api.js';
import { h, field, modal, showFieldErrors, clearFieldErrors, toast, ask } from '../../dom.js';
import { can } from '../../session.js';
import { hoursEditor, summariseHours } from './hours.js';
import { absencesPanel } from './absences.js';
import { feedLink } from './feed.js';

/** One clinician's row. `refresh()` redraws the whole setup page. */
export function clinicianRow(c, centres, refresh) {
  const mine = centres.filter((x) => c.centre_ids.includes(x.id));
  const summary = h('p', { class: 'muted small hours-summary' }, 'Loading hours…');
  get(`/clinicians/${c.id}/availability`).then((r) => { summary.textContent = summariseHours(r.data, mine); })
    .catch(() => { summary.textContent = ''; });
  const panel = h('div', { class: 'clinician-panel', hidden: true });
  let openWith = null;
  const toggle = (name, build) => async (event) => {
    const button = event.currentTarget;
    const closing = openWith === name;
    panel.hidden = closing;
    openWith = closing ? null : name;
    button.closest('.clinician-row').querySelectorAll('[aria-expanded]').forEach((b) => b.setAttribute('aria-expanded', 'false'));
    button.setAttribute('aria-expanded', String(!closing));
    if (!closing) panel.replaceChildren(await build());
  };
  const zone = mine[0]?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  return h('div', { class: c.active ? 'clinician-row' : 'clinician-row inactive' },
    h('div', { class: 'row-between wrap' },
      h('div', {},
        h('span', { class: 'strong' }, c.display_name),
        c.active ? null : h('span', { class: 'badge badge-archived badge-gap' }, 'Inactive'),
        h('span', { class: 'muted' }, ` · ${c.specialties.join(', ') || 'no specialties listed'}`),
        summary),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-expanded': 'false', onclick: toggle('hours', () => hoursEditor(c, mine, (rules) => { summary.textContent = summariseHours(rules, mine); })) }, 'Weekly hours'),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-expanded': 'false', onclick: toggle('off', () => absencesPanel(c, mine, zone)) }, 'Time off & extra'),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => editClinician(c, centres, refresh) }, 'Edit'))),
    panel);
}

async function editClinician(c, centres, refresh) {
  const staff = can('staff_manage') ? (await get('/staff?page_size=100').catch(() => ({ data: [] }))).data : null;
  const input = {
    display_name: h('input', { value: c.display_name, required: true, dataset: { field: 'display_name' } }),
    specialties: h('input', { value: c.specialties.join(', '), dataset: { field: 'specialties' } }),
    centres: centres.filter((x) => x.active || c.centre_ids.includes(x.id)).map((x) => ({ centre: x, box: h('input', { type: 'checkbox', value: x.id, checked: c.centre_ids.includes(x.id) }) })),
    staff: staff ? h('select', { dataset: { field: 'staff_id' } },
      h('option', { value: '' }, 'No account (does not sign in)'),
      staff.map((s) => h('option', { value: s.id, selected: s.id === c.staff_id }, `${s.name} (${s.email})`))) : null,
  };
  const message = h('div', { class: 'form-message' });
  const feed = await feedLink(c);
  const form = h('form', {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {
        display_name: input.display_name.value.trim(),
        specialties: input.specialties.value.split(',').map((s) => s.trim()).filter(Boolean),
        centre_ids: input.centres.filter((x) => x.box.checked).map((x) => x.centre.id),
      };
      if (input.staff) body.staff_id = input.staff.value ? Number(input.staff.value) : null;
      try {
        await patch(`/clinicians/${c.id}`, body);
        toast(`${body.display_name} saved`, 'success');
        d.close();
        refresh();
      } catch (error) {
        if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
      }
    },
  },
  h('h2', {}, `Edit ${c.display_name}`),
  message,
  field('Name', input.display_name),
  field('Specialties', input.specialties, 'Separated by commas.'),
  h('fieldset', { class: 'checks' }, h('legend', {}, 'Works at'), input.centres.map((x) => h('label', { class: 'check' }, x.box, ` ${x.centre.name}`))),
  input.staff ? field('Signs in as', input.staff, 'Their calendar opens on their own day.') : null,
  h('h3', {}, 'Calendar feed'), feed,
  h('div', { class: 'form-actions dialog-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save'),
    activeToggle(`/clinicians/${c.id}`, c, c.display_name, 'They are no longer offered for booking; their appointments stay.', () => { d.close(); refresh(); }),
    h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
  const d = modal(form);
  input.display_name.focus();
}

/** "Deactivate" or "Reactivate" for a centre, clinician or service. */
export function activeToggle(path, item, name, consequence, done) {
  return h('button', {
    type: 'button', class: item.active ? 'btn btn-danger' : 'btn',
    onclick: async () => {
      if (item.active && !await ask({ title: `Deactivate ${name}?`, text: consequence, yes: 'Deactivate', danger: true })) return;
      try {
        await patch(path, { active: !item.active });
        toast(item.active ? `${name} deactivated` : `${name} reactivated`, 'success');
        done();
      } catch (error) {
        toast(error.message, 'error');
      }
    },
  }, item.active ? 'Deactivate' : 'Reactivate');
}
