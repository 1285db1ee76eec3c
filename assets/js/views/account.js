// One's own account: name and email, password, two-step sign-in and the
// places one is signed in.
import { get, post, patch, del, query } from '../api.js';
import { feedLink } from './setup/feed.js';
import { h, field, showFieldErrors, clearFieldErrors, formatInstant, toast } from '../dom.js';
import { currentUser, mfaState, refreshedMe, navigate } from '../session.js';

function banner(kind, text) {
  return h('div', { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

function profileCard() {
  const user = currentUser();
  const inputs = {
    name: h('input', { name: 'name', value: user.name, autocomplete: 'name', dataset: { field: 'name' } }),
    email: h('input', { name: 'email', type: 'email', value: user.email, autocomplete: 'username', dataset: { field: 'email' } }),
    current_password: h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', dataset: { field: 'current_password' } }),
  };
  const form = h('form', {
    class: 'card stack',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const body = {};
      if (inputs.name.value.trim() !== user.name) body.name = inputs.name.value;
      if (inputs.email.value.trim().toLowerCase() !== user.email) {
        body.email = inputs.email.value;
        body.current_password = inputs.current_password.value;
      }
      if (!Object.keys(body).length) return toast('Nothing to save', 'info');
      try {
        refreshedMe(await patch('/auth/me', body));
        toast('Your details are saved', 'success');
        navigate('/account', { replace: true });
      } catch (error) {
        if (!showFieldErrors(form, error)) toast(error.message, 'error');
      }
    },
  },
  h('h2', {}, 'Your details'),
  field('Name', inputs.name),
  field('Email', inputs.email, 'You sign in with it.'),
  field('Current password', inputs.current_password, 'Needed only to change the email.'),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save details')));
  return form;
}

function passwordCard() {
  const inputs = {
    current_password: h('input', { type: 'password', autocomplete: 'current-password', dataset: { field: 'current_password' } }),
    new_password: h('input', { type: 'password', autocomplete: 'new-password', minlength: 12, maxlength: 128, dataset: { field: 'new_password' } }),
  };
  const form = h('form', {
    class: 'card stack',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      try {
        await post('/auth/me/password', { current_password: inputs.current_password.value, new_password: inputs.new_password.value });
        form.reset();
        toast('Password changed. Your other sign-ins have ended.', 'success');
        navigate('/account', { replace: true });
      } catch (error) {
        if (!showFieldErrors(form, error)) toast(error.message, 'error');
      }
    },
  },
  h('h2', {}, 'Password'),
  field('Current password', inputs.current_password),
  field('New password', inputs.new_password, 'At least 12 characters, not a common one and not your name or email. A few unrelated words work well.'),
  h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Change password')));
  return form;
}

function recoveryList(codes) {
  return h('div', { class: 'stack' },
    banner('warning', 'Save these recovery codes somewhere safe, away from your phone. Each one signs you in once if you lose the app. They are shown only now.'),
    h('ol', { class: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))));
}

async function mfaCard() {
  const card = h('section', { class: 'card stack', id: 'mfa' });
  let status;
  try {
    status = await get('/auth/mfa');
  } catch (error) {
    card.append(banner('error', error.message));
    return card;
  }
  const head = h('h2', {}, 'Two-step sign-in');
  if (!status.enabled) {
    const start = h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
      try {
        card.replaceChildren(head, enrolment(await post('/auth/mfa/totp', {})));
      } catch (error) {
        toast(error.message, 'error');
      }
    } }, 'Set up two-step sign-in');
    card.append(head,
      status.required ? banner('warning', 'The clinic requires two-step sign-in for your role. Set it up to continue working.') : null,
      h('p', {}, 'After your password, Clinicbox asks for a six-digit code from an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or 1Password). Someone who learns your password still cannot sign in.'),
      h('div', { class: 'form-actions' }, start));
    return card;
  }
  const password = h('input', { type: 'password', autocomplete: 'current-password', dataset: { field: 'current_password' } });
  const code = h('input', { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, dataset: { field: 'code' } });
  const offForm = h('form', { class: 'stack', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    try {
      await post('/auth/mfa/totp/disable', { current_password: password.value });
      toast('Two-step sign-in is off', 'success');
      refreshedMe(await get('/auth/me'));
      navigate('/account', { replace: true });
    } catch (error) {
      if (!showFieldErrors(offForm, error)) toast(error.message, 'error');
    }
  } }, field('Current password', password), h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-ghost', type: 'submit' }, 'Turn off')));
  const renewForm = h('form', { class: 'stack', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    try {
      const { recovery_codes: codes } = await post('/auth/mfa/recovery-codes', { code: code.value.trim() });
      renewForm.replaceWith(recoveryList(codes));
    } catch (error) {
      if (!showFieldErrors(renewForm, error)) toast(error.message, 'error');
    }
  } }, field('Code from the app', code), h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-ghost', type: 'submit' }, 'New recovery codes')));
  card.append(head,
    h('p', {}, h('span', { class: 'badge badge-active' }, 'On'), ` ${status.recovery_codes_left} recovery code(s) left.`),
    h('div', { class: 'grid' },
      h('div', {}, h('h3', {}, 'Recovery codes'), renewForm),
      status.required ? h('p', { class: 'muted' }, 'Required for your role: it cannot be turned off.') : h('div', {}, h('h3', {}, 'Turn off'), offForm)));
  return card;
}

