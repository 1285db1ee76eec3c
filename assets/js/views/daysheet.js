// A clinician's day on paper: every appointment of one date at a centre,
// in the centre's zone, laid out to print on one sheet.
import { get, query } from '../api.js';
import { h } from '../dom.js';
import { zoneName } from '../zone.js';
import { STATUS_LABEL } from './appointment.js';
import { clinicProfile } from '../session.js';

const addDays = (s, n) => {
  const [y, m, d] = s.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return date.toISOString().slice(0, 10);
};

export async function daySheetView({ query: params }) {
  const date = params.get('date');
  const clinicianId = Number(params.get('clinician'));
  const centreId = Number(params.get('centre'));
  const [clinician, centre, services] = await Promise.all([
    get(`/clinicians/${clinicianId}`),
    get(`/centres/${centreId}`),
    get('/services?page_size=100').then((r) => r.data),
  ]);
  const serviceName = new Map(services.map((s) => [s.id, s.name]));
  // A day either side covers any offset; the wall date then picks the day.
  const { data } = await get(`/appointments${query({ clinician_id: clinicianId, centre_id: centreId, from: `${addDays(date, -1)}T00:00:00Z`, to: `${addDays(date, 2)}T00:00:00Z`, page_size: 100 })}`);
  const rows = data.filter((a) => a.start.slice(0, 10) === date && a.status !== 'cancelled');
  const [y, m, d] = date.split('-').map(Number);
  const longDate = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const clinic = clinicProfile();
  return h('section', { class: 'page day-sheet' },
    clinic?.name || clinic?.logo_url ? h('div', { class: 'sheet-clinic' },
      clinic.logo_url ? h('img', { src: clinic.logo_url, alt: '' }) : null,
      h('div', {}, h('p', { class: 'strong' }, clinic.name), centre.address ? h('p', { class: 'muted small' }, centre.address) : null)) : null,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, `${clinician.display_name}: ${longDate}`),
        h('p', { class: 'muted' }, `${centre.name} · all times in ${zoneName(centre.timezone)} · ${rows.length} appointment${rows.length === 1 ? '' : 's'}`)),
      h('div', { class: 'toolbar no-print' },
        h('a', { class: 'btn btn-ghost', href: `/calendar?date=${date}&centre=${centreId}`, dataset: { link: '' } }, 'Back to the calendar'),
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => window.print() }, 'Print'))),
    rows.length
      ? h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Patient'), h('th', {}, 'Service'), h('th', {}, 'Status'), h('th', {}, 'Notes'))),
        h('tbody', {}, rows.map((a) => h('tr', {},
          h('td', { class: 'strong nowrap' }, `${a.start.slice(11, 16)}–${a.end.slice(11, 16)}`),
          h('td', {}, a.attendees.filter((t) => t.status === 'booked').map((t) => t.name).join(', ') || '—'),
          h('td', {}, serviceName.get(a.service_id) || '', a.video_url ? ' (video)' : ''),
          h('td', {}, STATUS_LABEL[a.status]),
          h('td', {}, a.notes || '')))))
      : h('div', { class: 'empty' }, h('p', {}, 'No appointments on this day.')));
}
