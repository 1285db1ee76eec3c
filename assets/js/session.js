// Who is signed in, what they may do (from the API's permission table),
// and navigation. Views import this, never app.js.
import { setCsrf } from './api.js';
import { startLive, stopLive } from './live.js';

const state = { user: null, actions: new Set(), mfa: { enabled: false, required: false, mustEnrol: false }, clinic: null };
let renderer = () => {};

export function currentUser() {
  return state.user;
}

/** Whether the signed-in person may take `action`, e.g. `patient_write`. */
export function can(action) {
  return state.actions.has(action);
}

/** Two-step sign-in: on, required for the role, and whether it must be set up first. */
export function mfaState() {
  return state.mfa;
}

export function signedIn(session) {
  state.user = session.user;
  state.actions = new Set(session.allowed_actions || []);
  state.mfa = { enabled: !!session.mfa_enabled, required: !!session.mfa_required, mustEnrol: !!session.mfa_enrolment_required };
  if (session.csrf_token) setCsrf(session.csrf_token);
  // Live updates follow the sign-in (not before two-step sign-in is set up: the server refuses).
  if (state.mfa.mustEnrol) stopLive(); else startLive();
}

/** After a change to one's own account (`/auth/me`): keep the CSRF token. */
export function refreshedMe(me) {
  signedIn({ ...me, user: me });
}

/** The clinic's profile (name, logo, currency…), read after sign-in. */
export function clinicProfile() {
  return state.clinic;
}

export function setClinicProfile(profile) {
  state.clinic = profile;
  document.title = profile?.name ? `${profile.name} · Clinicbox` : 'Clinicbox';
}

export function signedOut() {
  state.user = null;
  state.actions = new Set();
  setCsrf(null);
  stopLive();
}

/** app.js hands over how to draw the current route. */
export function onNavigate(render) {
  renderer = render;
}

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  renderer();
}
