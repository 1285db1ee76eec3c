import { get, post } from '../api.js';
import { h, field, showFieldErrors, clearFieldErrors } from '../dom.js';
import { signedIn, currentUser, setClinicProfile } from '../session.js';
import { centreZones } from '../zone.js';

function authCard(title, lead, form) {
  return h('div', { class: 'auth' },
    h('div', { class: 'auth-card' },
      h('div', { class: 'auth-brand' }, h('img', { src: '/favicon.svg', alt: '', width: 40, height: 40 }), h('span', {}, 'Clinicbox')),
      h('h1', {}, title),
      lead ? h('p', { class: 'lead' }, lead) : null,
      form));
}

function banner(kind, text) {
  return h('div', { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const SETUP_HELP = 'When Clinicbox starts, it prints a setup link in the window or the service log where it runs '
  + '(for a service: journalctl -u clinicbox). Restarting it prints the same link again until it is used.';

export async function loginView({ query, navigate }) {
  if (currentUser()) {
    navigate('/patients', { replace: true });
    return h('div');
  }
  const setup = await get('/setup').catch(() => null);
  if (setup?.needs_setup) {
    return authCard('Clinicbox is not set up yet', 'The first administrator has to be created with the setup link.',
      banner('warning', SETUP_HELP));
  }
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, autofocus: true, value: query.get('email') || '' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { class: 'form-message' });
  if (query.get('welcome')) message.append(banner('success', 'Your administrator account is ready. Sign in to continue.'));
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Sign in');
  const form = h('form', {
    class: 'stack',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      submit.disabled = true;
      submit.textContent = 'Signing in…';
      try {
        const session = await post('/auth/session', { email: email.value, password: password.value });
        if (session.mfa_required) {
          card.replaceWith(mfaStep(session.mfa_token, done));
          return;
        }
        done(session);
      } catch (error) {
        let text = error.message;
        if (error.code === 'INVALID_CREDENTIALS') text = 'That email and password do not match an active account.';
        if (error.status === 429) text = `Too many attempts. Try again in ${Math.ceil((error.retryAfter || 60) / 60)} minute(s).`;
        message.append(banner('error', text));
        password.select();
      } finally {
        submit.disabled = false;
        submit.textContent = 'Sign in';
      }
    },
  }, message, field('Email', email), field('Password', password), submit);
  async function done(session) {
    signedIn(session);
    const [profile] = await Promise.all([get('/settings/clinic').catch(() => null), centreZones(get)]);
    setClinicProfile(profile);
    const next = query.get('next');
    const target = session.mfa_enrolment_required ? '/account' : next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
    navigate(target, { replace: true });
  }
  const card = authCard('Sign in', 'Welcome back. Sign in with your staff account.', form);
  return card;
}

/** The second step: a code from the authenticator app, or a recovery code. */
function mfaStep(token, done) {
  let recovery = false;
  const input = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, autofocus: true, maxlength: 6, pattern: '[0-9]*', dataset: { field: 'code' } });
  const label = h('span', {}, 'Code from your authenticator app');
  const message = h('div', { class: 'form-message' });
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Verify');
  const toggle = h('button', { class: 'btn btn-ghost btn-block', type: 'button', onclick: () => {
    recovery = !recovery;
    label.textContent = recovery ? 'Recovery code' : 'Code from your authenticator app';
    input.value = '';
    input.maxLength = recovery ? 24 : 6;
    input.inputMode = recovery ? 'text' : 'numeric';
    input.removeAttribute('pattern');
    toggle.textContent = recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead';
    input.focus();
  } }, 'Use a recovery code instead');
  const form = h('form', {
    class: 'stack',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      submit.disabled = true;
      try {
        const body = recovery ? { mfa_token: token, recovery_code: input.value } : { mfa_token: token, code: input.value.trim() };
        done(await post('/auth/session/mfa', body));
      } catch (error) {
        let text = error.message;
        if (error.code === 'INVALID_MFA_CODE') text = error.message.includes('sign in again')
          ? 'This sign-in has expired. Go back and sign in again.'
          : 'That code is not right. Enter the code the app shows now.';
        if (error.status === 429) text = `Too many attempts. Try again in ${Math.ceil((error.retryAfter || 60) / 60)} minute(s).`;
        message.append(banner('error', text));
        input.select();
      } finally {
        submit.disabled = false;
      }
    },
  }, message, h('div', { class: 'field' }, h('label', { for: 'mfa-code', dataset: { name: 'Code' } }, label), Object.assign(input, { id: 'mfa-code' })), submit, toggle,
  h('a', { class: 'btn btn-ghost btn-block', href: '/login', dataset: { link: '' } }, 'Back'));
  return authCard('Two-step sign-in', 'Open your authenticator app and enter the six-digit code for Clinicbox.', form);
}

export async function setupView({ query, navigate }) {
  const token = query.get('token') || '';
  let status = { needs_setup: true };
  try {
    status = await get(`/setup${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  } catch {
    /* show the form; the server will answer on submit */
  }
  if (!status.needs_setup) {
    return authCard('Already set up', 'This clinic already has an administrator.',
      h('a', { class: 'btn btn-primary btn-block', href: '/login', dataset: { link: '' } }, 'Go to sign in'));
  }
  if (!token) {
    return authCard('Set up Clinicbox', null, banner('warning', `Open the setup link. ${SETUP_HELP}`));
  }
  if (status.token_valid === false) {
    return authCard('This setup link is no longer valid', null,
      banner('error', `It is not the current one. ${SETUP_HELP}`));
  }
  const inputs = {
    name: h('input', { name: 'name', autocomplete: 'name', required: true, autofocus: true, dataset: { field: 'name' } }),
    email: h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, dataset: { field: 'email' } }),
    password: h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 128, dataset: { field: 'password' } }),
  };
  const message = h('div', { class: 'form-message' });
  const form = h('form', {
    class: 'stack',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      message.replaceChildren();
      clearFieldErrors(form);
      try {
        await post('/setup', { token, name: inputs.name.value, email: inputs.email.value, password: inputs.password.value });
        navigate(`/login?welcome=1&email=${encodeURIComponent(inputs.email.value.trim())}`, { replace: true });
      } catch (error) {
        if (!showFieldErrors(form, error)) message.append(banner('error', error.message));
      }
    },
  },
  message,
  field('Your name', inputs.name),
  field('Email', inputs.email),
  field('Password', inputs.password, 'At least 12 characters. A few unrelated words make a strong one.'),
  h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Create administrator'));
  return authCard('Set up Clinicbox', 'Create the first administrator account for this clinic.', form);
}
