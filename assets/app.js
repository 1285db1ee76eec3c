// Clinicbox web UI: a client of the public API, no build step.
import { get, whenSignedOut, del } from './js/api.js';
import { h, mount, toast } from './js/dom.js';
import { loginView, setupView } from './js/views/auth.js';
import { manageView } from './js/views/manage.js';
import { patientListView, patientDetailView, patientFormView } from './js/views/patients.js';
import { clinicalTasks } from './js/views/tasks.js';
import { bell } from './js/bell.js';
import { staffView } from './js/views/staff.js';
import { duplicatesView } from './js/views/duplicates.js';
import { accountView } from './js/views/account.js';
import { apiKeysView } from './js/views/apikeys.js';
import { backupsView } from './js/views/backups.js';
import { calendarView } from './js/views/calendar.js';
import { daySheetView } from './js/views/daysheet.js';
import { clinicSetupView } from './js/views/setup.js';
import { checklistView, setupSteps, unfinished } from './js/views/welcome.js';
import { quickSearch } from './js/quicksearch.js';
import { centreZones } from './js/zone.js';
import { can, clinicProfile, currentUser, mfaState, navigate, onNavigate, setClinicProfile, signedIn, signedOut } from './js/session.js';

const routes = [
  { path: /^\/setup$/, view: setupView, public: true },
  { path: /^\/login$/, view: loginView, public: true },
  { path: /^\/manage\/([\w-]{1,100})$/, view: manageView, public: true },
  { path: /^\/$/, view: homeView },
  { path: /^\/patients$/, view: patientListView },
  { path: /^\/welcome$/, view: async () => checklistView(await setupSteps() || []), action: 'scheduling_setup' },
  { path: /^\/patients\/new$/, view: patientFormView },
  { path: /^\/patients\/duplicates$/, view: duplicatesView, action: 'patient_merge' },
  { path: /^\/patients\/(\d+)$/, view: patientDetailView },
  { path: /^\/patients\/(\d+)\/edit$/, view: patientFormView },
  { path: /^\/staff$/, view: staffView, action: 'staff_manage' },
  { path: /^\/api-keys$/, view: apiKeysView, action: 'staff_manage' },
  { path: /^\/account$/, view: accountView },
  { path: /^\/backups$/, view: backupsView, action: 'backup_manage' },
  { path: /^\/calendar$/, view: calendarView },
  { path: /^\/calendar\/day-sheet$/, view: daySheetView },
  { path: /^\/setup-clinic$/, view: clinicSetupView, action: 'scheduling_setup' },
];

/** Home: a clinic that cannot take a booking yet shows what to set up, in order. */
async function homeView(context) {
  const steps = await setupSteps();
  if (unfinished(steps)) return checklistView(steps);
  const view = await patientListView(context);
  // A clinician's own to-do comes first, under the page's title.
  const tasks = clinicalTasks();
  if (tasks) view.querySelector('.page-head')?.after(tasks);
  return view;
}

async function loadSession() {
  try {
    signedIn(await get('/auth/session'));
  } catch {
    signedOut();
    return;
  }
  const [profile] = await Promise.all([get('/settings/clinic').catch(() => null), centreZones(get)]);
  setClinicProfile(profile);
}

async function signOut() {
  try {
    await del('/auth/session');
  } catch {
    /* already signed out */
  }
  signedOut();
  navigate('/login');
}

function navLink(href, label, key) {
  const active = location.pathname === href || (href !== '/' && location.pathname.startsWith(href));
  return h('a', { href, class: active ? 'nav-link active' : 'nav-link', 'aria-current': active ? 'page' : null, 'aria-keyshortcuts': key, dataset: { link: '' } }, label);
}

