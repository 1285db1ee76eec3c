// API keys for integrators: issued here, shown once, revocable.
import { get, post, del, query } from '../api.js';
import { h, ask, field, showFieldErrors, clearFieldErrors, formatInstant, toast } from '../dom.js';

const ROLES = [
  ['front_desk', 'Front desk'],
  ['clinician', 'Clinician'],
  ['billing', 'Billing'],
  ['manager', 'Manager'],
  ['admin', 'Administrator'],
];
const roleName = (role) => ROLES.find(([v]) => v === role)?.[1] || role;

export async function apiKeysView() {
  const list = h('div', { class: 'results' });
  const shown = h('div');

  async function load() {
    try {
      const { data } = await get(`/api-keys${query({ page_size: 100 })}`);
      list.replaceChildren(data.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', { class: 'hide-sm' }, 'Key'), h('th', {}, 'Last used'), h('th', { class: 'hide-sm' }, 'Expires'), h('th', {}, 'Status'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, data.map((k) => h('tr', { class: k.active ? '' : 'row-muted' },
          h('td', { class: 'strong' }, k.name),
          h('td', {}, roleName(k.role)),
          h('td', { class: 'hide-sm' }, h('code', {}, `${k.key_prefix}…`)),
          h('td', {}, k.last_used_at ? formatInstant(k.last_used_at) : 'Never', k.last_used_addr ? h('small', { class: 'muted block' }, k.last_used_addr) : null),
          h('td', { class: 'hide-sm' }, k.expires_at ? formatInstant(k.expires_at) : 'No expiry'),
          h('td', {}, h('span', { class: `badge ${k.active ? 'badge-active' : 'badge-archived'}` }, k.revoked_at ? 'Revoked' : k.active ? 'Active' : 'Expired')),
          h('td', { class: 'row-actions' }, k.revoked_at ? null : h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: async () => {
            const agreed = await ask({ title: `Revoke “${k.name}”?`, text: 'Anything using it stops working at once.', yes: 'Revoke key', danger: true });
            if (!agreed) return;
            try {
              await del(`/api-keys/${k.id}`);
              toast(`“${k.name}” revoked`, 'success');
              load();
            } catch (error) {
              toast(error.message, 'error');
            }
          } }, 'Revoke'))))))) : h('p', { class: 'muted' }, 'No API keys yet.'));
    } catch (error) {
      list.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    }
  }

  const inputs = {
    name: h('input', { name: 'name', dataset: { field: 'name' }, required: true, autocomplete: 'off', placeholder: 'e.g. Accounting export' }),
    role: h('select', { name: 'role', dataset: { field: 'role' } }, ROLES.map(([v, label]) => h('option', { value: v }, label))),
    expires: h('input', { name: 'expires_at', type: 'date', dataset: { field: 'expires_at' } }),
  };
  const form = h('form', {
    class: 'card form-inline',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const body = { name: inputs.name.value, role: inputs.role.value };
      if (inputs.expires.value) body.expires_at = new Date(`${inputs.expires.value}T23:59:59`).toISOString();
      try {
        const created = await post('/api-keys', body);
        form.reset();
        shown.replaceChildren(h('div', { class: 'banner banner-success', role: 'status' },
          h('p', {}, h('strong', {}, `Key for “${created.name}”. `), 'Copy it now: it is shown only this once.'),
          h('code', { class: 'secret', tabindex: 0 }, created.key)));
        load();
      } catch (error) {
        if (!showFieldErrors(form, error)) toast(error.message, 'error');
      }
    },
  },
  h('h2', {}, 'Issue a key'),
  h('div', { class: 'grid' }, field('Name', inputs.name), field('Role', inputs.role, 'The key may do what this role may.'), field('Expires', inputs.expires, 'Optional.')),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Issue key')));

  load();
  return h('section', { class: 'page account-page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'API keys'), h('p', { class: 'muted' }, 'For other systems that use Clinicbox. Send a key as “Authorization: Bearer …”; everything it does is in the audit log under its name.'))),
    shown, list, form);
}
