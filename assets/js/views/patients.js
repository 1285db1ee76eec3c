import { get, post, patch, del, query } from '../api.js';
import { h, ask, askDiscard, tracksTyping, leadSourceLabel, field, showFieldErrors, clearFieldErrors, formatDate, formatInstant, ageFrom, debounce, toast } from '../dom.js';
import { can } from '../session.js';
import { centreZones, formatIn, wallIn } from '../zone.js';
import { duplicateNotices, mergesCard, reviewLink } from './duplicates.js';
import { notesCard } from './notes.js';
import { outcomesCard } from './outcomes.js';
import { filesCard } from './files.js';
import { programmesCard } from './programmes.js';
import { timelineCard } from './timeline.js';
import { messagesCard } from './messages.js';
import { languageName, languageOptions } from '../languages.js';

const SORTS = [
  ['family_name', 'Family name A–Z'],
  ['-family_name', 'Family name Z–A'],
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['date_of_birth', 'Oldest patients'],
  ['-date_of_birth', 'Youngest patients'],
];
const SEXES = [['', 'Not recorded'], ['female', 'Female'], ['male', 'Male'], ['other', 'Other'], ['unknown', 'Unknown']];

const canWrite = () => can('patient_write');

function fullName(p) {
  return `${p.given_name} ${p.family_name}`;
}

function statusBadge(status) {
  return h('span', { class: `badge badge-${status}` }, status === 'active' ? 'Active' : 'Archived');
}

