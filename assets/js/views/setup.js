// Clinic setup for managers: booking policy, centres, services, clinicians
// and their weekly availability.
import { get, post, patch, api } from '../api.js';
import { h, field, showFieldErrors, clearFieldErrors, toast } from '../dom.js';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

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

function errorBanner(box, error, form) {
  box.replaceChildren();
  if (!form || !showFieldErrors(form, error)) box.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
}

export async function clinicSetupView() {
  const [settings, centres, services, clinicians] = await Promise.all([
    get('/settings/booking'), list('/centres'), list('/services'), list('/clinicians'),
  ]);
  const rerender = () => window.dispatchEvent(new PopStateEvent('popstate'));

  // Booking policy
  const policy = {
    min_notice_minutes: h('input', { type: 'number', min: 0, value: settings.min_notice_minutes, dataset: { field: 'min_notice_minutes' } }),
    booking_window_days: h('input', { type: 'number', min: 1, value: settings.booking_window_days, dataset: { field: 'booking_window_days' } }),
    cancellation_notice_hours: h('input', { type: 'number', min: 0, value: settings.cancellation_notice_hours, dataset: { field: 'cancellation_notice_hours' } }),
    calendar_show_surnames: h('input', { type: 'checkbox', checked: settings.calendar_show_surnames }),
  };
  const policyMessage = h('div', { class: 'form-message' });
  const policyForm = h('form', {
    class: 'card', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(policyForm);
      try {
        await patch('/settings/booking', {
          min_notice_minutes: Number(policy.min_notice_minutes.value),
          booking_window_days: Number(policy.booking_window_days.value),
          cancellation_notice_hours: Number(policy.cancellation_notice_hours.value),
          calendar_show_surnames: policy.calendar_show_surnames.checked,
        });
        toast('Booking policy saved', 'success');
      } catch (error) { errorBanner(policyMessage, error, policyForm); }
    },
  }, h('h2', {}, 'Booking policy'), policyMessage,
  h('div', { class: 'grid' },
    field('Minimum notice (minutes)', policy.min_notice_minutes),
    field('Booking window (days)', policy.booking_window_days),
    field('Cancellation notice (hours)', policy.cancellation_notice_hours)),
  h('label', { class: 'check' }, policy.calendar_show_surnames, ' Show patients’ family names in calendar feeds'),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save policy')));

  // Centres
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const centre = {
    name: h('input', { dataset: { field: 'name' }, required: true }),
    timezone: h('select', { dataset: { field: 'timezone' } }, zones.map((z) => h('option', { value: z, selected: z === here }, z))),
    phone: h('input', { type: 'tel', dataset: { field: 'phone' } }),
    address: h('input', { dataset: { field: 'address' } }),
  };
  const centreMessage = h('div', { class: 'form-message' });
  const centreForm = h('form', {
    class: 'card', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(centreForm);
      try {
        await post('/centres', { name: centre.name.value, timezone: centre.timezone.value, phone: centre.phone.value || null, address: centre.address.value || null });
        toast('Centre added', 'success');
        rerender();
      } catch (error) { errorBanner(centreMessage, error, centreForm); }
    },
  }, h('h2', {}, 'Centres'),
  centres.length ? h('table', { class: 'table compact' }, h('tbody', {}, centres.map((c) => h('tr', {}, h('td', { class: 'strong' }, c.name), h('td', {}, c.timezone), h('td', {}, c.phone || '—'))))) : h('p', { class: 'muted' }, 'No centres yet.'),
  centreMessage,
  h('div', { class: 'grid' }, field('Centre name', centre.name), field('Time zone', centre.timezone), field('Centre phone', centre.phone), field('Address', centre.address)),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add centre')));

  // Clinicians
  const clinician = {
    display_name: h('input', { dataset: { field: 'display_name' } }),
    specialties: h('input', { placeholder: 'physiotherapy, sports injuries', dataset: { field: 'specialties' } }),
    centres: centres.map((c) => h('input', { type: 'checkbox', value: c.id, checked: centres.length === 1 })),
  };
  const clinicianMessage = h('div', { class: 'form-message' });
  const clinicianForm = h('form', {
    class: 'card', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(clinicianForm);
      try {
        await post('/clinicians', {
          display_name: clinician.display_name.value,
          specialties: clinician.specialties.value.split(',').map((s) => s.trim()).filter(Boolean),
          centre_ids: clinician.centres.filter((c) => c.checked).map((c) => Number(c.value)),
        });
        toast('Clinician added', 'success');
        rerender();
      } catch (error) { errorBanner(clinicianMessage, error, clinicianForm); }
    },
  }, h('h2', {}, 'Clinicians'),
  clinicians.length ? h('div', { class: 'stack' }, clinicians.map((c) => clinicianRow(c, centres))) : h('p', { class: 'muted' }, 'No clinicians yet.'),
  clinicianMessage,
  h('div', { class: 'grid' }, field('Clinician name', clinician.display_name), field('Specialties', clinician.specialties, 'Separated by commas.')),
  h('fieldset', { class: 'checks' }, h('legend', {}, 'Works at'), centres.map((c, i) => h('label', { class: 'check' }, clinician.centres[i], ` ${c.name}`))),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add clinician')));

  // Services
  const service = {
    name: h('input', { dataset: { field: 'name' } }),
    duration_minutes: h('input', { type: 'number', min: 5, value: 60, dataset: { field: 'duration_minutes' } }),
    price: h('input', { type: 'number', min: 0, step: '0.01', value: '0', dataset: { field: 'price.amount_minor' } }),
    currency: h('input', { value: 'GBP', maxlength: 3, dataset: { field: 'price.currency' } }),
    modality: h('select', {}, h('option', { value: 'in_person' }, 'In person'), h('option', { value: 'video' }, 'Video')),
    capacity: h('input', { type: 'number', min: 1, value: 1, dataset: { field: 'capacity' } }),
    buffer_after_minutes: h('input', { type: 'number', min: 0, value: 0, dataset: { field: 'buffer_after_minutes' } }),
    clinicians: clinicians.map((c) => h('input', { type: 'checkbox', value: c.id, checked: true })),
  };
  const serviceMessage = h('div', { class: 'form-message' });
  const serviceForm = h('form', {
    class: 'card', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(serviceForm);
      const currency = service.currency.value.trim().toUpperCase();
      try {
        await post('/services', {
          name: service.name.value,
          duration_minutes: Number(service.duration_minutes.value),
          price: { amount_minor: Math.round(Number(service.price.value) * minorFactor(currency)), currency },
          modality: service.modality.value,
          capacity: Number(service.capacity.value),
          buffer_after_minutes: Number(service.buffer_after_minutes.value),
          clinician_ids: service.clinicians.filter((c) => c.checked).map((c) => Number(c.value)),
        });
        toast('Service added', 'success');
        rerender();
      } catch (error) { errorBanner(serviceMessage, error, serviceForm); }
    },
  }, h('h2', {}, 'Services'),
  services.length ? h('table', { class: 'table compact' }, h('tbody', {}, services.map((s) => h('tr', {},
    h('td', { class: 'strong' }, s.colour ? h('span', { class: 'swatch', style: `background: ${s.colour}` }) : null, s.name),
    h('td', {}, `${s.duration_minutes} min`), h('td', {}, money(s.price)),
    h('td', {}, s.modality === 'video' ? 'Video' : 'In person'), h('td', {}, s.capacity > 1 ? `Group of ${s.capacity}` : 'Individual'))))) : h('p', { class: 'muted' }, 'No services yet.'),
  serviceMessage,
  h('div', { class: 'grid' }, field('Service name', service.name), field('Duration (minutes)', service.duration_minutes), field('Price', service.price),
    field('Currency', service.currency), field('Modality', service.modality), field('Seats', service.capacity, '1 for individual appointments.'),
    field('Break after (minutes)', service.buffer_after_minutes)),
  clinicians.length ? h('fieldset', { class: 'checks' }, h('legend', {}, 'Offered by'), clinicians.map((c, i) => h('label', { class: 'check' }, service.clinicians[i], ` ${c.display_name}`))) : null,
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add service')));

  return h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Clinic setup'), h('p', { class: 'muted' }, 'Centres, clinicians and their hours, services, and the booking policy.'))),
    h('div', { class: 'setup-grid' }, centreForm, clinicianForm, serviceForm, policyForm));
}

