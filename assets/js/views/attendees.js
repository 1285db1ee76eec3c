// A group session's attendees in its dialog: who has a seat, who waits,
// adding a patient (to the waitlist once it is full) and taking one out.
import { get, post, del, query } from '../api.js';
import { h, mount, toast, debounce, ask, sentence } from '../dom.js';

export function attendeesPanel(appointment, service, { canChange, onChanged }) {
  const box = h('section', { class: 'attendees', 'aria-label': 'Attendees' });
  let a = appointment;
  const draw = () => {
    const booked = a.attendees.filter((t) => t.status === 'booked');
    const waiting = a.attendees.filter((t) => t.status === 'waitlisted');
    const full = booked.length >= service.capacity;
    const open = canChange && (a.status === 'pending' || a.status === 'confirmed');
    const row = (t) => h('li', { class: 'row-between' },
      h('a', { href: `/patients/${t.patient_id}`, dataset: { link: '' } }, t.name),
      open ? h('button', {
        type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Remove ${t.name}`,
        onclick: async () => {
          const next = t.status === 'booked' && waiting.length ? ` ${waiting[0].name} from the waitlist takes the seat.` : '';
          if (!await ask({ title: `Remove ${t.name}?`, text: `They leave this session.${next}`, yes: 'Remove', danger: true })) return;
          try {
            a = await del(`/appointments/${a.id}/attendees/${t.patient_id}`);
            toast(`${t.name} removed`, 'success');
            draw();
            onChanged();
          } catch (error) { toast(sentence(error.message), 'error'); }
        },
      }, 'Remove') : null);
    mount(box,
      h('h3', {}, `Attendees: ${booked.length} of ${service.capacity} seats`),
      booked.length ? h('ul', { class: 'plain-list' }, booked.map(row)) : h('p', { class: 'muted' }, 'No one yet.'),
      waiting.length ? [h('h3', {}, `Waitlist (${waiting.length})`), h('ol', { class: 'plain-list' }, waiting.map(row))] : null,
      open ? adder(full) : null);
  };
  const adder = (full) => {
    const results = h('div', { class: 'pick-list' });
    const search = h('input', { type: 'search', placeholder: 'Search by name or phone', autocomplete: 'off', 'aria-label': full ? 'Add a patient to the waitlist' : 'Add a patient' });
    search.addEventListener('input', debounce(async () => {
      const text = search.value.trim();
      if (!text) { results.replaceChildren(); return; }
      const { data } = await get(`/search${query({ q: text, types: 'patient', limit: 5 })}`).catch(() => ({ data: [] }));
      results.replaceChildren(...data.map((hit) => h('button', {
        type: 'button', class: 'pick',
        onclick: async () => {
          try {
            a = await post(`/appointments/${a.id}/attendees`, { patient_id: hit.id, waitlist: full });
            toast(full ? `${hit.title} is on the waitlist` : `${hit.title} added`, 'success');
            draw();
            onChanged();
          } catch (error) { toast(sentence(error.message), 'error'); }
        },
      }, h('span', { class: 'strong' }, hit.title), h('span', { class: 'muted small' }, hit.subtitle))));
    }, 150));
    return h('div', { class: 'field' }, h('p', { class: 'small muted' }, full ? 'The session is full: patients added now wait for a seat.' : 'Add a patient to this session:'), search, results);
  };
  draw();
  return box;
}
