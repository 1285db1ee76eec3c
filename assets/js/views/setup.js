// Clinic setup for managers: centres, clinicians and their hours, services
// and the booking policy, each listed with an edit dialog and added below.
import { get, post, patch } from '../api.js';
import { h, field, modal, showFieldErrors, clearFieldErrors, toast } from '../dom.js';
import { clinicianRow, activeToggle } from './setup/clinicians.js';
import { clinicCard } from './setup/clinic.js';
import { programmesSetupCard } from './setup/programmes.js';
import { messagesSetupCard } from './setup/messages.js';
import { wordingSetupCard } from './setup/wording.js';
import { can } from '../session.js';

async function list(path) {
  return (await get(`${path}?page_size=100`)).data;
}

function minorFactor(currency) {
  try {
    return 10 ** new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 100;
  }
}

function money(m) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(m.amount_minor / minorFactor(m.currency));
  } catch {
    return `${m.amount_minor} ${m.currency}`;
  }
}

/** Submits a form's body; field errors go next to their inputs, others in `box`. */
function submitter(form, box, send) {
  return async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    box.replaceChildren();
    try {
      await send();
    } catch (error) {
      if (!showFieldErrors(form, error)) box.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    }
  };
}

const rerender = () => window.dispatchEvent(new PopStateEvent('popstate'));
/** New prices are in the clinic's currency. */
let defaultCurrency = 'GBP';
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const zones = () => {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return known.includes(browserZone) ? known : [browserZone, ...known];
};

function centreInputs(c = {}, usual = browserZone) {
  const here = c.timezone || usual;
  return {
    name: h('input', { value: c.name || '', dataset: { field: 'name' }, required: true, maxlength: 100 }),
    timezone: h('select', { dataset: { field: 'timezone' } }, zones().map((z) => h('option', { value: z, selected: z === here }, z))),
    phone: h('input', { type: 'tel', value: c.phone || '', dataset: { field: 'phone' } }),
    address: h('input', { value: c.address || '', dataset: { field: 'address' } }),
  };
}

const centreBody = (input) => ({
  name: input.name.value.trim(), timezone: input.timezone.value, phone: input.phone.value.trim() || null, address: input.address.value.trim() || null,
});

const centreFields = (input) => [field('Centre name', input.name), field('Time zone', input.timezone), field('Centre phone', input.phone), field('Address', input.address)];

function editCentre(c) {
  const input = centreInputs(c);
  const message = h('div', { class: 'form-message' });
  const form = h('form', { novalidate: true }, h('h2', {}, `Edit ${c.name}`), message, centreFields(input),
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save'),
      activeToggle(`/centres/${c.id}`, c, c.name, 'It is no longer offered for booking; its appointments stay.', () => { d.close(); rerender(); }),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await patch(`/centres/${c.id}`, centreBody(input));
    toast(`${input.name.value.trim()} saved`, 'success');
    d.close();
    rerender();
  }));
  const d = modal(form);
  input.name.focus();
}

function serviceInputs(s = {}, clinicians = []) {
  const price = s.price || { amount_minor: 0, currency: defaultCurrency };
  return {
    name: h('input', { value: s.name || '', dataset: { field: 'name' }, maxlength: 100 }),
    duration_minutes: h('input', { type: 'number', min: 5, max: 720, value: s.duration_minutes ?? 60, dataset: { field: 'duration_minutes' } }),
    price: h('input', { type: 'number', min: 0, step: '0.01', value: String(price.amount_minor / minorFactor(price.currency)), dataset: { field: 'price.amount_minor' } }),
    currency: h('input', { value: price.currency, maxlength: 3, dataset: { field: 'price.currency' } }),
    modality: h('select', { dataset: { field: 'modality' } },
      h('option', { value: 'in_person', selected: s.modality !== 'video' }, 'In person'),
      h('option', { value: 'video', selected: s.modality === 'video' }, 'Video')),
    capacity: h('input', { type: 'number', min: 1, value: s.capacity ?? 1, dataset: { field: 'capacity' } }),
    buffer_after_minutes: h('input', { type: 'number', min: 0, value: s.buffer_after_minutes ?? 0, dataset: { field: 'buffer_after_minutes' } }),
    clinicians: clinicians.map((c) => ({ clinician: c, box: h('input', { type: 'checkbox', value: c.id, checked: s.clinician_ids ? s.clinician_ids.includes(c.id) : c.active }) })),
  };
}

