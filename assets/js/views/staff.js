import { get, post, patch, del, api, query } from '../api.js';
import { h, ask, field, modal, showFieldErrors, clearFieldErrors, formatInstant, toast } from '../dom.js';
import { currentUser } from '../session.js';

const ROLES = [
  ['front_desk', 'Front desk'],
  ['clinician', 'Clinician'],
  ['billing', 'Billing'],
  ['manager', 'Manager'],
  ['admin', 'Administrator'],
];
const roleName = (role) => ROLES.find(([v]) => v === role)?.[1] || role;
// What each role may do, as the permission table says.
const ROLE_SCOPE = {
  front_desk: 'registers patients and books appointments',
  clinician: 'sees patients and books and runs appointments',
  billing: 'reads patients and the calendar, and changes nothing',
  manager: 'also sets up centres, clinicians, services and hours',
  admin: 'can do everything, including staff, audit log, backups and security',
};

export async function staffView() {
  const list = h('div', { class: 'results' });
  let page = 1;

  async function load() {
    try {
      const { data, pagination } = await get(`/staff${query({ page, page_size: 50 })}`);
      list.replaceChildren(...[table(data), pagination.total_pages > 1 ? h('nav', { class: 'pager' },
        h('button', { class: 'btn btn-ghost', disabled: page <= 1, onclick: () => { page -= 1; load(); } }, '← Previous'),
        h('span', { class: 'muted' }, `Page ${pagination.page} of ${pagination.total_pages}`),
        h('button', { class: 'btn btn-ghost', disabled: !pagination.has_next, onclick: () => { page += 1; load(); } }, 'Next →')) : null].filter(Boolean));
    } catch (error) {
      list.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    }
  }

  async function change(member, body, done) {
    try {
      await patch(`/staff/${member.id}`, body);
      toast(done, 'success');
      load();
    } catch (error) {
      toast(error.message, 'error');
      load();
    }
  }

  function table(rows) {
    const me = currentUser();
    return h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', { class: 'hide-sm' }, 'Since'), h('th', {}, 'Status'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map((m) => {
        const role = h('select', { 'aria-label': `Role of ${m.name}`, disabled: !m.active },
          ROLES.map(([v, label]) => h('option', { value: v, selected: v === m.role }, label)));
        role.addEventListener('change', async () => {
          const next = role.value;
          const own = m.id === me.id;
          const agreed = await ask({
            title: `Make ${m.name} ${roleName(next)}?`,
            text: `${roleName(next)}: ${ROLE_SCOPE[next] || ''}. It applies from their next action.`,
            warning: own && next !== 'admin' ? 'This is your own account: without the administrator role you lose this page as soon as it changes.' : null,
            yes: `Change to ${roleName(next)}`,
          });
          if (agreed) change(m, { role: next }, `${m.name} is now ${roleName(next)}`);
          else role.value = m.role;
        });
        return h('tr', { class: m.active ? '' : 'row-muted' },
          h('td', { class: 'strong' }, m.name, m.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
          h('td', {}, m.email),
          h('td', {}, role),
          h('td', { class: 'hide-sm' }, formatInstant(m.created_at)),
          h('td', {}, h('span', { class: `badge ${m.active ? 'badge-active' : 'badge-archived'}` }, m.active ? 'Active' : 'Deactivated')),
          h('td', { class: 'row-actions' },
            h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => resetPassword(m) }, 'Reset password'),
            h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => resetMfa(m) }, 'Reset two-step'),
            m.id === me.id ? null : m.active
              ? h('button', {
                class: 'btn btn-ghost btn-small', type: 'button',
                onclick: async () => {
                  const agreed = await ask({ title: `Deactivate ${m.name}?`, text: 'They are signed out everywhere at once and cannot sign in until reactivated.', yes: 'Deactivate', danger: true });
                  if (agreed) change(m, { active: false }, `${m.name} deactivated`);
                },
              }, 'Deactivate')
              : h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => change(m, { active: true }, `${m.name} reactivated`) }, 'Reactivate')));
      })));
  }

  async function resetMfa(member) {
    const agreed = await ask({
      title: `Reset ${member.name}'s two-step sign-in?`,
      text: 'For a lost phone: they sign in with their password and set up two-step sign-in again.',
      yes: 'Reset two-step sign-in',
      danger: true,
    });
    if (!agreed) return;
    try {
      await del(`/staff/${member.id}/mfa`);
      toast(`Two-step sign-in of ${member.name} reset`, 'success');
    } catch (error) {
      toast(error.code === 'MFA_NOT_ENABLED' ? `${member.name} has no two-step sign-in to reset` : error.message, error.code === 'MFA_NOT_ENABLED' ? 'info' : 'error');
    }
  }

  function resetPassword(member) {
    const input = h('input', { type: 'password', autocomplete: 'new-password', minlength: 12, maxlength: 128, dataset: { field: 'password' } });
    const message = h('div', { class: 'form-message' });
    const form = h('form', {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        message.replaceChildren();
        clearFieldErrors(form);
        try {
          await patch(`/staff/${member.id}`, { password: input.value });
          toast(`Password for ${member.name} changed`, 'success');
          d.close();
        } catch (error) {
          if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
        }
      },
    },
    message,
    field('New password', input, 'At least 12 characters. Tell it to them in person; they are signed out everywhere.'),
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set password'),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
    const d = modal(h('h2', {}, `New password for ${member.name}`), form);
    input.focus();
  }

  const inputs = {
    name: h('input', { name: 'name', dataset: { field: 'name' }, required: true, autocomplete: 'off' }),
    email: h('input', { name: 'email', type: 'email', dataset: { field: 'email' }, required: true, autocomplete: 'off' }),
    role: h('select', { name: 'role', dataset: { field: 'role' } }, ROLES.map(([v, label]) => h('option', { value: v }, label))),
    password: h('input', { name: 'password', type: 'password', dataset: { field: 'password' }, required: true, autocomplete: 'new-password' }),
  };
  const message = h('div', { class: 'form-message' });
  const form = h('form', {
    class: 'card form-inline',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      clearFieldErrors(form);
      try {
        const member = await post('/staff', { name: inputs.name.value, email: inputs.email.value, role: inputs.role.value, password: inputs.password.value });
        toast(`${member.name} can now sign in`, 'success');
        form.reset();
        load();
      } catch (error) {
        if (error.code === 'EMAIL_TAKEN' || !showFieldErrors(form, error)) {
          if (error.code === 'EMAIL_TAKEN') showFieldErrors(form, error);
          else message.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
        }
      }
    },
  },
  h('h2', {}, 'Add a staff member'),
  message,
  h('div', { class: 'grid' }, field('Name', inputs.name), field('Email', inputs.email), field('Role', inputs.role),
    field('Initial password', inputs.password, 'At least 12 characters; share it privately.')),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add staff member')));

  load();
  return h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Staff'), h('p', { class: 'muted' }, 'Who can sign in, and what their role lets them do.'))),
    list,
    form,
    await securityCard());
}

