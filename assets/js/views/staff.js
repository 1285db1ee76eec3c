import { get, post, patch, query } from '../api.js';
import { h, field, showFieldErrors, clearFieldErrors, formatInstant, toast } from '../dom.js';
import { currentUser } from '../session.js';

const ROLES = [
  ['front_desk', 'Front desk'],
  ['clinician', 'Clinician'],
  ['billing', 'Billing'],
  ['manager', 'Manager'],
  ['admin', 'Administrator'],
];
const roleName = (role) => ROLES.find(([v]) => v === role)?.[1] || role;

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
        role.addEventListener('change', () => change(m, { role: role.value }, `${m.name} is now ${roleName(role.value)}`));
        return h('tr', { class: m.active ? '' : 'row-muted' },
          h('td', { class: 'strong' }, m.name, m.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
          h('td', {}, m.email),
          h('td', {}, role),
          h('td', { class: 'hide-sm' }, formatInstant(m.created_at)),
          h('td', {}, h('span', { class: `badge ${m.active ? 'badge-active' : 'badge-archived'}` }, m.active ? 'Active' : 'Deactivated')),
          h('td', { class: 'row-actions' },
            h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => resetPassword(m) }, 'Reset password'),
            m.id === me.id ? null : m.active
              ? h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => { if (confirm(`Deactivate ${m.name}? They are signed out everywhere at once.`)) change(m, { active: false }, `${m.name} deactivated`); } }, 'Deactivate')
              : h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => change(m, { active: true }, `${m.name} reactivated`) }, 'Reactivate')));
      })));
  }

  async function resetPassword(member) {
    const password = prompt(`New password for ${member.name} (at least 12 characters). They will be signed out everywhere.`);
    if (!password) return;
    try {
      await patch(`/staff/${member.id}`, { password });
      toast(`Password for ${member.name} changed`, 'success');
    } catch (error) {
      toast(error.details?.fields?.password ? `Password ${error.details.fields.password}` : error.message, 'error');
    }
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
    form);
}