function serviceBody(input) {
  const currency = input.currency.value.trim().toUpperCase();
  return {
    name: input.name.value.trim(),
    duration_minutes: Number(input.duration_minutes.value),
    price: { amount_minor: Math.round(Number(input.price.value) * minorFactor(currency)), currency },
    modality: input.modality.value,
    capacity: Number(input.capacity.value),
    buffer_after_minutes: Number(input.buffer_after_minutes.value),
    clinician_ids: input.clinicians.filter((x) => x.box.checked).map((x) => x.clinician.id),
  };
}

const serviceFields = (input) => [
  h('div', { class: 'grid' }, field('Service name', input.name), field('Duration (minutes)', input.duration_minutes), field('Price', input.price),
    field('Currency', input.currency), field('Modality', input.modality), field('Seats', input.capacity, '1 for individual appointments.'),
    field('Break after (minutes)', input.buffer_after_minutes)),
  input.clinicians.length ? h('fieldset', { class: 'checks' }, h('legend', {}, 'Offered by'), input.clinicians.map((x) => h('label', { class: 'check' }, x.box, ` ${x.clinician.display_name}`))) : null,
];

function editService(s, clinicians) {
  const input = serviceInputs(s, clinicians);
  const message = h('div', { class: 'form-message' });
  const form = h('form', { novalidate: true }, h('h2', {}, `Edit ${s.name}`), message, serviceFields(input),
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save'),
      activeToggle(`/services/${s.id}`, s, s.name, 'It is no longer offered for booking; its appointments stay.', () => { d.close(); rerender(); }),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await patch(`/services/${s.id}`, serviceBody(input));
    toast(`${input.name.value.trim()} saved`, 'success');
    d.close();
    rerender();
  }));
  const d = modal(form);
  input.name.focus();
}

function policyCard(settings) {
  const input = {
    min_notice_minutes: h('input', { type: 'number', min: 0, value: settings.min_notice_minutes, dataset: { field: 'min_notice_minutes' } }),
    booking_window_days: h('input', { type: 'number', min: 1, value: settings.booking_window_days, dataset: { field: 'booking_window_days' } }),
    cancellation_notice_hours: h('input', { type: 'number', min: 0, value: settings.cancellation_notice_hours, dataset: { field: 'cancellation_notice_hours' } }),
    slot_interval_minutes: h('input', { type: 'number', min: 0, max: 240, step: 5, value: settings.slot_interval_minutes, dataset: { field: 'slot_interval_minutes' } }),
    check_in_opens_minutes: h('input', { type: 'number', min: 0, max: 1440, value: settings.check_in_opens_minutes, dataset: { field: 'check_in_opens_minutes' } }),
    staff_bookings_confirmed: h('input', { type: 'checkbox', checked: settings.staff_bookings_confirmed }),
    calendar_show_surnames: h('input', { type: 'checkbox', checked: settings.calendar_show_surnames }),
  };
  const message = h('div', { class: 'form-message' });
  const form = h('form', { class: 'card', novalidate: true, id: 'booking-policy' }, h('h2', {}, 'Booking policy'), message,
    h('div', { class: 'grid' },
      field('Start times every (minutes)', input.slot_interval_minutes, '0: one whole visit apart.'),
      field('Check-in opens (minutes before)', input.check_in_opens_minutes),
      field('Online minimum notice (minutes)', input.min_notice_minutes, 'Binds patients and integrations; staff may book inside it.'),
      field('Online booking window (days)', input.booking_window_days),
      field('Online cancellation notice (hours)', input.cancellation_notice_hours)),
    h('label', { class: 'check' }, input.staff_bookings_confirmed, ' Bookings made by staff start confirmed'),
    h('label', { class: 'check' }, input.calendar_show_surnames, ' Show patients’ family names in calendar feeds'),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save policy')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await patch('/settings/booking', {
      min_notice_minutes: Number(input.min_notice_minutes.value),
      booking_window_days: Number(input.booking_window_days.value),
      cancellation_notice_hours: Number(input.cancellation_notice_hours.value),
      slot_interval_minutes: Number(input.slot_interval_minutes.value),
      check_in_opens_minutes: Number(input.check_in_opens_minutes.value),
      staff_bookings_confirmed: input.staff_bookings_confirmed.checked,
      calendar_show_surnames: input.calendar_show_surnames.checked,
    });
    toast('Booking policy saved', 'success');
  }));
  return form;
}