function shell(content) {
  const user = currentUser();
  const clinic = clinicProfile();
  const brandName = clinic?.name || 'Clinicbox';
  return h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('a', { href: '/patients', class: 'brand', 'aria-label': brandName, dataset: { link: '' } },
        h('img', { src: clinic?.logo_url || '/favicon.svg', alt: '', height: 28, class: 'brand-logo' }), h('span', { class: 'brand-name' }, brandName)),
      h('nav', { class: 'nav', 'aria-label': 'Main' },
        navLink('/calendar', 'Calendar'),
        navLink('/patients', 'Patients'),
        can('staff_manage') ? navLink('/staff', 'Staff') : null,
        can('staff_manage') ? navLink('/api-keys', 'API keys') : null,
        can('backup_manage') ? navLink('/backups', 'Backups') : null,
        can('scheduling_setup') ? navLink('/setup-clinic', 'Clinic setup') : null,
        h('a', { href: '/api/docs', class: 'nav-link', target: '_blank', rel: 'noopener' }, 'API docs')),
      quickSearch(navigate),
      bell(),
      h('div', { class: 'account' },
        h('a', { href: '/account', class: 'account-name', dataset: { link: '' }, title: `${user.name}, ${user.role.replace('_', ' ')}: your account`, 'aria-label': `Your account: ${user.name}` },
          h('span', { class: 'initials', 'aria-hidden': 'true' }, initials(user.name)),
          h('span', { class: 'who' }, h('span', {}, user.name), h('small', {}, user.role.replace('_', ' ')))),
        h('button', { class: 'btn btn-ghost', type: 'button', onclick: signOut }, 'Sign out'))),
    mfaNudge(),
    h('main', { id: 'main', class: 'main', tabindex: '-1' }, content));
}

const initials = (name) => name.split(/\s+/).filter(Boolean).map((w) => w[0]).slice(0, 2).join('').toUpperCase();

/** Administrators are asked to turn on two-step sign-in until they do. */
function mfaNudge() {
  const mfa = mfaState();
  if (mfa.enabled || mfa.mustEnrol || currentUser().role !== 'admin' || location.pathname === '/account') return null;
  return h('div', { class: 'nudge', role: 'status' },
    'Protect the clinic: turn on two-step sign-in for your administrator account. ',
    h('a', { href: '/account#mfa', dataset: { link: '' } }, 'Set it up'));
}

async function render() {
  const path = location.pathname;
  const route = routes.find((r) => r.path.test(path));
  const app = document.getElementById('app');
  if (!route) {
    mount(app, currentUser() ? shell(notFound()) : notFound());
    return;
  }
  if (!route.public && !currentUser()) {
    navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return;
  }
  if (mfaState().mustEnrol && path !== '/account') {
    navigate('/account', { replace: true });
    return;
  }
  if (route.action && !can(route.action)) {
    mount(app, shell(h('section', { class: 'page' }, h('h1', {}, 'Not available'), h('p', {}, 'Your role does not include this page.'))));
    return;
  }
  const params = path.match(route.path).slice(1);
  const view = await route.view({ params, query: new URLSearchParams(location.search), navigate });
  mount(app, route.public ? view : shell(view));
  const focusTarget = app.querySelector('[autofocus]') || app.querySelector('main');
  focusTarget?.focus();
}

function notFound() {
  return h('section', { class: 'page' }, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/patients', dataset: { link: '' } }, 'Go to patients')));
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});

// Keyboard: Ctrl+K finds anyone; "/" searches the list and "n" starts a
// new patient, outside text fields.
document.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k' && currentUser()) {
    event.preventDefault();
    document.getElementById('quick-search')?.focus();
    return;
  }
  const typing = event.target.closest('input, textarea, select, [contenteditable]');
  if (typing || event.metaKey || event.ctrlKey || event.altKey || !currentUser()) return;
  if (event.key === '/') {
    const search = document.getElementById('patient-search');
    if (search) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === 'n') {
    event.preventDefault();
    navigate('/patients/new');
  }
});

onNavigate(render);
window.addEventListener('popstate', render);
whenSignedOut(() => {
  if (currentUser()) toast('Your session has ended. Please sign in again.', 'warning');
  signedOut();
  if (location.pathname !== '/login') navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
});

await loadSession();
render();
