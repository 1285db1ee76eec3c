import { get, post } from '../api.js';
import { h, field, showFieldErrors, clearFieldErrors } from '../dom.js';
import { signedIn, currentUser } from '../session.js';

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

export async function loginView({ query, navigate }) {
  if (currentUser()) {
    navigate('/patients', { replace: true });
    return h('div');
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
        await signedIn(session);
        const next = query.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/patients', { replace: true });
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
  return authCard('Sign in', 'Welcome back. Sign in with your staff account.', form);
}

export async function setupView({ query, navigate }) {
  const token = query.get('token') || '';
  let status = { needs_setup: true };
  try {
    status = await get('/setup');
  } catch {
    /* show the form; the server will answer on submit */
  }
  if (!status.needs_setup) {
    return authCard('Already set up', 'This clinic already has an administrator.',
      h('a', { class: 'btn btn-primary btn-block', href: '/login', dataset: { link: '' } }, 'Go to sign in'));
  }
  if (!token) {
    return authCard('Set up Clinicbox', null,
      banner('warning', 'Open the setup link that the server printed when it started. It contains a one-time token.'));
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