function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export async function patientListView({ query: params, navigate }) {
  const filters = {
    q: params.get('q') || '',
    status: params.get('status') === 'all' ? '' : (params.get('status') || 'active'),
    sort: params.get('sort') || 'family_name',
    page: Number(params.get('page') || 1),
  };
  const results = h('div', { class: 'results', 'aria-busy': 'true' });
  const summary = h('p', { class: 'muted', id: 'result-summary' });
  const facetsLine = h('div', { class: 'facets' });

  const search = h('input', {
    id: 'patient-search', type: 'search', name: 'q', value: filters.q, autofocus: true,
    placeholder: 'Search by name, phone or email', 'aria-label': 'Search patients', autocomplete: 'off',
    'aria-keyshortcuts': '/',
  });
  const status = select('status', [['active', 'Active'], ['archived', 'Archived'], ['', 'All patients']], filters.status, { 'aria-label': 'Status' });
  const sort = select('sort', SORTS, filters.sort, { 'aria-label': 'Sort' });

  let latest = 0;
  // A search typed quickly sends several requests; only the newest may
  // update the page, and none may once the user has left the list.
  async function load() {
    const ticket = ++latest;
    // The old list stays mounted while the next page loads: also ask where we are.
    const onList = () => ticket === latest && results.isConnected && ['/', '/patients'].includes(location.pathname);
    const url = `/patients${query({ q: filters.q, status: filters.status, sort: filters.sort, page: filters.page, page_size: 25 })}`;
    const shown = `/patients${query({ q: filters.q, status: filters.status === 'active' ? '' : (filters.status || 'all'), sort: filters.sort === 'family_name' ? '' : filters.sort, page: filters.page > 1 ? filters.page : '' })}`;
    // The first load runs before the view is on screen, at the URL that opened it.
    if (results.isConnected && ['/', '/patients'].includes(location.pathname)) history.replaceState(null, '', shown);
    results.setAttribute('aria-busy', 'true');
    try {
      const { data, pagination } = await get(url);
      if (!onList()) return;
      summary.textContent = pagination.total === 1 ? '1 patient' : `${pagination.total.toLocaleString()} patients`;
      results.replaceChildren(...[data.length ? table(data) : empty(), pager(pagination)].filter(Boolean));
    } catch (error) {
      if (onList()) results.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    } finally {
      if (onList()) results.setAttribute('aria-busy', 'false');
    }
  }

  function table(rows) {
    return h('table', { class: 'table patient-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Date of birth'), h('th', { scope: 'col' }, 'Phone'), h('th', { scope: 'col', class: 'hide-sm' }, 'Email'), h('th', { scope: 'col' }, 'Status'))),
      h('tbody', {}, rows.map((p) => h('tr', { class: 'row-link', onclick: (e) => { if (!e.target.closest('a')) navigate(`/patients/${p.id}`); } },
        h('td', {}, h('a', { href: `/patients/${p.id}`, dataset: { link: '' }, class: 'strong' }, `${p.family_name}, ${p.given_name}`),
          p.preferred_name ? h('span', { class: 'muted' }, ` “${p.preferred_name}”`) : null),
        h('td', { class: 'dob' }, p.date_of_birth ? `${formatDate(p.date_of_birth)} (${ageFrom(p.date_of_birth)})` : '—'),
        h('td', { class: 'mono nowrap' }, phoneLink(p)),
        h('td', { class: 'hide-sm' }, p.email || '—'),
        h('td', {}, statusBadge(p.status))))));
  }

  function empty() {
    return h('div', { class: 'empty' },
      h('p', { class: 'strong' }, filters.q ? `No patients match “${filters.q}”.` : 'No patients yet.'),
      canWrite() ? h('a', { class: 'btn btn-primary', href: '/patients/new', dataset: { link: '' } }, 'Register a patient') : null);
  }

  function pager(p) {
    if (p.total_pages <= 1) return null;
    const go = (page) => { filters.page = page; load(); };
    return h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { class: 'btn btn-ghost', type: 'button', disabled: p.page <= 1, onclick: () => go(p.page - 1) }, '← Previous'),
      h('span', { class: 'muted' }, `Page ${p.page} of ${p.total_pages}`),
      h('button', { class: 'btn btn-ghost', type: 'button', disabled: !p.has_next, onclick: () => go(p.page + 1) }, 'Next →'));
  }

  const reload = debounce(() => {
    if (results.isConnected && ['/', '/patients'].includes(location.pathname)) { filters.page = 1; load(); }
  }, 180);
  search.addEventListener('input', () => { filters.q = search.value.trim(); reload(); });
  // Escape leaves the search box so the page shortcuts (n, /) work again.
  search.addEventListener('keydown', (e) => { if (e.key === 'Escape') search.blur(); });
  status.addEventListener('change', () => { filters.status = status.value; filters.page = 1; load(); });
  sort.addEventListener('change', () => { filters.sort = sort.value; filters.page = 1; load(); });

  get('/patients/facets').then((facets) => {
    const count = (v) => facets.status.find((s) => s.value === v)?.count || 0;
    facetsLine.replaceChildren(...[
      h('span', { class: 'chip' }, `${count('active').toLocaleString()} active`),
      h('span', { class: 'chip' }, `${count('archived').toLocaleString()} archived`),
      ...facets.lead_source.slice(0, 4).map((s) => h('span', { class: 'chip chip-soft' }, `${leadSourceLabel(s.value)}: ${s.count}`)),
      reviewLink()].filter(Boolean));
  }).catch(() => {});

  load();
  return h('section', { class: 'page' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Patients'), summary),
      canWrite() ? h('a', { class: 'btn btn-primary', href: '/patients/new', dataset: { link: '' }, 'aria-keyshortcuts': 'n', title: 'New patient (n)' }, '+ New patient') : null),
    facetsLine,
    h('div', { class: 'toolbar' }, h('div', { class: 'search' }, search, h('kbd', { class: 'hint-key' }, '/')), status, sort),
    results);
}

/** The number as the clinic writes it, a tap away from a call on a phone. */
function phoneLink(p) {
  return p.phone ? h('a', { href: `tel:${p.phone}`, class: 'tel', 'aria-label': `Call ${p.phone_display || p.phone}` }, p.phone_display || p.phone) : '—';
}

function definition(label, value) {
  return [h('dt', {}, label), h('dd', {}, value || '—')];
}