function centresCard(centres) {
  // A second centre is most likely in the first one's zone.
  const input = centreInputs({}, centres[0]?.timezone);
  const message = h('div', { class: 'form-message' });
  const listing =
    centres.length ? h('ul', { class: 'setup-list' }, centres.map((c) => h('li', { class: c.active ? '' : 'inactive' },
      h('span', {}, h('span', { class: 'strong' }, c.name), c.active ? null : h('span', { class: 'badge badge-archived badge-gap' }, 'Inactive'),
        h('span', { class: 'muted' }, ` · ${c.timezone}${c.phone ? ` · ${c.phone}` : ''}`)),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Edit ${c.name}`, onclick: () => editCentre(c) }, 'Edit')))) : h('p', { class: 'muted' }, 'No centres yet.');
  const form = h('form', { novalidate: true }, h('h3', {}, 'Add a centre'), message,
    h('div', { class: 'grid' }, centreFields(input)),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add centre')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await post('/centres', centreBody(input));
    toast('Centre added', 'success');
    rerender();
  }));
  return h('section', { class: 'card', id: 'centres' }, h('h2', {}, 'Centres'), listing, form);
}

function cliniciansCard(clinicians, centres) {
  const input = {
    display_name: h('input', { dataset: { field: 'display_name' }, maxlength: 100 }),
    specialties: h('input', { placeholder: 'physiotherapy, sports injuries', dataset: { field: 'specialties' } }),
    centres: centres.filter((c) => c.active).map((c, _, active) => ({ centre: c, box: h('input', { type: 'checkbox', value: c.id, checked: active.length === 1 }) })),
  };
  const message = h('div', { class: 'form-message' });
  const listing = clinicians.length ? h('div', { class: 'stack' }, clinicians.map((c) => clinicianRow(c, centres, rerender))) : h('p', { class: 'muted' }, 'No clinicians yet.');
  const form = h('form', { novalidate: true }, h('h3', {}, 'Add a clinician'), message,
    h('div', { class: 'grid' }, field('Clinician name', input.display_name), field('Specialties', input.specialties, 'Separated by commas.')),
    h('fieldset', { class: 'checks' }, h('legend', {}, 'Works at'), input.centres.map((x) => h('label', { class: 'check' }, x.box, ` ${x.centre.name}`))),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add clinician')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await post('/clinicians', {
      display_name: input.display_name.value.trim(),
      specialties: input.specialties.value.split(',').map((s) => s.trim()).filter(Boolean),
      centre_ids: input.centres.filter((x) => x.box.checked).map((x) => x.centre.id),
    });
    toast('Clinician added', 'success');
    rerender();
  }));
  return h('section', { class: 'card', id: 'clinicians' }, h('h2', {}, 'Clinicians'), listing, form);
}

function servicesCard(services, clinicians) {
  const input = serviceInputs({}, clinicians.filter((c) => c.active));
  const message = h('div', { class: 'form-message' });
  const listing =
    services.length ? h('ul', { class: 'setup-list' }, services.map((s) => h('li', { class: s.active ? '' : 'inactive' },
      h('span', {},
        s.colour ? h('span', { class: 'swatch', style: `background: ${s.colour}` }) : null,
        h('span', { class: 'strong' }, s.name), s.active ? null : h('span', { class: 'badge badge-archived badge-gap' }, 'Inactive'),
        h('span', { class: 'muted' }, ` · ${s.duration_minutes} min · ${money(s.price)} · ${s.modality === 'video' ? 'Video' : 'In person'}${s.capacity > 1 ? ` · group of ${s.capacity}` : ''}`)),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Edit ${s.name}`, onclick: () => editService(s, clinicians) }, 'Edit')))) : h('p', { class: 'muted' }, 'No services yet.');
  const form = h('form', { novalidate: true }, h('h3', {}, 'Add a service'), message,
    serviceFields(input),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add service')));
  form.addEventListener('submit', submitter(form, message, async () => {
    await post('/services', serviceBody(input));
    toast('Service added', 'success');
    rerender();
  }));
  return h('section', { class: 'card', id: 'services' }, h('h2', {}, 'Services'), listing, form);
}

export async function clinicSetupView() {
  const [settings, centres, services, clinicians, profile] = await Promise.all([
    get('/settings/booking'), list('/centres'), list('/services'), list('/clinicians'), get('/settings/clinic'),
  ]);
  defaultCurrency = profile.currency;
  return h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Clinic setup'), h('p', { class: 'muted' }, 'The clinic’s details, centres, clinicians and their hours, services, the booking policy and treatment programmes.'))),
    h('div', { class: 'setup-grid' }, clinicCard(profile, rerender), centresCard(centres), cliniciansCard(clinicians, centres), servicesCard(services, clinicians), policyCard(settings),
      messagesSetupCard(),
      can('scheduling_setup') ? wordingSetupCard() : null,
      can('clinical_setup') ? programmesSetupCard(services) : null));
}
