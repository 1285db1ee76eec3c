// The first screen of a clinic with nothing set up: what to do, in order,
// each step ticked off from what the API already holds.
import { get } from '../api.js';
import { h } from '../dom.js';
import { can } from '../session.js';

const count = (path) => get(`${path}${path.includes('?') ? '&' : '?'}page_size=100`).then((r) => r.data).catch(() => []);

/** The steps and whether each is done; null when the caller cannot set up the clinic. */
export async function setupSteps() {
  if (!can('scheduling_setup')) return null;
  const [centres, clinicians, services, staff] = await Promise.all([
    count('/centres'), count('/clinicians'), count('/services'), can('staff_manage') ? count('/staff') : Promise.resolve(null),
  ]);
  const active = clinicians.filter((c) => c.active);
  const hours = await Promise.all(active.slice(0, 20).map((c) => get(`/clinicians/${c.id}/availability`).then((r) => r.data.length > 0).catch(() => false)));
  return [
    { title: 'Add your centre', text: 'Its name, address and time zone: every appointment time is shown in it.', href: '/setup-clinic#centres', done: centres.length > 0 },
    { title: 'Add your clinicians', text: 'Everyone who sees patients, and the centres they work at.', href: '/setup-clinic#clinicians', done: active.length > 0 },
    { title: 'Add your services', text: 'What can be booked: length, price, in person or video.', href: '/setup-clinic#services', done: services.length > 0 },
    { title: 'Set working hours', text: 'Each clinician’s weekly hours (copy Monday to the other weekdays in one click).', href: '/setup-clinic#clinicians', done: hours.some(Boolean) },
    staff ? { title: 'Invite your staff', text: 'Reception, clinicians and managers each sign in with their own account.', href: '/staff', done: staff.length > 1 } : null,
  ].filter(Boolean);
}

/** Whether the clinic cannot take a booking yet. */
export const unfinished = (steps) => steps && steps.slice(0, 4).some((s) => !s.done);

export function checklistView(steps) {
  const next = steps.find((s) => !s.done);
  return h('section', { class: 'page narrow welcome' },
    h('h1', {}, 'Welcome to Clinicbox'),
    h('p', { class: 'lead' }, 'A few steps and the front desk can start booking. Each one takes a minute; you can change everything later.'),
    h('ol', { class: 'checklist card', 'aria-label': 'Setting up the clinic' }, steps.map((s, i) => h('li', { class: s.done ? 'done' : '' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, s.done ? '✓' : String(i + 1)),
      h('div', {},
        h('a', { href: s.href, class: 'step-title strong', dataset: { link: '' } }, s.title),
        h('span', { class: 'visually-hidden' }, s.done ? ' (done)' : ' (to do)'),
        h('p', { class: 'muted small' }, s.text))))),
    h('div', { class: 'form-actions' },
      next ? h('a', { class: 'btn btn-primary', href: next.href, dataset: { link: '' } }, `Next: ${next.title.toLowerCase()}`) : null,
      h('a', { class: 'btn btn-ghost', href: '/patients', dataset: { link: '' } }, 'Go to patients')));
}