export async function patientDetailView({ params, query: search, navigate }) {
  const id = params[0];
  let patient;
  try {
    patient = await get(`/patients/${id}`);
  } catch (error) {
    return h('section', { class: 'page' }, h('h1', {}, error.status === 404 ? 'Patient not found' : 'Could not load the patient'), h('p', {}, error.message),
      h('a', { href: '/patients', dataset: { link: '' } }, '← Back to patients'));
  }
  const changeStatus = async (action) => {
    try {
      await post(`/patients/${id}/${action}`);
      toast(action === 'archive' ? 'Patient archived' : 'Patient restored', 'success');
      navigate(`/patients/${id}`, { replace: true });
    } catch (error) {
      toast(error.message, 'error');
    }
  };
  // Times as the clinic reads them, in its centre's zone, whatever the browser's.
  await centreZones(get);
  const address = patient.address ? [patient.address.line1, patient.address.line2, patient.address.city, patient.address.region, patient.address.postal_code, patient.address.country].filter(Boolean).join(', ') : null;
  const ec = patient.emergency_contact;
  const chart = timelineCard(patient);
  return h('section', { class: 'page' },
    h('a', { href: '/patients', dataset: { link: '' }, class: 'back' }, '← Patients'),
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', {}, fullName(patient), ' ', statusBadge(patient.status)),
        h('p', { class: 'muted' }, [patient.preferred_name ? `Prefers “${patient.preferred_name}”` : null,
          patient.date_of_birth ? `Born ${formatDate(patient.date_of_birth)} · ${ageFrom(patient.date_of_birth)} years` : null].filter(Boolean).join(' · '))),
      canWrite() ? h('div', { class: 'actions' },
        h('a', { class: 'btn btn-primary', href: `/patients/${id}/edit`, dataset: { link: '' } }, 'Edit'),
        patient.merged_into_id ? null : patient.status === 'active'
          ? h('button', { class: 'btn btn-ghost', type: 'button', onclick: async () => { if (await ask({ title: `Archive ${fullName(patient)}?`, text: 'The record is kept and can be restored.', yes: 'Archive' })) changeStatus('archive'); } }, 'Archive')
          : h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => changeStatus('restore') }, 'Restore')) : null),
    duplicateNotices(patient, navigate),
    h('div', { class: 'cards' },
      h('article', { class: 'card' }, h('h2', {}, 'Contact'),
        h('dl', { class: 'dl' }, definition('Phone', patient.phone ? phoneLink(patient) : null), definition('Email', patient.email), definition('Address', address))),
      h('article', { class: 'card' }, h('h2', {}, 'Details'),
        h('dl', { class: 'dl' }, definition('Sex', SEXES.find(([v]) => v === patient.sex)?.[1]), definition('Lead source', patient.lead_source && leadSourceLabel(patient.lead_source)),
          definition('Language', patient.preferred_language && languageName(patient.preferred_language)),
          definition('Registered', formatInstant(patient.created_at)), definition('Last changed', formatInstant(patient.updated_at)))),
      h('article', { class: 'card' }, h('h2', {}, 'Emergency contact'),
        h('dl', { class: 'dl' }, definition('Name', ec?.name), definition('Relationship', ec?.relationship), definition('Phone', ec?.phone)))),
    h('div', { class: 'chart-columns' },
      chart,
      h('div', { class: 'chart-side' }, appointmentsCard(patient), filesCard(patient, { onChanged: chart.reload }), messagesCard(patient))),
    notesCard(patient, { writeFor: Number(search?.get('write_note')) || null, onChanged: chart.reload }),
    outcomesCard(patient, { onChanged: chart.reload }),
    programmesCard(patient),
    mergesCard(patient, navigate),
    canWrite() ? sharesCard(patient) : null);
}

