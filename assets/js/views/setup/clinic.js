// The clinic's own details: name, logo, address, contact, tax number,
// currency and the region phone numbers are read in.
import { patch, del, upload } from '../../api.js';
import { h, field, showFieldErrors, clearFieldErrors, toast, sentence } from '../../dom.js';
import { setClinicProfile } from '../../session.js';

const REGIONS = ['GB', 'IE', 'US', 'CA', 'AU', 'NZ', 'ZA', 'IN', 'DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'PT', 'SE', 'NO', 'DK', 'FI', 'CH', 'AT', 'PL', 'AE', 'SG', 'HK', 'NG', 'KE', 'GH'];
const CURRENCIES = ['GBP', 'EUR', 'USD', 'CAD', 'AUD', 'NZD', 'ZAR', 'INR', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'AED', 'SGD', 'HKD', 'NGN', 'KES', 'GHS'];

function regionName(code) {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

const options = (list, chosen, label = (x) => x) =>
  [...new Set([chosen, ...list])].map((x) => h('option', { value: x, selected: x === chosen }, label(x)));

export function clinicCard(profile, rerender) {
  const input = {
    name: h('input', { value: profile.name, maxlength: 100, dataset: { field: 'name' }, placeholder: 'Riverside Physiotherapy' }),
    address: h('textarea', { rows: 2, maxlength: 300, dataset: { field: 'address' } }, profile.address || ''),
    phone: h('input', { type: 'tel', value: profile.phone || '', dataset: { field: 'phone' } }),
    email: h('input', { type: 'email', value: profile.email || '', dataset: { field: 'email' } }),
    tax_number: h('input', { value: profile.tax_number || '', maxlength: 50, dataset: { field: 'tax_number' } }),
    currency: h('select', { dataset: { field: 'currency' } }, options(CURRENCIES, profile.currency)),
    phone_region: h('select', { dataset: { field: 'phone_region' } }, options(REGIONS, profile.phone_region, (r) => `${regionName(r)} (${r})`)),
  };
  const message = h('div', { class: 'form-message' });
  const form = h('form', { novalidate: true },
    message,
    h('div', { class: 'grid' },
      field('Clinic name', input.name, 'Shown in the top bar and on day sheets.'),
      field('Address', input.address),
      field('Phone', input.phone), field('Email', input.email),
      field('Tax number', input.tax_number, 'VAT or tax registration, for invoices.'),
      field('Currency', input.currency, 'For new prices and invoices.'),
      field('Phone numbers are in', input.phone_region, 'Numbers typed without a country code are read as this country’s.')),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save clinic details')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    message.replaceChildren();
    const text = (el) => el.value.trim() || null;
    try {
      const saved = await patch('/settings/clinic', {
        // A name is asked for once there is one; until then it may stay empty.
        ...(input.name.value.trim() || profile.name ? { name: input.name.value } : {}),
        address: text(input.address), phone: text(input.phone), email: text(input.email), tax_number: text(input.tax_number),
        currency: input.currency.value, phone_region: input.phone_region.value,
      });
      setClinicProfile(saved);
      toast('Clinic details saved', 'success');
      rerender();
    } catch (error) {
      if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    }
  });
  return h('section', { class: 'card', id: 'clinic' }, h('h2', {}, 'Clinic'), logoPicker(profile, rerender), form);
}

function logoPicker(profile, rerender) {
  const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', class: 'visually-hidden', id: 'logo-file' });
  const message = h('div', { class: 'form-message' });
  file.addEventListener('change', async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    message.replaceChildren();
    try {
      setClinicProfile(await upload('PUT', '/settings/clinic/logo', chosen));
      toast('Logo saved', 'success');
      rerender();
    } catch (error) {
      message.append(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  });
  return h('div', { class: 'logo-picker' },
    profile.logo_url ? h('img', { src: profile.logo_url, alt: 'Clinic logo', class: 'logo-preview' }) : h('div', { class: 'logo-preview empty', 'aria-hidden': 'true' }, 'Logo'),
    h('div', {},
      h('label', { for: 'logo-file', class: 'btn btn-small', tabindex: '0', onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } } }, profile.logo_url ? 'Change logo' : 'Upload logo'),
      profile.logo_url ? h('button', {
        type: 'button', class: 'btn btn-ghost btn-small',
        onclick: async () => { await del('/settings/clinic/logo'); setClinicProfile({ ...profile, logo_url: undefined }); toast('Logo removed', 'success'); rerender(); },
      }, 'Remove') : null,
      h('p', { class: 'hint' }, 'PNG, JPEG or WebP, at most 256 KB.'),
      file, message));
}
