// The booking dialog: a patient, a service, a free time (on the clinic's
// interval), notes, and optionally a weekly series with what became of
// each occurrence. Staff may book inside the online notice once they say so.
import { get, post, query } from '../api.js';
import { h, modal, toast, debounce } from '../dom.js';
import { formatIn } from '../zone.js';
import { slotPicker } from './appointment.js';

const wallTime = (rfc) => rfc.slice(11, 16);
let fieldIds = 0;
/** A label tied to its control, so a screen reader and a click both find it. */
function labelled(text, control, extra = []) {
  control.id ||= `booking-${(fieldIds += 1)}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, text), ...extra, control);
}

/**
 * Opens the dialog. `services` are those the clinician offers; `patient`
 * (`{id, label}`) fills it in; `onBooked(date)` is told the booked date.
 */
export function bookingDialog({ clinicianId, clinicianName, date, near, services, patient, timeZone, onBooked }) {
  const chosen = h('p', { class: 'strong', id: 'booking-patient', 'aria-live': 'polite' }, patient ? patient.label : 'No patient chosen');
  const results = h('div', { class: 'pick-list' });
  const search = h('input', { type: 'search', placeholder: 'Search by name or phone', autocomplete: 'off', 'aria-label': 'Find patient' });
  const service = h('select', {}, services.map((s) => h('option', { value: s.id }, `${s.name} (${s.duration_minutes} min)`)));
  const day = h('input', { type: 'date', value: date });
  const notes = h('textarea', { rows: 2, placeholder: 'Notes for the clinician (optional)' });
  const repeat = h('select', {},
    h('option', { value: '0' }, 'Does not repeat'), h('option', { value: '1' }, 'Every week'), h('option', { value: '2' }, 'Every 2 weeks'), h('option', { value: '4' }, 'Every 4 weeks'));
  const count = h('input', { type: 'number', min: 2, max: 52, value: 6 });
  const countField = labelled('Number of appointments', count);
  countField.hidden = true;
  repeat.addEventListener('change', () => { countField.hidden = repeat.value === '0'; bookButton.textContent = bookLabel(); });
  const message = h('div', { class: 'form-message' });
  // Named before the picker: it reports its first (empty) choice at once.
  let bookButton = null;
  const bookLabel = () => (repeat.value === '0' ? 'Book' : 'Book series');
  let slot = null;
  let pastNoticeAgreed = false;
  const picker = slotPicker({
    serviceId: () => service.value, clinicianId, date, near,
    serviceLabel: () => service.selectedOptions[0]?.textContent || 'this service',
    onPick: (s) => { slot = s; pastNoticeAgreed = false; if (bookButton) bookButton.textContent = bookLabel(); },
  });

  search.addEventListener('input', debounce(async () => {
    const text = search.value.trim();
    if (!text) { results.replaceChildren(); return; }
    try {
      const { data } = await get(`/search${query({ q: text, types: 'patient', limit: 6 })}`);
      results.replaceChildren(...data.map((hit) => h('button', {
        type: 'button', class: 'pick',
        onclick: () => { patient = { id: hit.id, label: hit.title }; chosen.textContent = hit.title; results.replaceChildren(); search.value = ''; },
      }, h('span', { class: 'strong' }, hit.title), h('span', { class: 'muted small' }, hit.subtitle))));
    } catch (error) {
      results.replaceChildren(h('p', { class: 'muted' }, error.message));
    }
  }, 150));

  const reload = () => (service.value ? picker.load(day.value) : picker.element.replaceChildren(h('p', { class: 'muted' }, 'This clinician offers no services yet.')));
  service.addEventListener('change', reload);
  day.addEventListener('change', reload);

  const fail = (text, focus) => {
    message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, text));
    focus?.focus();
  };
  bookButton = h('button', {
    type: 'button', class: 'btn btn-primary',
    onclick: async () => {
      message.replaceChildren();
      if (!patient) return fail('Choose a patient first.', search);
      if (!slot) return fail('Choose a time.', picker.element.querySelector('button.slot') || day);
      if (slot.within_notice && !pastNoticeAgreed) {
        // Patients could not book this time; reception may, once they mean it.
        pastNoticeAgreed = true;
        message.append(h('div', { class: 'banner banner-warning', role: 'alert' },
          `${wallTime(slot.start)} is inside the notice patients must give. Book it anyway?`));
        bookButton.textContent = repeat.value === '0' ? 'Book anyway' : 'Book series anyway';
        return;
      }
      const body = { patient_id: patient.id, service_id: Number(service.value), clinician_id: clinicianId, start: slot.start, centre_id: slot.centre_id, notes: notes.value.trim() || null };
      try {
        if (repeat.value === '0') {
          await post('/appointments', body);
          toast(`Booked ${patient.label} at ${wallTime(slot.start)}`, 'success');
          d.close();
        } else {
          const series = await post('/appointments/series', { ...body, recurrence: { frequency: 'weekly', interval: Number(repeat.value), count: Number(count.value) } });
          d.close();
          seriesResult(series, patient.label, timeZone);
        }
        onBooked(day.value);
      } catch (error) {
        if (error.code === 'SLOT_TAKEN') {
          fail('That time was just taken. Pick another one.');
          picker.load(day.value);
        } else if (error.details?.fields?.['recurrence.count']) {
          fail(`Number of appointments ${error.details.fields['recurrence.count']}.`, count);
        } else {
          fail(error.message);
        }
      }
    },
  }, 'Book');

  const d = modal(
    h('h2', {}, `Book with ${clinicianName}`),
    message,
    labelled('Patient', search, [chosen]), results,
    h('div', { class: 'grid' }, labelled('Service', service), labelled('Date', day)),
    h('div', { class: 'field' }, h('span', { class: 'label', id: 'booking-time-label' }, 'Time'), picker.element),
    h('div', { class: 'grid' }, labelled('Repeat', repeat), countField),
    labelled('Notes', notes),
    h('div', { class: 'form-actions dialog-actions' }, bookButton,
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
  picker.element.setAttribute('aria-labelledby', 'booking-time-label');
  (patient ? service : search).focus();
  if (!service.value) reload();
  return d;
}

/** What became of each occurrence of a series: booked, or skipped and why. */
function seriesResult(series, who, timeZone) {
  const booked = series.occurrences.filter((o) => o.status === 'booked').length;
  const skipped = series.occurrences.length - booked;
  toast(`Booked ${booked} of ${series.occurrences.length} for ${who}${skipped ? `; ${skipped} skipped` : ''}`, skipped ? 'warning' : 'success');
  const d = modal(
    h('h2', {}, `Series for ${who}`),
    h('p', {}, skipped ? `${booked} booked, ${skipped} could not be booked:` : `All ${booked} appointments are booked.`),
    h('ol', { class: 'plain-list series-list' }, series.occurrences.map((o) => h('li', { class: `occurrence occurrence-${o.status}` },
      h('span', { class: 'strong' }, formatIn(o.start, timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })),
      ' ',
      o.status === 'booked' ? h('span', { class: 'badge badge-active' }, 'Booked') : h('span', { class: 'badge badge-warning' }, 'Skipped'),
      o.message ? h('span', { class: 'muted small' }, ` ${o.message}`) : null))),
    h('div', { class: 'form-actions dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, 'Done')));
}