// Who the patient is shared with: how a clinician sees a patient they are not
// booked with when the clinic limits clinicians to their own patients.
function sharesCard(patient) {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const picker = h('select', { name: 'staff_id', 'aria-label': 'Clinician to share with' });
  const submit = h('button', { class: 'btn btn-small', type: 'submit' }, 'Share');
  const form = h('form', { class: 'inline-form share-form' }, picker, submit);
  let clinicians = [];
  const nameOf = (staffId) => clinicians.find((c) => c.staff_id === staffId)?.display_name || `Staff member #${staffId}`;
  async function load() {
    try {
      const [{ data: shares }, { data: people }] = await Promise.all([
        get(`/patients/${patient.id}/shares`),
        get('/clinicians?page_size=100'),
      ]);
      clinicians = people.filter((c) => c.staff_id && c.active);
      const shared = new Set(shares.map((s) => s.staff_id));
      const choices = clinicians.filter((c) => !shared.has(c.staff_id));
      picker.replaceChildren(h('option', { value: '' }, choices.length ? 'Choose a clinician…' : 'No other clinician with an account'),
        ...choices.map((c) => h('option', { value: c.staff_id }, c.display_name)));
      picker.disabled = !choices.length;
      submit.disabled = !choices.length;
      list.replaceChildren(shares.length
        ? h('ul', { class: 'plain-list' }, shares.map((s) => h('li', { class: 'row-between' },
          h('span', {}, nameOf(s.staff_id), h('span', { class: 'muted' }, ` · since ${formatInstant(s.created_at)}`)),
          h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'aria-label': `Stop sharing with ${nameOf(s.staff_id)}`, onclick: () => unshare(s.staff_id) }, 'Stop sharing'))))
        : h('p', { class: 'muted' }, 'Not shared with anyone.'));
    } catch (error) {
      list.replaceChildren(h('p', { class: 'muted' }, error.message));
    }
  }
  async function unshare(staffId) {
    try {
      await del(`/patients/${patient.id}/shares/${staffId}`);
      toast(`No longer shared with ${nameOf(staffId)}`, 'success');
      load();
    } catch (error) {
      toast(error.message, 'error');
    }
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!picker.value) return;
    const staffId = Number(picker.value);
    try {
      await post(`/patients/${patient.id}/shares`, { staff_id: staffId });
      toast(`Shared with ${nameOf(staffId)}`, 'success');
      load();
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  load();
  return h('article', { class: 'card shares-card' },
    h('h2', {}, 'Shared with'),
    h('p', { class: 'muted small' }, 'When the clinic limits clinicians to their own patients, a clinician sees this patient if they are booked with them or it is shared with them.'),
    list, form);
}

const STATUS = { pending: 'Pending', confirmed: 'Confirmed', checked_in: 'Checked in', completed: 'Completed', cancelled: 'Cancelled', no_show: 'No-show' };

function appointmentsCard(patient) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading appointments…'));
  Promise.all([get(`/patients/${patient.id}/appointments?page_size=50`), centreZones(get)]).then(([{ data }, zones]) => {
    const now = new Date().toISOString();
    const upcoming = data.filter((a) => new Date(a.start).toISOString() >= now);
    const past = data.filter((a) => new Date(a.start).toISOString() < now).reverse();
    const row = (a) => h('tr', {},
      h('td', {}, h('a', { href: `/calendar?date=${wallIn(a.start, zones.of(a.centre_id)).date}&centre=${a.centre_id}`, dataset: { link: '' } }, formatIn(a.start, zones.of(a.centre_id)))),
      h('td', {}, h('span', { class: `badge status-badge status-${a.status}` }, STATUS[a.status] || a.status)));
    body.replaceChildren(data.length
      ? h('table', { class: 'table compact' }, h('tbody', {}, [...upcoming, ...past].map(row)))
      : h('p', { class: 'muted' }, 'No appointments yet.'));
  }).catch((error) => body.replaceChildren(h('p', { class: 'muted' }, error.message)));
  return h('article', { class: 'card appointments-card' },
    h('div', { class: 'row-between' }, h('h2', {}, 'Appointments'),
      canWrite() && patient.status === 'active'
        ? h('a', { class: 'btn btn-primary btn-small', href: `/calendar?patient=${patient.id}&patient_name=${encodeURIComponent(fullName(patient))}`, dataset: { link: '' } }, 'Book')
        : null),
    body);
}