function enrolment(started) {
  const code = h('input', { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, autofocus: true, dataset: { field: 'code' } });
  const qr = h('div', { class: 'qr', role: 'img', 'aria-label': 'QR code to scan with the authenticator app' });
  // The server draws the QR code from the otpauth URI: markup of ours, not user text.
  qr.innerHTML = started.qr_svg;
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      const { recovery_codes: codes } = await post('/auth/mfa/totp/confirm', { code: code.value.trim() });
      refreshedMe(await get('/auth/me'));
      form.replaceWith(h('div', { class: 'stack' }, banner('success', 'Two-step sign-in is on.'), recoveryList(codes),
        h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: () => navigate('/account', { replace: true }) }, 'I have saved them'))));
    } catch (error) {
      if (!showFieldErrors(form, error)) toast(error.message, 'error');
    }
  } },
  h('ol', { class: 'steps' },
    h('li', {}, 'Open the authenticator app on your phone and add an account.'),
    h('li', {}, 'Scan this code, or type the key below.'),
    h('li', {}, 'Enter the six-digit code the app shows.')),
  h('div', { class: 'enrol' }, qr, h('div', { class: 'stack' },
    h('p', { class: 'muted' }, 'Key'), h('code', { class: 'secret' }, started.secret.replace(/(.{4})/g, '$1 ').trim()),
    field('Code from the app', code),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Turn on')))));
  return form;
}

async function sessionsCard() {
  const card = h('section', { class: 'card' });
  async function load() {
    try {
      const { data } = await get(`/auth/sessions${query({ page_size: 50 })}`);
      card.replaceChildren(h('h2', {}, 'Where you are signed in'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Device'), h('th', { class: 'hide-sm' }, 'Address'), h('th', {}, 'Last used'), h('th', { class: 'hide-sm' }, 'Signed in'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
          h('tbody', {}, data.map((s) => h('tr', {},
            h('td', {}, s.kind === 'browser' ? 'Browser' : 'Integration', s.user_agent ? h('small', { class: 'muted agent', title: s.user_agent }, s.user_agent) : null),
            h('td', { class: 'hide-sm' }, s.client_addr || '—'),
            h('td', {}, s.current ? h('span', { class: 'badge badge-active' }, 'This one') : formatInstant(s.last_used_at)),
            h('td', { class: 'hide-sm' }, formatInstant(s.created_at)),
            h('td', { class: 'row-actions' }, s.current ? null : h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: async () => {
              try {
                await del(`/auth/sessions/${s.id}`);
                toast('Signed out there', 'success');
                load();
              } catch (error) {
                toast(error.message, 'error');
              }
            } }, 'Sign out'))))))));
    } catch (error) {
      card.replaceChildren(banner('error', error.message));
    }
  }
  await load();
  return card;
}

/** For a clinician who signs in: their own calendar feed. */
async function myCalendarCard() {
  const clinicians = await get('/clinicians?page_size=100').then((r) => r.data).catch(() => []);
  const me = clinicians.find((c) => c.staff_id === currentUser().id);
  if (!me) return null;
  return h('div', { class: 'card' }, h('h2', {}, 'Your calendar feed'),
    h('p', {}, `Your appointments as ${me.display_name}, in your phone’s or computer’s calendar.`), await feedLink(me));
}

export async function accountView() {
  const mfa = mfaState();
  return h('section', { class: 'page account-page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Your account'), h('p', { class: 'muted' }, currentUser().email))),
    mfa.mustEnrol ? banner('warning', 'Your role must use two-step sign-in. Set it up below; until then the rest of Clinicbox is closed to you.') : null,
    await mfaCard(),
    mfa.mustEnrol ? null : h('div', { class: 'cards' }, profileCard(), passwordCard()),
    mfa.mustEnrol ? null : await myCalendarCard(),
    mfa.mustEnrol ? null : await sessionsCard());
}