/** The clinic's security settings: two-step sign-in per role, clinician scope. */
async function securityCard() {
  let settings;
  try {
    settings = await get('/settings/security');
  } catch (error) {
    return h('div', { class: 'banner banner-error', role: 'alert' }, error.message);
  }
  const boxes = ROLES.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', value, checked: settings.mfa_required_roles.includes(value) });
    return h('label', { class: 'check' }, box, ` ${label}`);
  });
  const scope = h('select', { dataset: { field: 'clinician_scope' } },
    h('option', { value: 'all', selected: settings.clinician_scope === 'all' }, 'Every patient (shared care)'),
    h('option', { value: 'own', selected: settings.clinician_scope === 'own' }, 'Only their own patients'));
  const form = h('form', { class: 'card stack', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const roles = boxes.map((l) => l.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    try {
      await api('PUT', '/settings/security', { mfa_required_roles: roles, clinician_scope: scope.value });
      toast('Security settings saved', 'success');
    } catch (error) {
      toast(error.message, 'error');
    }
  } },
  h('h2', {}, 'Security'),
  h('fieldset', { class: 'field' }, h('legend', {}, 'Two-step sign-in required for'), h('div', { class: 'checks' }, boxes),
    h('p', { class: 'hint' }, 'People in these roles set it up at their next sign-in and can do nothing else until they have.')),
  field('Clinicians see', scope, 'Own patients: those they are booked with, registered themselves, or that were shared with them (under “Shared with” on the patient’s page).'),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save security settings')));
  return form;
}