export async function patientFormView({ params, navigate }) {
  const id = params[0];
  let existing = null;
  if (id) {
    try {
      existing = await get(`/patients/${id}`);
    } catch (error) {
      return h('section', { class: 'page' }, h('h1', {}, 'Patient not found'), h('p', {}, error.message));
    }
  }
  const v = (path) => path.split('.').reduce((o, k) => (o ? o[k] : undefined), existing) ?? '';
  const input = (name, attrs = {}) => h('input', { name, dataset: { field: name }, value: v(name), ...attrs });
  const inputs = {
    given_name: input('given_name', { required: true, autocomplete: 'off', autofocus: true }),
    family_name: input('family_name', { required: true, autocomplete: 'off' }),
    preferred_name: input('preferred_name', { autocomplete: 'off' }),
    date_of_birth: input('date_of_birth', { type: 'date', max: new Date().toISOString().slice(0, 10) }),
    sex: select('sex', SEXES, v('sex'), { dataset: { field: 'sex' } }),
    // Edited as the clinic writes it; saved back in E.164 whatever the format.
    phone: input('phone', { type: 'tel', autocomplete: 'off', value: existing?.phone_display || v('phone') }),
    email: input('email', { type: 'email', autocomplete: 'off' }),
    'address.line1': input('address.line1'),
    'address.line2': input('address.line2'),
    'address.city': input('address.city'),
    'address.region': input('address.region'),
    'address.postal_code': input('address.postal_code'),
    'address.country': input('address.country'),
    'emergency_contact.name': input('emergency_contact.name'),
    'emergency_contact.relationship': input('emergency_contact.relationship'),
    'emergency_contact.phone': input('emergency_contact.phone', { type: 'tel' }),
    lead_source: input('lead_source', { list: 'lead-sources', autocomplete: 'off' }),
    preferred_language: input('preferred_language', { list: 'languages', autocomplete: 'off', placeholder: 'e.g. cy, pl, pt-BR' }),
  };
  // Email only until the patient says otherwise.
  const prefs = existing?.contact_preferences || { email: true, sms: false, whatsapp: false };
  const consent = Object.fromEntries(['email', 'sms', 'whatsapp'].map((k) => [k, h('input', { type: 'checkbox', checked: prefs[k], dataset: { field: `contact_preferences.${k}` } })]));
  const val = (name) => inputs[name].value.trim() || null;
  const group = (prefix, names) => {
    const obj = Object.fromEntries(names.map((n) => [n, val(`${prefix}.${n}`)]));
    return Object.values(obj).some((x) => x !== null) ? obj : null;
  };
  const body = () => ({
    given_name: inputs.given_name.value,
    family_name: inputs.family_name.value,
    preferred_name: val('preferred_name'),
    date_of_birth: val('date_of_birth'),
    sex: val('sex'),
    phone: val('phone'),
    email: val('email'),
    address: group('address', ['line1', 'line2', 'city', 'region', 'postal_code', 'country']),
    emergency_contact: group('emergency_contact', ['name', 'relationship', 'phone']),
    lead_source: val('lead_source'),
    contact_preferences: { email: consent.email.checked, sms: consent.sms.checked, whatsapp: consent.whatsapp.checked },
    preferred_language: val('preferred_language'),
  });

  const message = h('div', { class: 'form-message' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, existing ? 'Save changes' : 'Register patient');

  async function save(allowDuplicate = false) {
    message.replaceChildren();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const saved = existing
        ? await patch(`/patients/${id}`, body())
        : await post(`/patients${allowDuplicate ? '?allow_duplicate=true' : ''}`, body());
      toast(existing ? 'Changes saved' : `${fullName(saved)} registered`, 'success');
      navigate(`/patients/${saved.id}`, { replace: !!existing });
    } catch (error) {
      if (error.code === 'POSSIBLE_DUPLICATE') {
        message.append(duplicateWarning(error.details.matches, () => save(true)));
      } else if (!showFieldErrors(form, error)) {
        message.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
      } else {
        message.append(h('div', { class: 'banner banner-error', role: 'alert' }, 'Please correct the highlighted fields.'));
      }
    } finally {
      submit.disabled = false;
    }
  }

  const sources = h('datalist', { id: 'lead-sources' });
  get('/patients/facets').then((f) => sources.replaceChildren(...f.lead_source.filter((s) => s.value !== 'unknown').map((s) => h('option', { value: s.value })))).catch(() => {});

  const cancelTo = existing ? `/patients/${id}` : '/patients';
  const form = h('form', {
    class: 'form',
    novalidate: true,
    onsubmit: (e) => { e.preventDefault(); save(false); },
    onkeydown: async (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      if (!typing.typed() || await askDiscard()) navigate(cancelTo);
    },
  },
  message,
  h('fieldset', {}, h('legend', {}, 'Patient'),
    h('div', { class: 'grid' }, field('Given name', inputs.given_name), field('Family name', inputs.family_name),
      field('Preferred name', inputs.preferred_name), field('Date of birth', inputs.date_of_birth), field('Sex', inputs.sex))),
  h('fieldset', {}, h('legend', {}, 'Contact'),
    h('div', { class: 'grid' }, field('Phone', inputs.phone, 'Any format; numbers without a country code use the clinic’s region.'), field('Email', inputs.email),
      field('Language for messages', inputs.preferred_language, 'Messages use the clinic’s wording in this language when it has one.'), languageOptions(h, 'languages')),
    h('fieldset', { class: 'checks' }, h('legend', {}, 'Appointment messages'),
      h('label', { class: 'check' }, consent.email, ' By email'), h('label', { class: 'check' }, consent.sms, ' By SMS'), h('label', { class: 'check' }, consent.whatsapp, ' By WhatsApp'))),
  h('fieldset', {}, h('legend', {}, 'Address'),
    h('div', { class: 'grid' }, field('Address line 1', inputs['address.line1']), field('Address line 2', inputs['address.line2']),
      field('City', inputs['address.city']), field('Region', inputs['address.region']),
      field('Postal code', inputs['address.postal_code']), field('Country', inputs['address.country']))),
  h('fieldset', {}, h('legend', {}, 'Emergency contact'),
    h('div', { class: 'grid' }, field('Contact name', inputs['emergency_contact.name']), field('Relationship', inputs['emergency_contact.relationship']),
      field('Contact phone', inputs['emergency_contact.phone']))),
  h('fieldset', {}, h('legend', {}, 'How they found us'),
    h('div', { class: 'grid' }, field('Lead source', inputs.lead_source, 'For example referral, website, walk-in.'), sources)),
  h('div', { class: 'form-actions' }, submit, h('a', { class: 'btn btn-ghost', href: cancelTo, dataset: { link: '' } }, 'Cancel'), h('span', { class: 'muted small' }, 'Esc to cancel')));
  const typing = tracksTyping(form);

  return h('section', { class: 'page page-narrow' },
    h('a', { href: cancelTo, dataset: { link: '' }, class: 'back' }, existing ? `← ${fullName(existing)}` : '← Patients'),
    h('h1', {}, existing ? `Edit ${fullName(existing)}` : 'New patient'),
    form);
}

function duplicateWarning(matches, proceed) {
  return h('div', { class: 'banner banner-warning', role: 'alert' },
    h('p', { class: 'strong' }, 'This may be a patient who is already registered:'),
    h('ul', {}, matches.map((m) => h('li', {},
      h('a', { href: `/patients/${m.id}`, dataset: { link: '' } }, `${m.given_name} ${m.family_name}`),
      ` — ${m.date_of_birth ? formatDate(m.date_of_birth) : 'no date of birth'}, ${m.phone || 'no phone'} `,
      h('span', { class: 'muted' }, m.reason === 'phone' ? '(same phone)' : '(same name and date of birth)'),
      m.status === 'archived' ? h('span', { class: 'badge badge-archived' }, 'Archived') : null))),
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: proceed }, 'Register as a new patient anyway'));
}