function clinicianRow(c, centres) {
  const editor = h('div', { class: 'availability', hidden: true });
  const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-expanded': 'false' }, 'Weekly hours');
  toggle.addEventListener('click', async () => {
    const open = editor.hidden;
    editor.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) await loadEditor(c, centres, editor);
  });
  return h('div', { class: 'clinician-row' },
    h('div', { class: 'row-between' },
      h('span', {}, h('span', { class: 'strong' }, c.display_name), h('span', { class: 'muted' }, ` · ${c.specialties.join(', ') || 'no specialties listed'}`)),
      toggle),
    editor);
}

async function loadEditor(c, centres, editor) {
  const { data: rules } = await get(`/clinicians/${c.id}/availability`);
  const rows = h('div', { class: 'rules' });
  const mine = centres.filter((x) => c.centre_ids.includes(x.id));
  const addRow = (rule = { weekday: 1, start: '09:00', end: '17:00', centre_id: mine[0]?.id }) => {
    const row = h('div', { class: 'rule' },
      h('select', { 'aria-label': 'Day', name: 'weekday' }, WEEKDAYS.map((d, i) => h('option', { value: i + 1, selected: rule.weekday === i + 1 }, d))),
      h('input', { type: 'time', name: 'start', value: rule.start, 'aria-label': 'From' }),
      h('input', { type: 'time', name: 'end', value: rule.end === '24:00' ? '23:59' : rule.end, 'aria-label': 'Until' }),
      h('select', { 'aria-label': 'Centre', name: 'centre' }, mine.map((x) => h('option', { value: x.id, selected: x.id === rule.centre_id }, x.name))),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': 'Remove this block', onclick: () => row.remove() }, '✕'));
    rows.append(row);
  };
  rules.forEach(addRow);
  const message = h('div', { class: 'form-message' });
  editor.replaceChildren(
    mine.length ? null : h('p', { class: 'muted' }, 'Choose the centres this clinician works at first.'),
    rows, message,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => addRow() }, '+ Add hours'),
      h('button', {
        type: 'button', class: 'btn btn-primary btn-small',
        onclick: async () => {
          const body = [...rows.children].map((row) => ({
            weekday: Number(row.querySelector('[name=weekday]').value),
            start: row.querySelector('[name=start]').value,
            end: row.querySelector('[name=end]').value,
            centre_id: Number(row.querySelector('[name=centre]').value),
          }));
          try {
            await api('PUT', `/clinicians/${c.id}/availability`, body);
            message.replaceChildren();
            toast(`Hours saved for ${c.display_name}`, 'success');
          } catch (error) {
            const fields = error.details?.fields || {};
            message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' },
              Object.keys(fields).length ? Object.entries(fields).map(([k, v]) => `${k.replace(/^\[(\d+)\]\./, (_, n) => `Row ${Number(n) + 1}: `)} ${v}`).join('; ') : error.message));
          }
        },
      }, 'Save hours')));
}
