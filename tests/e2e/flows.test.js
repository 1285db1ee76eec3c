// The staff's main flow in headless Chromium against the real binary:
// first-admin setup → sign in → register a patient → find them → open them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { TOTP } from 'otpauth';
import { contrastProblems } from './contrast.js';
import { unlabelledControls } from './labels.js';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CLINICBOX_BIN || join(here, '../../target/debug/clinicbox');
const artifacts = join(here, 'artifacts');
const password = 'correct horse battery staple';

let server;
let browser;
let dataDir;
let setupUrl;

function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), 'clinicbox-e2e-'));
  server = spawn(binary, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, CLINICBOX_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server printed no setup link')), 20000);
    createInterface({ input: server.stdout }).on('line', (line) => {
      const match = line.match(/(http:\/\/\S+\/setup\?token=\w+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  setupUrl = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('setup, sign in, register a patient, find them and open their record', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(err.message));

  // Before setup, the front page says how to find the link; a wrong link says so at once.
  await page.goto(setupUrl.replace(/\/setup\?.*$/, '/'));
  await page.getByRole('heading', { name: 'Clinicbox is not set up yet' }).waitFor();
  await page.getByText(/Restarting it prints the same link again/).waitFor();
  await page.goto(setupUrl.replace(/token=\w+/, `token=${'0'.repeat(64)}`));
  await page.getByRole('heading', { name: 'This setup link is no longer valid' }).waitFor();

  // First-admin setup from the printed link.
  await page.goto(setupUrl);
  await page.getByRole('heading', { name: 'Set up Clinicbox' }).waitFor();
  await page.getByLabel('Your name').fill('Olivia Owner');
  await page.getByLabel('Email').fill('owner@clinic.test');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByText('Password must be at least 12 characters').waitFor();
  await page.getByLabel('Password').fill(password);
  await page.screenshot({ path: join(artifacts, '1-setup.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the first-setup page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the first-setup page');
  await page.getByRole('button', { name: 'Create administrator' }).click();

  // Sign in (the email is carried over).
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Email').inputValue(), 'owner@clinic.test');
  await page.getByLabel('Password').fill('wrong password entirely');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('do not match an active account').waitFor();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // An empty clinic lands on what to set up, in order, none of it done.
  await page.getByRole('heading', { name: 'Welcome to Clinicbox' }).waitFor();
  const steps = page.getByRole('list', { name: 'Setting up the clinic' }).getByRole('listitem');
  assert.deepEqual((await steps.allInnerTexts()).map((t) => t.split('\n')[1]),
    ['Add your centre', 'Add your clinicians', 'Add your services', 'Set working hours', 'Invite your staff']);
  assert.equal(await page.getByText('(to do)').count(), 5);
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the checklist');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the checklist');
  await page.getByRole('link', { name: 'Go to patients' }).click();
  await page.getByRole('heading', { name: 'Patients' }).waitFor();
  await page.getByText('No patients yet.').waitFor();

  // Register a patient with the keyboard shortcut; the API's field errors show inline.
  await page.keyboard.press('Escape');
  await page.keyboard.press('n');
  await page.getByRole('heading', { name: 'New patient' }).waitFor();
  await page.getByLabel('Given name').fill('Zoë');
  // Esc over typing asks before throwing it away.
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Discard what you typed?' }).getByRole('button', { name: 'Keep editing' }).click();
  assert.equal(await page.getByLabel('Given name').inputValue(), 'Zoë');
  await page.getByRole('heading', { name: 'New patient' }).waitFor();
  await page.getByLabel('Family name').fill('Okafor');
  await page.getByLabel('Date of birth').fill('1984-03-07');
  await page.getByLabel('Phone', { exact: true }).fill('07911 123456');
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.getByText('Email is not a valid email address').waitFor();
  assert.equal(await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.name), 'email', 'focus goes to the first invalid field');
  await page.screenshot({ path: join(artifacts, '2-form-errors.png'), fullPage: true });
  await page.getByLabel('Email', { exact: true }).fill('zoe@example.com');
  await page.getByLabel('Lead source').fill('Referral');
  await page.getByRole('button', { name: 'Register patient' }).click();

  // The record opens.
  await page.getByRole('heading', { name: /Zoë Okafor/ }).waitFor();
  // The phone reads as the clinic writes it, and calls on a tap.
  const call = page.getByRole('link', { name: 'Call 07911 123456' });
  assert.equal(await call.getAttribute('href'), 'tel:+447911123456');
  // The lead source is stored lower-case and shown as a label, the same on every page.
  await page.locator('dd', { hasText: /^Referral$/ }).waitFor();
  await page.screenshot({ path: join(artifacts, '3-detail.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the detail page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the detail page');

  // Search follows writes within a second; wait for it as any client would.
  for (let i = 0; i < 100; i += 1) {
    const found = await (await page.request.get(new URL('/api/v1/patients?q=okafor', page.url()).href)).json();
    if (found.pagination.total === 1) break;
    await page.waitForTimeout(50);
  }

  // Find them from the list by typing part of the phone number.
  await page.getByRole('link', { name: 'Patients', exact: true }).first().click();
  // The list focuses its search box; Escape leaves it and "/" comes back to it.
  await page.keyboard.press('Escape');
  await page.keyboard.press('/');
  await page.keyboard.type('07911 123');
  assert.equal(await page.locator('#patient-search').inputValue(), '07911 123');
  const row = page.getByRole('link', { name: 'Okafor, Zoë' });
  await row.waitFor();
  assert.equal(await page.getByText('null', { exact: true }).count(), 0);
  await page.screenshot({ path: join(artifacts, '4-list.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the list page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the list page');
  // On a phone the list and the top bar fit without sideways scrolling, and who is signed in stays in view.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll at 390');
  await page.getByRole('link', { name: 'Your account: Olivia Owner' }).waitFor();
  assert.equal(await page.locator('.initials').innerText(), 'OO');
  await page.screenshot({ path: join(artifacts, '4c-list-phone.png') });
  await page.setViewportSize({ width: 1280, height: 820 });
  await row.click();
  await page.getByRole('heading', { name: /Zoë Okafor/ }).waitFor();
  assert.match(page.url(), /\/patients\/\d+$/);

  // Ctrl+K finds her from anywhere, misspelt.
  await page.getByRole('link', { name: 'Patients', exact: true }).first().click();
  await page.keyboard.press('Control+k');
  await page.keyboard.type('okafr');
  await page.getByRole('option', { name: /Zoë Okafor/ }).waitFor();
  await page.screenshot({ path: join(artifacts, '4b-quick-search.png') });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Zoë Okafor/ }).waitFor();

  // A reload keeps the session and the route.
  await page.reload();
  await page.getByRole('heading', { name: /Zoë Okafor/ }).waitFor();

  // A tablet in portrait still shows the record.
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.screenshot({ path: join(artifacts, '5-tablet.png') });

  // Chromium logs every 4xx answer; the deliberate 401/422s above are not faults.
  assert.deepEqual(consoleErrors.filter((e) => !e.startsWith('Failed to load resource')), []);
});

async function signIn(context, email) {
  const page = await context.newPage();
  await page.goto(setupUrl.replace(/\/setup\?.*$/, '/login'));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Home is the patient list, or what is left to set up for a manager of an unfinished clinic.
  await page.getByRole('heading', { name: /^(Patients|Welcome to Clinicbox)$/ }).waitFor();
  return page;
}

/**
 * The owner's API, called from the test itself to arrange what a flow needs:
 * `call(method, path, body)` answers the JSON and fails the test on an error.
 */
async function ownerApi() {
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const { access_token: token } = await (await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  })).json();
  const call = async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return res.status === 204 ? null : res.json();
  };
  return { base, call };
}

test('an admin adds a staff member, who signs in without the admin pages', async () => {
  const admin = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  const page = await signIn(admin, 'owner@clinic.test');
  await page.getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Fatima Frontdesk');
  await page.getByLabel('Email').fill('owner@clinic.test');
  await page.getByLabel('Role', { exact: true }).selectOption('front_desk');
  await page.getByLabel('Initial password').fill(password);
  await page.getByRole('button', { name: 'Add staff member' }).click();
  await page.getByText('Email already in use').waitFor();
  await page.getByLabel('Email').fill('fatima@clinic.test');
  await page.getByRole('button', { name: 'Add staff member' }).click();
  await page.getByRole('cell', { name: 'fatima@clinic.test' }).waitFor();
  await page.screenshot({ path: join(artifacts, '6-staff.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the staff page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the staff page');

  const staff = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const desk = await signIn(staff, 'fatima@clinic.test');
  // What the page offers follows the allowed actions the API gives her role.
  for (const adminOnly of ['Staff', 'Backups', 'Clinic setup']) {
    assert.equal(await desk.getByRole('link', { name: adminOnly }).count(), 0, adminOnly);
  }
  await desk.getByRole('link', { name: /New patient/ }).waitFor();
  await desk.goto(setupUrl.replace(/\/setup\?.*$/, '/staff'));
  await desk.getByText('Your role does not include this page.').waitFor();

  // A role change, a new password and a deactivation are asked in the page, never in a browser prompt.
  const prompts = [];
  page.on('dialog', (d) => { prompts.push(d.message()); d.dismiss(); });
  const row = page.getByRole('row', { name: /Fatima Frontdesk/ });
  await row.getByLabel('Role of Fatima Frontdesk').selectOption('clinician');
  await page.getByRole('dialog').getByRole('heading', { name: 'Make Fatima Frontdesk Clinician?' }).waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Keep as it is' }).click();
  // The choice goes back once the dialog has closed.
  await page.waitForFunction(() => document.querySelector('[aria-label="Role of Fatima Frontdesk"]')?.value === 'front_desk');
  assert.equal(await row.getByLabel('Role of Fatima Frontdesk').inputValue(), 'front_desk', 'kept');
  await page.getByRole('row', { name: /Olivia Owner/ }).getByLabel('Role of Olivia Owner').selectOption('manager');
  await page.getByRole('dialog').getByText('This is your own account').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Keep as it is' }).click();
  await row.getByLabel('Role of Fatima Frontdesk').selectOption('billing');
  await page.getByRole('dialog').getByRole('button', { name: 'Change to Billing' }).click();
  await page.getByText('Fatima Frontdesk is now Billing').waitFor();
  await row.getByRole('button', { name: 'Reset password' }).click();
  await page.getByRole('dialog').getByLabel('New password').fill('short');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the password dialog');
  await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('dialog').getByText(/at least 12 characters/).first().waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.type), 'password', 'focus goes to the field to correct');
  await page.getByRole('dialog').getByLabel('New password').fill(`${password} again`);
  await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Password for Fatima Frontdesk changed').waitFor();

  // Deactivating her signs her out: her next request lands on sign-in.
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('row', { name: /Fatima Frontdesk/ }).getByText('Deactivated').waitFor();
  await desk.goto(setupUrl.replace(/\/setup\?.*$/, '/patients'));
  await desk.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The manager of the clinic takes a snapshot from the Backups page.
  await page.getByRole('link', { name: 'Backups' }).click();
  await page.getByRole('heading', { name: 'Backups' }).waitFor();
  await page.getByRole('button', { name: 'Take a snapshot now' }).click();
  await page.getByText(/taken and verified/).waitFor();
  await page.getByText('Latest').first().waitFor();
  await page.getByText('These snapshots are on the same disk as Clinicbox.').waitFor();
  // A snapshot downloads as one file for a copy kept elsewhere.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /^Download the snapshot of/ }).first().click(),
  ]);
  assert.match(download.suggestedFilename(), /^clinicbox-backup-\d{8}T\d{6}\.\d{3}Z\.tar$/);
  assert.equal(await download.failure(), null);
  await page.screenshot({ path: join(artifacts, '8-backups.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the backups page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the backups page');
  assert.deepEqual(prompts, []);
  await admin.close();
  await staff.close();
});

test('the API docs page renders offline under the content security policy', async () => {
  const page = await browser.newPage();
  const blocked = [];
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) blocked.push(msg.text()); });
  page.on('request', (req) => { if (!req.url().startsWith(setupUrl.replace(/\/setup\?.*$/, '')) && !req.url().startsWith('data:')) blocked.push(`outside request: ${req.url()}`); });
  await page.goto(setupUrl.replace(/\/setup\?.*$/, '/api/docs'));
  await page.getByText('Clinicbox API').first().waitFor();
  await page.getByText('/patients', { exact: true }).first().waitFor();
  await page.screenshot({ path: join(artifacts, '7-docs.png') });
  assert.deepEqual(blocked, []);
  await page.close();
});

test('set up the clinic and book from the calendar; a visit tomorrow is too early to check in', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });

  // Clinic setup through the UI, from the first step of the checklist.
  await page.getByRole('heading', { name: 'Welcome to Clinicbox' }).waitFor();
  await page.getByRole('link', { name: 'Next: add your centre' }).click();
  await page.getByRole('heading', { name: 'Clinic setup' }).waitFor();
  await page.getByLabel('Centre name').fill('Riverside');
  await page.getByLabel('Time zone').selectOption('Europe/London');
  await page.getByRole('button', { name: 'Add centre' }).click();
  await page.locator('#centres .setup-list').getByText('Europe/London').waitFor();

  await page.getByLabel('Clinician name').fill('Dr Ada Osei');
  await page.getByLabel('Specialties').fill('physiotherapy');
  await page.getByRole('button', { name: 'Add clinician' }).click();
  await page.getByText('No weekly hours yet').waitFor();

  // Weekly hours on tomorrow's weekday, 08:00–18:00; the row sums them up.
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const weekday = weekdays[tomorrow.getDay()];
  await page.getByRole('button', { name: 'Weekly hours' }).click();
  await page.getByRole('button', { name: `Add hours on ${weekday}` }).click();
  await page.getByLabel(`${weekday} from`).fill('08:00');
  await page.getByLabel(`${weekday} until`).fill('18:00');
  await page.getByRole('button', { name: 'Save hours' }).click();
  await page.getByText('Hours saved for Dr Ada Osei').waitFor();
  await page.locator('.hours-summary').getByText(`${weekday.slice(0, 3)} 08:00–18:00`).waitFor();

  await page.getByLabel('Service name').fill('Check-up');
  await page.getByLabel('Duration (minutes)').fill('30');
  await page.getByLabel('Price', { exact: true }).fill('45');
  await page.getByRole('button', { name: 'Add service' }).click();
  await page.locator('#services').getByText('Check-up', { exact: true }).waitFor();
  assert.equal(await page.getByText('null', { exact: true }).count(), 0);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
  await page.screenshot({ path: join(artifacts, '9-clinic-setup.png'), fullPage: true });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the setup page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the setup page');

  // The calendar for tomorrow, one column per clinician.
  const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
  await page.goto(new URL(`/calendar?date=${day}`, page.url()).href);
  await page.getByRole('button', { name: 'Book with Dr Ada Osei' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Book with Dr Ada Osei' }).waitFor();
  await dialog.getByLabel('Find patient').fill('okafor');
  await dialog.getByRole('button', { name: /Zoë Okafor/ }).click();
  await dialog.getByRole('button', { name: '10:00' }).click();
  await page.screenshot({ path: join(artifacts, '10-booking.png') });
  await dialog.getByRole('button', { name: 'Book', exact: true }).click();
  await page.getByText('Booked Zoë Okafor at 10:00').waitFor();

  // Booked by reception, it is confirmed; tomorrow is too early to check in.
  await page.getByRole('button', { name: /10:00 Zoë Okafor, Check-up, Confirmed/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Check in' }).click();
  await page.getByRole('dialog').getByText('Check-in opens 60 minutes before the start.').waitFor();
  await page.screenshot({ path: join(artifacts, '11-calendar.png') });

  // And it is on her record.
  await page.getByRole('dialog').getByRole('link', { name: 'Patient record' }).click();
  await page.getByRole('heading', { name: 'Appointments' }).waitFor();
  await page.getByText('Confirmed').first().waitFor();
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, [], 'no script errors and nothing blocked by the content security policy');
  await context.close();
});

test('reception books a walk-in now and sees it through, books from a patient page, moves by picking and by dragging, cancels with a reason, in the centre\'s zone', async () => {
  // The browser says Tokyo; the centre is in London, and so is every time shown.
  const context = await browser.newContext({ viewport: { width: 1366, height: 1300 }, timezoneId: 'Asia/Tokyo' });
  const page = await signIn(context, 'owner@clinic.test');
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;

  // A walk-in now: the clinician takes extra hours from a minute before the
  // current five minutes; reception books the slot in progress, past the
  // notice patients must give, then checks in and completes.
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const signedIn = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  });
  const { access_token: token } = await signedIn.json();
  const nowMs = Date.now();
  const londonParts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(nowMs)).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  const minutesToday = londonParts.hour * 60 + londonParts.minute;
  // Never before London's midnight: the walk-in is on today's calendar.
  const back = Math.min((minutesToday % 5) + 1, minutesToday);
  const opens = new Date(Math.floor(nowMs / 60000) * 60000 - back * 60000);
  const extra = await fetch(`${base}/api/v1/clinicians/1/extra-availability`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ start: opens.toISOString(), end: new Date(opens.getTime() + 3 * 3600000).toISOString(), centre_id: 1, reason: 'walk-ins' }),
  });
  assert.equal(extra.status, 201, await extra.text());
  const londonWall = (d) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  const walkIn = londonWall(opens);
  await page.goto(new URL('/calendar', page.url()).href);
  await page.getByRole('button', { name: 'New appointment' }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByLabel('Find patient').fill('okafor');
  await dialog.getByRole('button', { name: /Zoë Okafor/ }).click();
  await dialog.getByRole('button', { name: walkIn, exact: true }).click();
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the booking dialog');
  await dialog.getByRole('button', { name: 'Book', exact: true }).click();
  await dialog.getByText(`${walkIn} is inside the notice patients must give. Book it anyway?`).waitFor();
  await dialog.getByRole('button', { name: 'Book anyway' }).click();
  await page.getByText(`Booked Zoë Okafor at ${walkIn}`).waitFor();
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Zoë Okafor, Check-up, Confirmed`) }).click();
  await page.getByRole('dialog').getByText('History').click();
  await page.getByRole('dialog').getByText('Booked (inside the 60-minute notice)').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Check in' }).click();
  await page.getByText('Checked in', { exact: true }).first().waitFor();
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Zoë Okafor, Check-up, Checked in`) }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Complete' }).click();
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Zoë Okafor, Check-up, Completed`) }).waitFor();

  // "Book" on her page carries her into the first booking, and only that one.
  await page.getByRole('link', { name: 'Patients', exact: true }).click();
  await page.getByRole('link', { name: 'Okafor, Zoë' }).click();
  await page.getByRole('link', { name: 'Book', exact: true }).click();
  await page.getByText('Booking for Zoë Okafor').waitFor();
  assert.match(await page.getByText(/^All times in London time/).textContent(), /Europe\/London/);
  const londonToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
  assert.equal(await page.getByLabel('Go to date').inputValue(), londonToday, 'today is the centre\'s today');
  const london = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date()).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  const londonMinutes = london.hour * 60 + london.minute;
  if (londonMinutes >= 7 * 60 + 5 && londonMinutes < 20 * 60 - 5) {
    const line = await page.locator('.cal-now').first().boundingBox();
    const column = await page.getByRole('region', { name: 'Dr Ada Osei' }).boundingBox();
    assert.ok(Math.abs(line.y - column.y - (londonMinutes - 7 * 60) * 1.5) < 4, 'the now-line is at London\'s time');
  }
  await page.getByLabel('Go to date').fill(day);
  await page.getByLabel('Go to date').dispatchEvent('change');
  await page.getByRole('button', { name: 'Book with Dr Ada Osei' }).click();
  dialog = page.getByRole('dialog');
  assert.equal(await dialog.locator('#booking-patient').textContent(), 'Zoë Okafor');
  await dialog.getByRole('button', { name: '11:00' }).click();
  await dialog.getByRole('button', { name: 'Book', exact: true }).click();
  await page.getByText('Booked Zoë Okafor at 11:00').waitFor();
  await page.getByRole('button', { name: 'New appointment' }).click();
  assert.equal(await page.getByRole('dialog').locator('#booking-patient').textContent(), 'No patient chosen');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // A click on a time offers that very time when free (starts every 15 minutes), and
  // otherwise says it is not free and points to the nearest free times.
  const column = page.getByRole('region', { name: 'Dr Ada Osei' });
  // The grid starts at 07:00, or earlier when the day has earlier hours (walk-in hours past midnight).
  const top = Number((await page.locator('.cal-hour').first().textContent()).slice(0, 2));
  await column.click({ position: { x: 60, y: (12 - top) * 90 + 3 } });
  await page.getByRole('dialog').getByRole('button', { name: '12:00', pressed: true }).waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await column.click({ position: { x: 60, y: (9.75 - top) * 90 + 3 } });
  await page.getByRole('dialog').getByText('09:45 is not free for Check-up (30 min)').waitFor();
  await page.getByRole('dialog').getByText('Nearest free: 09:30 or 10:30.').waitFor();
  assert.equal(await page.getByRole('dialog').getByRole('button', { pressed: true }).count(), 0, 'nothing chosen for them');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // Staff bookings start confirmed or pending; either way it can be moved to a free time.
  await page.getByRole('button', { name: /^11:00 Zoë Okafor/ }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Reschedule' }).click();
  await dialog.getByRole('button', { name: '14:00' }).click();
  await dialog.getByRole('button', { name: 'Move here' }).click();
  await page.getByText(/Appointment moved to .*14:00/).waitFor();
  await page.getByRole('button', { name: /^14:00 Zoë Okafor/ }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByText('History').click();
  await dialog.getByText(/Moved from .*11:00 to .*14:00/).waitFor();
  await page.screenshot({ path: join(artifacts, '12-appointment-history.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();

  // Dragged to 15:00 (90 px an hour from 07:00; grabbed 5 px below its top).
  const card = page.getByRole('button', { name: /^14:00 Zoë Okafor/ });
  await card.dragTo(page.getByRole('region', { name: 'Dr Ada Osei' }), { sourcePosition: { x: 10, y: 5 }, targetPosition: { x: 20, y: (15 - top) * 90 + 5 } });
  await page.getByText('Appointment moved to 15:00').waitFor();
  await page.getByRole('button', { name: /^15:00 Zoë Okafor/ }).waitFor();

  // Cancelled with a reason picked in the page, not in a browser prompt.
  await page.getByRole('button', { name: /^15:00 Zoë Okafor/ }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Cancel appointment' }).click();
  await dialog.getByLabel('Patient unwell').check();
  await dialog.getByLabel('More about the reason').fill('flu');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the cancel dialog');
  await dialog.getByRole('button', { name: 'Keep appointment' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel appointment' }).click();
  await page.getByText('Appointment cancelled').waitFor();
  await page.getByRole('button', { name: /^15:00 Zoë Okafor, Check-up, Cancelled/ }).click();
  await page.getByRole('dialog').getByText('Reason: Patient unwell: flu').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  assert.deepEqual(dialogs, [], 'no browser prompt or confirm');

  // The week hides the days the clinician does not work (a toggle shows them), and closed hours are shaded.
  // The working day's block (walk-in hours may spill past midnight into this day too).
  // Measured again if a redraw replaced a block while it was being measured.
  let blocks = [];
  for (let tries = 0; tries < 10 && (!blocks.length || blocks.includes(null)); tries += 1) {
    blocks = await Promise.all((await page.getByRole('region', { name: 'Dr Ada Osei' }).locator('.cal-open').all()).map((b) => b.boundingBox()));
  }
  const open = blocks.reduce((a, b) => (b.height > a.height ? b : a));
  const columnBox = await page.getByRole('region', { name: 'Dr Ada Osei' }).boundingBox();
  assert.equal(Math.round(open.y - columnBox.y), (8 - top) * 90, 'open from 08:00');
  assert.equal(Math.round(open.height), 10 * 90, 'until 18:00');
  await page.screenshot({ path: join(artifacts, '14-calendar-day.png') });
  await page.getByRole('button', { name: 'Week' }).click();
  const toggle = page.getByRole('button', { name: /^Show closed days \(\d\)$/ });
  await toggle.waitFor();
  const hidden = Number((await toggle.textContent()).match(/\((\d)\)/)[1]);
  assert.equal(await page.locator('.cal-col-head').count(), 7 - hidden);
  assert.ok(hidden >= 5, 'only the working day, and today with its walk-in, are shown');
  await page.screenshot({ path: join(artifacts, '15-calendar-week.png') });
  await toggle.click();
  await page.getByRole('button', { name: 'Hide closed days' }).waitFor();
  assert.equal(await page.locator('.cal-col-head').count(), 7);
  assert.equal(await page.locator('.cal-closed-label').count(), hidden, 'each day shown again is marked closed');
  await page.getByRole('button', { name: 'Day', exact: true }).click();

  // A printable day sheet for the clinician: the live appointments, without the app around them.
  await page.getByRole('link', { name: `Day sheet of Dr Ada Osei for ${day}` }).click();
  await page.getByRole('heading', { name: /^Dr Ada Osei: / }).waitFor();
  await page.getByText(/· 1 appointment$/).waitFor();
  await page.getByRole('cell', { name: '10:00–10:30' }).waitFor();
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.topbar').isVisible(), false, 'printed without the top bar');
  assert.equal(await page.getByText('Protect the clinic').isVisible(), false, 'or the two-step reminder');
  assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), false);
  await page.screenshot({ path: join(artifacts, '16-day-sheet-print.png') });
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('link', { name: 'Back to the calendar' }).click();
  await page.getByRole('button', { name: 'Book with Dr Ada Osei' }).waitFor();

  // On a phone, every button of a live appointment's dialog is on screen.
  await page.getByRole('button', { name: 'Book with Dr Ada Osei' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByLabel('Find patient').fill('okafor');
  await dialog.getByRole('button', { name: /Zoë Okafor/ }).click();
  await dialog.getByRole('button', { name: '16:00' }).click();
  await dialog.getByRole('button', { name: 'Book', exact: true }).click();
  await page.getByText('Booked Zoë Okafor at 16:00').waitFor();
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(new URL(`/calendar?date=${day}`, page.url()).href);
  await phone.getByRole('button', { name: /^16:00 Zoë Okafor/ }).click();
  await phone.getByRole('dialog').getByRole('button', { name: 'Cancel appointment' }).waitFor();
  for (const button of await phone.getByRole('dialog').getByRole('button').all()) {
    const box = await button.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `${await button.textContent()} fits the width`);
  }
  await phone.screenshot({ path: join(artifacts, '13-appointment-phone.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an admin limits clinicians to their own patients and shares one with a clinician', async () => {
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const signedIn = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  });
  const { access_token: token } = await signedIn.json();
  const call = async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return res.status === 204 ? null : res.json();
  };
  const ben = await call('POST', '/staff', { email: 'ben@clinic.test', name: 'Ben Mensah', role: 'clinician', password });
  await call('POST', '/clinicians', { display_name: 'Dr Ben Mensah', staff_id: ben.id });
  await call('POST', '/patients', { given_name: 'Kofi', family_name: 'Boateng' });
  const { data: everyone } = await call('GET', '/patients?page_size=100');
  const zoe = everyone.find((p) => p.family_name === 'Okafor');

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  await page.getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByLabel('Clinicians see').selectOption('own');
  await page.getByRole('button', { name: 'Save security settings' }).click();
  await page.getByText('Security settings saved').waitFor();

  // Ben sees no one yet: he is booked with no one and nothing is shared.
  const clinicianContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const clinician = await signIn(clinicianContext, 'ben@clinic.test');
  await clinician.getByText(/No patients/).waitFor();

  await page.goto(`${base}/patients/${zoe.id}`);
  await page.getByRole('heading', { name: 'Shared with' }).waitFor();
  await page.getByText('Not shared with anyone.').waitFor();
  await page.getByLabel('Clinician to share with').selectOption({ label: 'Dr Ben Mensah' });
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.getByText('Shared with Dr Ben Mensah').waitFor();
  await page.getByRole('button', { name: 'Stop sharing with Dr Ben Mensah' }).waitFor();
  for (const width of [1366, 820, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifacts, `13-shared-with-${width}.png`), fullPage: true });
  }

  // Now he sees Zoë, and only her.
  await clinician.reload();
  await clinician.getByRole('link', { name: 'Okafor, Zoë' }).waitFor();
  assert.equal(await clinician.getByRole('link', { name: 'Boateng, Kofi' }).count(), 0);
  await clinician.screenshot({ path: join(artifacts, '14-clinician-own-patients.png') });

  await page.getByRole('button', { name: 'Stop sharing with Dr Ben Mensah' }).click();
  await page.getByText('Not shared with anyone.').waitFor();
  await clinician.goto(`${base}/patients/${zoe.id}`);
  await clinician.getByRole('heading', { name: 'Patient not found' }).waitFor();

  await call('PUT', '/settings/security', { mfa_required_roles: [], clinician_scope: 'all' });
  assert.deepEqual(errors, []);
  await context.close();
  await clinicianContext.close();
});

test('a manager keeps the clinic set up: hours copied from Monday, time off, edits and deactivation, a clinician who signs in opens on their own day', async () => {
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const { access_token: token } = await (await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  })).json();
  const nia = await (await fetch(`${base}/api/v1/staff`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'nia@clinic.test', name: 'Nia Adeyemi', role: 'clinician', password }),
  })).json();
  assert.ok(nia.id);

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  await page.getByRole('link', { name: 'Clinic setup' }).click();
  await page.getByRole('heading', { name: 'Clinic setup' }).waitFor();

  // The clinic's own details: its name then heads every page.
  await page.getByLabel('Clinic name').fill('Riverside Physio');
  await page.getByLabel('Tax number').fill('GB123456789');
  await page.locator('#clinic').getByLabel('Phone', { exact: true }).fill('020 7946 0000');
  await page.getByRole('button', { name: 'Save clinic details' }).click();
  await page.getByText('Clinic details saved').waitFor();
  await page.getByRole('link', { name: 'Riverside Physio' }).waitFor();
  assert.equal(await page.locator('#clinic').getByLabel('Phone', { exact: true }).inputValue(), '+442079460000');
  assert.equal(await page.title(), 'Riverside Physio · Clinicbox');
  // Markup dressed as a PNG is refused; a real PNG becomes the logo in the top bar.
  await page.locator('#logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('<svg onload="alert(1)"/>') });
  await page.getByText('The logo must be a PNG, JPEG or WebP image.').waitFor();
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await page.locator('#logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
  await page.getByText('Logo saved').waitFor();
  // The page redraws after the toast: wait for the top bar to carry the new logo.
  await page.locator('.brand-logo[src^="/api/v1/settings/clinic/logo?v="]').waitFor();
  assert.match(await page.locator('.brand-logo').getAttribute('src'), /^\/api\/v1\/settings\/clinic\/logo\?v=[0-9a-f]{16}$/);
  assert.ok(await page.locator('.brand-logo').evaluate((img) => img.complete && img.naturalWidth === 1), 'the logo loads');

  // A new clinician: Monday's hours copied to the other weekdays, summed up on one line.
  await page.getByLabel('Clinician name').fill('Dr Nia Adeyemi');
  await page.locator('#clinicians').getByLabel('Riverside').check();
  await page.getByRole('button', { name: 'Add clinician' }).click();
  const row = page.locator('.clinician-row', { hasText: 'Dr Nia Adeyemi' });
  await row.getByText('No weekly hours yet').waitFor();
  await row.getByRole('button', { name: 'Weekly hours' }).click();
  await row.getByRole('button', { name: 'Add hours on Monday' }).click();
  await row.getByLabel('Monday from').fill('09:00');
  await row.getByLabel('Monday until').fill('17:00');
  await row.getByRole('button', { name: 'Copy Monday to Tue–Fri' }).click();
  assert.equal(await row.getByLabel('Friday from').inputValue(), '09:00');
  assert.equal(await row.getByLabel('Saturday from').count(), 0, 'the weekend stays closed');
  await row.getByRole('button', { name: 'Save hours' }).click();
  await page.getByText('Hours saved for Dr Nia Adeyemi').waitFor();
  await row.locator('.hours-summary').getByText('Mon–Fri 09:00–17:00', { exact: true }).waitFor();
  // A block that ends before it starts is refused, named by its day.
  await row.getByLabel('Tuesday until').fill('08:00');
  await row.getByRole('button', { name: 'Save hours' }).click();
  await row.getByRole('alert').getByText(/^Tuesday 09:00–08:00/).waitFor();
  assert.equal(await row.getByLabel('Tuesday until').getAttribute('aria-invalid'), 'true');
  await row.getByLabel('Tuesday until').fill('17:00');

  // Time off, added for a whole day and removed again after asking.
  await row.getByRole('button', { name: 'Time off & extra' }).click();
  await row.getByLabel('Reason').first().fill('Training day');
  await row.getByRole('button', { name: 'Add time off' }).click();
  await page.getByText('Time off added').waitFor();
  await row.getByText('Training day', { exact: false }).waitFor();
  await row.getByRole('button', { name: /^Remove time off/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove time off' }).click();
  await page.getByText('Time off removed').waitFor();
  assert.equal(await row.getByText('Training day').count(), 0);

  // She signs in as herself: linked from the clinician's edit dialog.
  await row.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await edit.getByLabel('Signs in as').selectOption({ label: 'Nia Adeyemi (nia@clinic.test)' });
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the clinician dialog');
  const drawnBefore = await page.locator('#services').elementHandle();
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Dr Nia Adeyemi saved').waitFor();
  // The page redraws after a save: type into the new one, not the old.
  await page.waitForFunction((el) => !el.isConnected, drawnBefore);

  // A service is edited, then deactivated (asked first); it stays listed as inactive.
  await page.getByLabel('Service name').fill('Pilates class');
  await page.getByLabel('Seats').fill('4');
  await page.getByRole('button', { name: 'Add service' }).click();
  await page.getByRole('button', { name: 'Edit Pilates class' }).click();
  await page.getByRole('dialog').getByLabel('Service name').fill('Mat Pilates');
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await page.getByText('Mat Pilates saved').waitFor();
  await page.getByRole('button', { name: 'Edit Mat Pilates' }).click();
  await page.getByRole('dialog', { name: 'Edit Mat Pilates' }).getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('dialog', { name: 'Deactivate Mat Pilates?' }).getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Mat Pilates deactivated').waitFor();
  await page.locator('#services li', { hasText: 'Mat Pilates' }).getByText('Inactive').waitFor();
  for (const width of [1366, 820, 390]) {
    await page.setViewportSize({ width, height: 900 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scroll at ${width}`);
    await page.screenshot({ path: join(artifacts, `15-setup-${width}.png`), fullPage: true });
  }

  // Nia's calendar opens on her own day; the whole team is one click away.
  const niaContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const mine = await signIn(niaContext, 'nia@clinic.test');
  await mine.getByRole('link', { name: 'Calendar' }).click();
  await mine.getByRole('region', { name: 'Dr Nia Adeyemi' }).waitFor();
  assert.equal(await mine.getByRole('button', { name: 'My day' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await mine.getByRole('region', { name: 'Dr Ada Osei' }).count(), 0);
  await mine.getByRole('button', { name: 'Whole team' }).click();
  await mine.getByRole('region', { name: 'Dr Ada Osei' }).waitFor();
  // And her account page holds her calendar feed link, which she can replace.
  await mine.getByRole('link', { name: 'Your account: Nia Adeyemi' }).click();
  await mine.getByRole('heading', { name: 'Your calendar feed' }).waitFor();
  const before = await mine.getByLabel('Calendar feed link').inputValue();
  assert.match(before, /\/api\/v1\/calendar\/.+\.ics$/);
  await mine.getByRole('button', { name: 'Replace link' }).click();
  await mine.getByRole('dialog').getByRole('button', { name: 'Replace link' }).click();
  await mine.getByText('New calendar link made').waitFor();
  assert.notEqual(await mine.getByLabel('Calendar feed link').inputValue(), before);
  assert.equal((await fetch(before)).status, 404, 'the old link stops working');
  assert.deepEqual(errors, []);
  await niaContext.close();
  await context.close();
});

test('reception books a weekly series and sees what was skipped, then fills a group session and its waitlist', async () => {
  const { base, call } = await ownerApi();
  const isoDay = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(ms));
  const { data: services } = await call('GET', '/services?page_size=100');
  const checkUp = services.find((x) => x.name === 'Check-up');
  const { data: clinicians } = await call('GET', '/clinicians?page_size=100');
  const ada = clinicians.find((c) => c.display_name === 'Dr Ada Osei');
  // A week after tomorrow or a little later, on a weekday Dr Ada Osei works
  // (read from her hours, so a run across midnight finds the same day).
  const { data: hours } = await call('GET', `/clinicians/${ada.id}/availability`);
  const isoWeekday = (day) => ((new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const first = [8, 9, 10, 11, 12, 13, 14].map((n) => isoDay(Date.now() + n * 24 * 3600 * 1000))
    .find((day) => hours.some((r) => r.weekday === isoWeekday(day)));
  const third = isoDay(new Date(`${first}T12:00:00Z`).getTime() + 14 * 24 * 3600 * 1000);
  const slotAt = async (serviceId, date, time) => {
    const { data } = await call('GET', `/slots?service_id=${serviceId}&clinician_id=${ada.id}&from=${date}&to=${date}`);
    return data.find((x) => x.start.slice(11, 16) === time);
  };
  const ama = await call('POST', '/patients', { given_name: 'Ama', family_name: 'Mensah' });
  // The third week's 09:00 is already taken: that occurrence must be skipped.
  const taken = await slotAt(checkUp.id, third, '09:00');
  await call('POST', '/appointments', { patient_id: ama.id, service_id: checkUp.id, clinician_id: ada.id, start: taken.start, centre_id: taken.centre_id });

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  await page.goto(`${base}/calendar?date=${first}`);
  await page.getByRole('button', { name: 'Book with Dr Ada Osei' }).click();
  let dialog = page.getByRole('dialog', { name: 'Book with Dr Ada Osei' });
  await dialog.getByLabel('Find patient').fill('okafor');
  await dialog.getByRole('button', { name: /Zoë Okafor/ }).click();
  await dialog.getByLabel('Service').selectOption({ label: 'Check-up (30 min)' });
  await dialog.getByRole('button', { name: '09:00' }).click();
  await dialog.getByLabel('Notes').fill('Weekly rehab');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Discard what you typed?' }).getByRole('button', { name: 'Keep editing' }).click();
  assert.equal(await dialog.getByLabel('Notes').inputValue(), 'Weekly rehab', 'Esc kept the booking being typed');
  await dialog.getByLabel('Repeat').selectOption('Every week');
  await dialog.getByLabel('Number of appointments').fill('4');
  await dialog.getByRole('button', { name: 'Book series' }).click();
  const result = page.getByRole('dialog', { name: 'Series for Zoë Okafor' });
  await result.getByText('3 booked, 1 could not be booked:').waitFor();
  assert.equal(await result.locator('.occurrence-booked').count(), 3);
  assert.equal(await result.locator('.occurrence-skipped').count(), 1);
  await result.locator('.occurrence-skipped').getByText(/taken|booked|overlap/i).waitFor();
  await page.screenshot({ path: join(artifacts, '16-series.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the series page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the series page');
  await result.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: /^09:00 Zoë Okafor, Check-up/ }).waitFor();
  const { data: hers } = await call('GET', `/patients/${(await call('GET', '/patients?q=okafor')).data[0].id}/appointments?page_size=100`);
  assert.equal(hers.filter((x) => x.start.slice(11, 16) === '09:00' && x.start.slice(0, 10) >= first).length, 3, 'three weekly visits stored');

  // A group class of two seats: two join, a third waits, and takes the seat someone leaves.
  const group = await call('POST', '/services', { name: 'Back class', duration_minutes: 60, price: { amount_minor: 1500, currency: 'GBP' }, modality: 'in_person', capacity: 2, clinician_ids: [ada.id] });
  const { data: people } = await call('GET', '/patients?page_size=100');
  const zoe = people.find((p) => p.family_name === 'Okafor');
  const session = await slotAt(group.id, first, '13:00');
  await call('POST', '/appointments', { patient_id: zoe.id, service_id: group.id, clinician_id: ada.id, start: session.start, centre_id: session.centre_id });
  await page.reload();
  await page.getByRole('button', { name: /^13:00 Zoë Okafor, Back class/ }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Attendees: 1 of 2 seats' }).waitFor();
  await dialog.getByLabel('Add a patient', { exact: true }).fill('boateng');
  await dialog.getByRole('button', { name: /Kofi Boateng/ }).click();
  await dialog.getByRole('heading', { name: 'Attendees: 2 of 2 seats' }).waitFor();
  await dialog.getByText('The session is full').waitFor();
  await dialog.getByLabel('Add a patient to the waitlist').fill('mensah');
  await dialog.getByRole('button', { name: /Ama Mensah/ }).click();
  await dialog.getByRole('heading', { name: 'Waitlist (1)' }).waitFor();
  await page.screenshot({ path: join(artifacts, '17-group-session.png') });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the group page');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the group page');
  await dialog.getByRole('button', { name: 'Remove Zoë Okafor' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove Zoë Okafor?' });
  await confirm.getByText('Ama Mensah from the waitlist takes the seat.').waitFor();
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await page.getByText('Zoë Okafor removed').waitFor();
  const attendees = page.getByRole('region', { name: 'Attendees' });
  await attendees.getByRole('heading', { name: 'Attendees: 2 of 2 seats' }).waitFor();
  await attendees.getByRole('link', { name: 'Ama Mensah' }).waitFor();
  assert.equal(await attendees.getByRole('heading', { name: /Waitlist/ }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a receptionist\'s morning on a phone: register, book a walk-in now, check in, complete, move by dragging, cancel with a reason', async () => {
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  });
  const { access_token: token } = await login.json();
  const call = async (method, path, body) => {
    const reply = await fetch(`${base}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
    const text = await reply.text();
    assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  // A clinician who takes walk-ins this morning, from a few minutes ago.
  const kwesi = await call('POST', '/clinicians', { display_name: 'Dr Kwesi Appiah', centre_ids: [1] });
  const checkUp = (await call('GET', '/services?page_size=100')).data.find((s) => s.name === 'Check-up');
  await call('PATCH', `/services/${checkUp.id}`, { clinician_ids: [...checkUp.clinician_ids, kwesi.id] });
  const nowMs = Date.now();
  const londonWall = (d) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  const [hour, minute] = londonWall(new Date(nowMs)).split(':').map(Number);
  const minutesToday = hour * 60 + minute;
  const back = Math.min((minutesToday % 5) + 1, minutesToday);
  const opens = new Date(Math.floor(nowMs / 60000) * 60000 - back * 60000);
  await call('POST', `/clinicians/${kwesi.id}/extra-availability`, { start: opens.toISOString(), end: new Date(opens.getTime() + 3 * 3600000).toISOString(), centre_id: 1, reason: 'walk-ins' });
  await call('POST', '/staff', { email: 'rita@clinic.test', name: 'Rita Reception', role: 'front_desk', password });

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await signIn(context, 'rita@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  const noSidewaysScroll = async (where) => assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `no sideways scroll on ${where}`);

  // A new patient, registered from the phone.
  await page.getByRole('link', { name: '+ New patient' }).click();
  await page.getByLabel('Given name').fill('Kofi');
  await page.getByLabel('Family name').fill('Asante');
  await page.getByLabel('Phone', { exact: true }).fill('07700 900777');
  await noSidewaysScroll('the patient form');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.getByRole('heading', { name: /Kofi Asante/ }).waitFor();
  await page.getByRole('link', { name: 'Call 07700 900777' }).waitFor();

  // Booked from his page as a walk-in, now: the day has most of the screen.
  await page.getByRole('link', { name: 'Book', exact: true }).click();
  await page.getByText('Booking for Kofi Asante').waitFor();
  await page.getByRole('region', { name: 'Dr Kwesi Appiah' }).waitFor();
  const grid = await page.locator('.cal-grid').boundingBox();
  assert.ok(grid.y < 844 * 0.55, `the day starts in the upper half of the screen (at ${grid.y} px)`);
  assert.ok(grid.y + grid.height > 844 * 0.95, 'and fills the screen below');
  await noSidewaysScroll('the calendar');
  await page.screenshot({ path: join(artifacts, '18-calendar-phone.png') });
  await page.getByRole('button', { name: 'Book with Dr Kwesi Appiah' }).click();
  let dialog = page.getByRole('dialog');
  assert.equal(await dialog.locator('#booking-patient').textContent(), 'Kofi Asante');
  const walkIn = londonWall(opens);
  await dialog.getByRole('button', { name: walkIn, exact: true }).click();
  await dialog.getByRole('button', { name: 'Book', exact: true }).click();
  await dialog.getByRole('button', { name: 'Book anyway' }).click();
  await page.getByText(`Booked Kofi Asante at ${walkIn}`).waitFor();

  // Seen through: checked in, then completed.
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Kofi Asante, Check-up`) }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Check in' }).click();
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Kofi Asante, Check-up, Checked in`) }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Complete' }).click();
  await page.getByRole('button', { name: new RegExp(`^${walkIn} Kofi Asante, Check-up, Completed`) }).waitFor();

  // A follow-up later this morning (past the notice), dragged half an hour on, then cancelled with a reason.
  const later = londonWall(new Date(opens.getTime() + 90 * 60000));
  const moved = londonWall(new Date(opens.getTime() + 120 * 60000));
  if (later > walkIn && moved > later) { // not across midnight
    await page.getByRole('button', { name: 'Book with Dr Kwesi Appiah' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Find patient').fill('asante');
    await dialog.getByRole('button', { name: /Kofi Asante/ }).click();
    await dialog.getByRole('button', { name: later, exact: true }).click();
    await dialog.getByRole('button', { name: 'Book', exact: true }).click();
    await page.getByText(`Booked Kofi Asante at ${later}`).waitFor();
    const card = page.getByRole('button', { name: new RegExp(`^${later} Kofi Asante`) });
    // 90 px an hour: grabbed 5 px below its top, dropped 45 px lower.
    await card.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    const box = await card.boundingBox();
    await page.mouse.move(box.x + 10, box.y + 5);
    await page.mouse.down();
    await page.mouse.move(box.x + 12, box.y + 5 + 45, { steps: 6 });
    await page.mouse.up();
    await page.getByText(`Appointment moved to ${moved}`).waitFor();
    await page.getByRole('button', { name: new RegExp(`^${moved} Kofi Asante`) }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel appointment' }).click();
    await dialog.getByLabel('Patient unwell').check();
    for (const button of await dialog.getByRole('button').all()) {
      const b = await button.boundingBox();
      assert.ok(b.x >= 0 && b.x + b.width <= 390, `${await button.textContent()} fits the width`);
    }
    await dialog.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByText('Appointment cancelled').waitFor();
    await page.getByRole('button', { name: new RegExp(`^${moved} Kofi Asante, Check-up, Cancelled`) }).click();
    await page.getByRole('dialog').getByText('Reason: Patient unwell').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a manager writes a note, saves the draft, signs it and adds an addendum; an admin sees only that it exists', async () => {
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  });
  const { access_token: token } = await login.json();
  const created = await fetch(`${base}/api/v1/staff`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'mia@clinic.test', name: 'Mia Manager', role: 'manager', password }),
  });
  assert.equal(created.status, 201, await created.text());

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'mia@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  await page.goto(new URL('/patients', page.url()).href);
  await page.getByRole('link', { name: 'Okafor, Zoë' }).click();
  const notes = page.locator('.notes-card');
  await notes.getByText('No notes yet.').waitFor();
  await notes.getByRole('button', { name: 'Write note' }).click();
  let dialog = page.getByRole('dialog', { name: 'New note for Zoë Okafor' });
  assert.equal(await dialog.getByLabel('Template').inputValue(), 'soap');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the note dialog');
  await dialog.getByLabel('Subjective').fill('Knee pain for three weeks.');
  await dialog.getByRole('button', { name: 'Save draft' }).click();
  await page.getByText('Draft saved').waitFor();
  await notes.getByText('Draft', { exact: true }).waitFor();
  await notes.getByRole('button', { name: 'Edit draft' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit draft note' });
  assert.equal(await dialog.getByLabel('Subjective').inputValue(), 'Knee pain for three weeks.');
  await dialog.getByLabel('Plan').fill('Ice and rest.');
  await dialog.getByRole('button', { name: 'Save and sign' }).click();
  await page.getByText('Note signed', { exact: true }).waitFor();
  await notes.getByText('Signed', { exact: true }).waitFor();
  await notes.getByText('Ice and rest.').waitFor();
  assert.equal(await notes.getByRole('button', { name: 'Edit draft' }).count(), 0, 'a signed note is not edited');
  await notes.getByRole('button', { name: 'Add addendum' }).click();
  await page.getByRole('dialog', { name: 'Add an addendum' }).getByLabel('Addendum').fill('Correction: the right knee.');
  await page.getByRole('dialog', { name: 'Add an addendum' }).getByRole('button', { name: 'Sign addendum' }).click();
  await page.getByText('Addendum added').waitFor();
  await notes.getByText('Correction: the right knee.').waitFor();
  await notes.getByText(/^Addendum by you · /).waitFor();
  // Questionnaire answers are scored by the API; a self-harm answer is shown at the top in red.
  const outcomes = page.locator('.outcomes-card');
  await outcomes.getByText('No questionnaires answered yet.').waitFor();
  for (const [answers, toastText] of [[[1, 1, 1, 1, 1, 1, 1, 1, 1], 'PHQ-9 (depression): 9 (Mild)'], [[0, 0, 1, 0, 0, 0, 0, 0, 0], 'PHQ-9 (depression): 1 (Minimal)']]) {
    await outcomes.getByRole('button', { name: 'Enter answers' }).click();
    const form = page.getByRole('dialog', { name: 'Enter questionnaire answers' });
    await form.getByLabel('Questionnaire').selectOption('phq-9');
    assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the questionnaire dialog');
    for (const [i, score] of answers.entries()) await form.getByLabel(new RegExp(`^${i + 1}\\. `)).selectOption(String(score));
    await form.getByRole('button', { name: 'Save and score' }).click();
    await page.getByText(toastText).waitFor();
  }
  await outcomes.getByRole('alert').getByText(/^Self-harm risk:/).waitFor();
  await outcomes.getByRole('img', { name: 'PHQ-9 (depression): 9, 1 (latest 1 of 27)' }).waitFor();
  await page.screenshot({ path: join(artifacts, '22-clinical-note.png'), fullPage: true });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the record with notes');

  // An administrator is an IT role: the note is there, its words are not.
  const owner = await signIn(await browser.newContext({ viewport: { width: 1366, height: 900 } }), 'owner@clinic.test');
  await owner.goto(page.url());
  await owner.locator('.notes-card').getByText('Clinical content is for clinicians and managers.').waitFor();
  assert.equal(await owner.locator('.notes-card').getByText('Ice and rest.').count(), 0);
  assert.equal(await owner.getByRole('button', { name: 'Write note' }).count(), 0);
  await owner.context().close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a clinician writes the note of a visit from their home, adds files, assigns a questionnaire and enrols the patient; the chart shows it all', async () => {
  const { base, call } = await ownerApi();
  // A clinician with an account, who saw a walk-in a few minutes ago.
  const tomi = await call('POST', '/staff', { email: 'tomi@clinic.test', name: 'Tomi Bello', role: 'clinician', password });
  const clinician = await call('POST', '/clinicians', { display_name: 'Dr Tomi Bello', centre_ids: [1], staff_id: tomi.id });
  const checkUp = (await call('GET', '/services?page_size=100')).data.find((s) => s.name === 'Check-up');
  await call('PATCH', `/services/${checkUp.id}`, { clinician_ids: [...checkUp.clinician_ids, clinician.id] });
  const nowMs = Date.now();
  const [hour, minute] = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(nowMs)).split(':').map(Number);
  const back = Math.min(((hour * 60 + minute) % 5) + 1, hour * 60 + minute);
  const opens = new Date(Math.floor(nowMs / 60000) * 60000 - back * 60000);
  await call('POST', `/clinicians/${clinician.id}/extra-availability`, { start: opens.toISOString(), end: new Date(opens.getTime() + 3 * 3600000).toISOString(), centre_id: 1, reason: 'walk-ins' });
  const efua = await call('POST', '/patients', { given_name: 'Efua', family_name: 'Boateng', phone: '07700 900444' });
  const visit = await call('POST', '/appointments', { patient_id: efua.id, service_id: checkUp.id, clinician_id: clinician.id, start: opens.toISOString(), centre_id: 1 });
  await call('POST', `/appointments/${visit.id}/check-in`);
  await call('POST', `/appointments/${visit.id}/complete`);

  // The manager adds a programme in Clinic setup.
  const managerContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const manager = await signIn(managerContext, 'mia@clinic.test');
  await manager.goto(new URL('/setup-clinic#programmes', manager.url()).href);
  const setup = manager.locator('#programmes');
  await setup.getByText('No programmes yet.').waitFor();
  await setup.getByLabel('Programme name').fill('Knee rehabilitation');
  await setup.getByLabel('Planned sessions').fill('6');
  await setup.getByLabel('Service').selectOption({ label: 'Check-up' });
  await setup.getByLabel('GAD-7 (anxiety)').check();
  await setup.getByLabel('Goals').fill('Climb stairs without pain\nReturn to running');
  await setup.getByRole('button', { name: 'Add programme' }).click();
  await manager.getByText('Programme added').waitFor();
  await setup.getByText(/6 sessions · GAD-7 · 2 goals/).waitFor();
  await managerContext.close();

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'tomi@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  // The bell: reception booked the visit for him.
  await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
  await page.getByRole('region', { name: 'Notifications' }).getByText('New booking: Efua Boateng').waitFor();
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
  await page.keyboard.press('Escape');
  // Home: the visit waits for its note; writing it starts from there, about that visit.
  await page.goto(new URL('/', page.url()).href);
  const toWrite = page.getByRole('list', { name: 'Notes to write' });
  await toWrite.getByText('Efua Boateng').waitFor();
  await toWrite.getByRole('link', { name: 'Write a note for Efua Boateng' }).click();
  const dialog = page.getByRole('dialog', { name: 'New note for Efua Boateng' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Appointment').inputValue(), String(visit.id), 'the note is about the visit');
  await dialog.getByLabel('Subjective').fill('Twisted the left knee on the stairs.');
  await dialog.getByLabel('Plan').fill('Strengthening; review in a week.');
  await dialog.getByRole('button', { name: 'Save and sign' }).click();
  await page.getByText('Note signed', { exact: true }).waitFor();
  // The calendar's appointment offers the same.
  await page.goto(new URL(`/calendar?date=${new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(opens)}`, page.url()).href);
  await page.getByRole('button', { name: /Efua Boateng, Check-up, Completed/ }).click();
  const writeLink = page.getByRole('dialog').getByRole('link', { name: 'Write note' });
  assert.equal(await writeLink.getAttribute('href'), `/patients/${efua.id}?write_note=${visit.id}`);
  await writeLink.click();
  await page.getByRole('heading', { name: /Efua Boateng/ }).waitFor();
  await page.locator('.notes-card').getByText('Twisted the left knee on the stairs.').waitFor();
  assert.equal(await page.getByRole('dialog').count(), 0, 'a visit with a signed note opens no new note');

  // Files: chosen, and dropped; a program named .pdf is refused by its bytes.
  const files = page.locator('.files-card');
  await files.getByText('No files yet. Drop a file here or choose one.').waitFor();
  await page.getByLabel('Choose files to add').setInputFiles({ name: 'GP referral.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n1 0 obj\n%%EOF\n') });
  await page.getByText('GP referral.pdf added').waitFor();
  const download = files.getByRole('link', { name: 'GP referral.pdf' });
  assert.match(await download.getAttribute('href'), /^\/api\/v1\/attachments\/\d+\/content$/);
  await page.getByLabel('Choose files to add').setInputFiles({ name: 'results.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00\x03\x00\x00\x00PE\x00\x00') });
  await page.getByText(/results\.pdf: The file is not a type a record keeps/).waitFor();
  await files.evaluate((card) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['Knee X-ray report: no fracture.'], 'x-ray report.txt', { type: 'text/plain' }));
    card.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.getByText('x-ray report.txt added').waitFor();
  await files.getByRole('link', { name: 'x-ray report.txt' }).waitFor();
  assert.equal(await files.getByRole('link').count(), 2, 'the refused file is not listed');

  // A questionnaire every two weeks, due today.
  const outcomes = page.locator('.outcomes-card');
  await outcomes.getByRole('button', { name: 'Assign' }).click();
  const assign = page.getByRole('dialog', { name: 'Assign a questionnaire to Efua' });
  await assign.getByLabel('Questionnaire').selectOption('gad-7');
  assert.equal(await assign.getByLabel('Repeat').inputValue(), '14');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the assign dialog');
  await assign.getByRole('button', { name: 'Assign' }).click();
  await page.getByText('GAD-7 (anxiety) assigned').waitFor();
  const assigned = page.getByRole('list', { name: 'Assigned questionnaires' });
  await assigned.getByText('Every 2 weeks').waitFor();
  await assigned.getByText('Due today').waitFor();

  // Enrolled in the programme: the visit today already counts.
  const programmes = page.locator('.programmes-card');
  await programmes.getByRole('button', { name: 'Enrol' }).click();
  const enrol = page.getByRole('dialog', { name: 'Enrol Efua in a programme' });
  await enrol.getByLabel('Clinician').selectOption({ label: 'Dr Tomi Bello' });
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the enrol dialog');
  await enrol.getByRole('button', { name: 'Enrol' }).click();
  await page.getByText('Enrolled', { exact: true }).waitFor();
  await programmes.getByText('1 of 6 sessions completed').waitFor();
  await programmes.getByRole('button', { name: 'Note progress on “Climb stairs without pain”' }).click();
  const progress = page.getByRole('dialog', { name: 'How is this goal going?' });
  await progress.getByLabel('Progress note').fill('Ten stairs with the rail.');
  await progress.getByLabel('Goal achieved').check();
  await progress.getByRole('button', { name: 'Save note' }).click();
  // The toast, not the dialog's checkbox of the same words while it closes.
  await page.locator('#toasts').getByText('Goal achieved', { exact: true }).waitFor();
  await programmes.getByText('Achieved', { exact: true }).waitFor();

  // The chart has all of it, newest first.
  await page.reload();
  const chart = page.locator('.timeline-card');
  await chart.getByText('SOAP note · signed').waitFor();
  await chart.getByText('File added · x-ray report.txt').waitFor();
  await chart.getByText('Appointment · Completed').waitFor();
  await page.screenshot({ path: join(artifacts, '24-chart.png'), fullPage: true });
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the chart');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the chart');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scroll on the chart on a phone');
  await page.screenshot({ path: join(artifacts, '25-chart-phone.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a patient registered anyway is flagged; a manager compares, merges, undoes and dismisses the pair', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  const base = setupUrl.replace(/\/setup\?.*$/, '');
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'owner@clinic.test', password }),
  });
  const { access_token: token } = await login.json();
  const first = await fetch(`${base}/api/v1/patients`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ given_name: 'Samuel', family_name: 'Adjei', phone: '07700 900555', email: 'sam@example.com' }),
  });
  const created = await first.text();
  assert.equal(first.status, 201, created);
  const kept = JSON.parse(created).id;

  // Registered again at the desk, anyway: the record says it may be a duplicate.
  await page.goto(new URL('/patients/new', page.url()).href);
  await page.getByLabel('Given name').fill('Sam');
  await page.getByLabel('Family name').fill('Adjei');
  await page.getByLabel('Phone', { exact: true }).fill('+44 7700 900555');
  await page.getByRole('button', { name: 'Register patient' }).click();
  await page.getByText('This may be a patient who is already registered:').waitFor();
  await page.getByRole('button', { name: 'Register as a new patient anyway' }).click();
  await page.getByRole('heading', { name: /Sam Adjei/ }).waitFor();
  const notice = page.locator('.duplicate-notice');
  await notice.getByText('This may be the same person as Samuel Adjei (same phone number).').waitFor();

  // The list points a manager to the pairs waiting for review.
  await page.getByRole('link', { name: 'Patients', exact: true }).click();
  await page.getByRole('link', { name: '1 possible duplicate to review' }).click();
  await page.getByRole('heading', { name: 'Possible duplicates' }).waitFor();
  assert.deepEqual(await contrastProblems(page), [], 'contrast on the review list');
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled on the review list');
  await page.getByRole('button', { name: 'Compare and merge' }).click();
  const compare = page.getByRole('dialog', { name: 'Compare and merge' });
  assert.equal(await compare.getByRole('radio', { name: 'Keep this record' }).first().isChecked(), true, 'the older record is offered to keep');
  assert.equal(await compare.locator('tr.differs').count() >= 2, true, 'name and email differ and are marked');
  await page.screenshot({ path: join(artifacts, '21-compare-and-merge.png') });
  assert.deepEqual(await unlabelledControls(page), [], 'every control labelled in the merge dialog');
  await compare.getByRole('button', { name: 'Merge records' }).click();
  await page.getByText('Records merged: 0 appointments moved').waitFor();
  await page.getByRole('heading', { name: /Samuel Adjei/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/patients/${kept}`);
  const merges = page.locator('.merges-card');
  await merges.getByRole('heading', { name: 'Merged records' }).waitFor();

  // The merged record is kept, archived, says where it went, and the merge can be undone from it.
  await merges.getByRole('link', { name: /^Record #\d+$/ }).click();
  await page.getByText('This record was merged into').waitFor();
  await page.getByRole('link', { name: 'Samuel Adjei' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Restore' }).count(), 0, 'a merged record is not restored on its own');
  await page.getByRole('button', { name: 'Undo merge' }).click();
  await page.getByRole('dialog', { name: 'Undo this merge?' }).getByRole('button', { name: 'Undo merge' }).click();
  await page.getByText('Merge undone').waitFor();
  await notice.getByText(/same person as Samuel Adjei/).waitFor();
  await notice.getByRole('button', { name: 'Not the same person' }).click();
  await page.getByRole('dialog', { name: 'Not the same person?' }).getByRole('button', { name: 'Not the same person' }).click();
  await page.getByText('Marked as two different people').waitFor();
  await page.getByRole('heading', { name: /Sam Adjei/ }).waitFor();
  assert.equal(await notice.count(), 0, 'the notice is gone once dismissed');

  // On a phone the comparison fits the width.
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(new URL(`/patients/${kept}`, page.url()).href);
  await phone.getByRole('heading', { name: /Samuel Adjei/ }).waitFor();
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scroll on the record');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the calendar at reception changes as someone else books and cancels, and the clinician\'s bell rings, without a reload', async () => {
  const { base, call } = await ownerApi();
  // A clinician with an account and hours from now on, today.
  const lee = await call('POST', '/staff', { email: 'lee@clinic.test', name: 'Lee Live', role: 'clinician', password });
  const clinician = await call('POST', '/clinicians', { display_name: 'Dr Lee Live', centre_ids: [1], staff_id: lee.id });
  const checkUp = (await call('GET', '/services?page_size=100')).data.find((s) => s.name === 'Check-up');
  await call('PATCH', `/services/${checkUp.id}`, { clinician_ids: [...checkUp.clinician_ids, clinician.id] });
  const opens = new Date(Math.floor(Date.now() / 300000) * 300000);
  await call('POST', `/clinicians/${clinician.id}/extra-availability`, { start: opens.toISOString(), end: new Date(opens.getTime() + 3 * 3600000).toISOString(), centre_id: 1, reason: 'late clinic' });
  const kwame = await call('POST', '/patients', { given_name: 'Kwame', family_name: 'Mensah', phone: '07700 900781' });
  // The visit is an hour on; the calendar shows its day (today, unless that is past midnight).
  const start = new Date(opens.getTime() + 60 * 60000);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(start);

  const watch = (page) => {
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
    return errors;
  };
  const deskContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const desk = await signIn(deskContext, 'rita@clinic.test');
  const deskErrors = watch(desk);
  await desk.goto(`${base}/calendar?date=${today}&centre=1`);
  await desk.locator('.live-badge.is-live').waitFor();
  const leeContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const phone = await signIn(leeContext, 'lee@clinic.test');
  const phoneErrors = watch(phone);
  // Nothing may reload either page: a mark on each window would be lost.
  await desk.evaluate(() => { window.stillHere = true; });
  await phone.evaluate(() => { window.stillHere = true; });
  await phone.waitForFunction(() => document.querySelector('.bell-count')?.hidden === true);

  // The owner books for Dr Lee from elsewhere (the API).
  const visit = await call('POST', '/appointments', { patient_id: kwame.id, service_id: checkUp.id, clinician_id: clinician.id, start: start.toISOString() });
  const card = desk.locator(`[data-appointment="${visit.id}"]`);
  await card.waitFor({ timeout: 5000 });
  assert.match(await card.getAttribute('aria-label'), /Kwame Mensah/);
  await phone.getByText('New booking: Kwame Mensah').waitFor({ timeout: 5000 });
  await phone.waitForFunction(() => document.querySelector('.bell-count')?.textContent === '1');
  await desk.screenshot({ path: join(artifacts, '30-live-calendar.png') });
  await phone.screenshot({ path: join(artifacts, '31-live-bell-phone.png') });

  // Cancelled elsewhere: the card says so, and the bell counts a second one.
  await call('POST', `/appointments/${visit.id}/cancel`, { reason: 'Called to cancel' });
  await desk.waitForFunction((id) => document.querySelector(`[data-appointment="${id}"]`)?.getAttribute('aria-label').includes('Cancelled'), visit.id, { timeout: 5000 });
  await phone.waitForFunction(() => document.querySelector('.bell-count')?.textContent === '2');
  // Read on the phone, the count goes down in the clinician's other tabs too.
  const secondTab = await leeContext.newPage();
  await secondTab.goto(`${base}/patients`);
  await secondTab.waitForFunction(() => document.querySelector('.bell-count')?.textContent === '2');
  await phone.getByRole('button', { name: /Notifications, 2 unread/ }).click();
  await phone.getByRole('button', { name: 'Mark all read' }).click();
  await secondTab.waitForFunction(() => document.querySelector('.bell-count')?.hidden === true, null, { timeout: 5000 });

  await desk.setViewportSize({ width: 820, height: 1000 });
  await desk.screenshot({ path: join(artifacts, '32-live-calendar-tablet.png') });
  assert.equal(await desk.evaluate(() => window.stillHere), true, 'the calendar never reloaded');
  assert.equal(await phone.evaluate(() => window.stillHere), true, 'the phone never reloaded');
  assert.deepEqual(deskErrors, []);
  assert.deepEqual(phoneErrors, []);
  await deskContext.close();
  await leeContext.close();
});

test('a manager words the reminder in Welsh with a placeholder, sets a patient to Welsh, and removes it again', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'mia@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  await page.getByRole('link', { name: 'Clinic setup' }).click();
  const card = page.locator('#wording');
  await card.getByRole('heading', { name: 'Wording of messages' }).waitFor();
  await card.getByLabel('Message', { exact: true }).selectOption('reminder');
  await page.waitForFunction(() => document.querySelector('#wording input[data-field="subject"]').value.startsWith('Reminder:'));
  await card.getByLabel('Language', { exact: true }).selectOption('+');
  await card.getByLabel('New language').fill('cy');
  await card.getByLabel('New language').press('Tab');
  await card.getByText('No Welsh wording yet').waitFor();

  const subject = card.getByLabel('Email subject');
  await subject.fill('Nodyn atgoffa ');
  await card.getByRole('button', { name: '{start_date}' }).click();
  assert.equal(await subject.inputValue(), 'Nodyn atgoffa {start_date}');
  const text = card.getByLabel('Text message (SMS, WhatsApp)');
  await text.fill('Helo {enw}');
  await card.getByRole('button', { name: 'Save wording' }).click();
  await card.getByText(/unknown placeholder \{enw\}/).waitFor();
  await text.fill('Helo {patient_first_name}, {start_time}');
  await card.getByRole('button', { name: 'Save wording' }).click();
  await page.getByText('Welsh wording saved').waitFor();
  await card.getByText('The clinic’s Welsh wording.').waitFor();
  assert.equal(await card.getByLabel('Language', { exact: true }).inputValue(), 'cy');
  const saved = await page.evaluate(async () => (await fetch('/api/v1/settings/templates/reminder?language=cy')).json());
  assert.equal(saved.subject, 'Nodyn atgoffa {start_date}');
  assert.deepEqual(saved.translations, ['cy']);
  await card.screenshot({ path: join(artifacts, '33-wording-desktop.png') });
  await page.setViewportSize({ width: 820, height: 1000 });
  await card.screenshot({ path: join(artifacts, '34-wording-tablet.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await card.screenshot({ path: join(artifacts, '35-wording-phone.png') });
  await page.setViewportSize({ width: 1366, height: 900 });

  // Kwame reads Welsh: his record says so.
  const found = await page.evaluate(async () => (await fetch('/api/v1/patients?q=Kwame')).json());
  const kwame = found.data[0];
  await page.goto(setupUrl.replace(/\/setup\?.*$/, `/patients/${kwame.id}/edit`));
  await page.getByLabel('Language for messages').fill('cy');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Changes saved').waitFor();
  const details = page.locator('.card', { has: page.getByRole('heading', { name: 'Details' }) });
  await details.getByText('Welsh').waitFor();

  // Removed, the Welsh patients get the usual wording again.
  await page.getByRole('link', { name: 'Clinic setup' }).click();
  await card.getByLabel('Message', { exact: true }).selectOption('reminder');
  await card.getByLabel('Language', { exact: true }).selectOption('cy');
  await card.getByRole('button', { name: 'Remove the Welsh wording' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await page.getByText('Wording removed').waitFor();
  await page.waitForFunction(() => ![...document.querySelectorAll('#wording select option')].some((o) => o.value === 'cy'));
  const after = await page.evaluate(async () => (await fetch('/api/v1/settings/templates/reminder?language=cy')).json());
  assert.equal(after.custom, false);
  assert.deepEqual(errors, []);
  await context.close();
});

/**
 * The link a patient's messages carry to their appointment. This server
 * sends no mail, so the test signs it as the server does: HMAC-SHA256 with
 * the data directory's key over length-prefixed parts.
 */
function manageLink(base, appointmentId, patientId) {
  const key = readFileSync(join(dataDir, 'secret.key'));
  const mac = createHmac('sha256', key);
  const be64 = (n) => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(n)); return b; };
  for (const part of [Buffer.from('manage-appointment'), be64(appointmentId), be64(patientId)]) {
    mac.update(be64(part.length));
    mac.update(part);
  }
  return `${base}/manage/${appointmentId}-${patientId}-${mac.digest('hex').slice(0, 40)}`;
}

test('a patient opens the link from their messages on a phone and cancels; a changed link opens nothing', async () => {
  const { base, call } = await ownerApi();
  const { data: services } = await call('GET', '/services?page_size=100');
  const checkUp = services.find((x) => x.name === 'Check-up');
  const { data: clinicians } = await call('GET', '/clinicians?page_size=100');
  const ada = clinicians.find((c) => c.display_name === 'Dr Ada Osei');
  const isoDay = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(ms));
  // Her first free slot from three days on: well before the clinic's 24 hours' notice.
  const { data: slots } = await call('GET', `/slots?service_id=${checkUp.id}&clinician_id=${ada.id}&from=${isoDay(Date.now() + 3 * 86400000)}&to=${isoDay(Date.now() + 12 * 86400000)}`);
  const ayo = await call('POST', '/patients', { given_name: 'Ayo', family_name: 'Link', phone: '07700 900947' });
  const visit = await call('POST', '/appointments', { patient_id: ayo.id, service_id: checkUp.id, clinician_id: ada.id, start: slots[0].start, centre_id: slots[0].centre_id });

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });
  const link = manageLink(base, visit.id, ayo.id);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Hello Ayo' }).waitFor();
  await page.getByText('Check-up with Dr Ada Osei').waitFor();
  await page.getByText(/You can cancel online until/).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Sign in' }).count(), 0, 'no staff pages around it');
  assert.deepEqual(await unlabelledControls(page), []);
  await page.screenshot({ path: join(artifacts, '36-manage-phone.png'), fullPage: true });
  await page.getByRole('button', { name: 'Cancel appointment' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel it' }).click();
  await page.getByRole('heading', { name: 'Your appointment is cancelled' }).waitFor();
  await page.screenshot({ path: join(artifacts, '37-manage-cancelled-phone.png'), fullPage: true });
  assert.equal((await call('GET', `/appointments/${visit.id}`)).status, 'cancelled');

  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(link.replace(/.$/, (c) => (c === '0' ? '1' : '0')));
  await page.getByRole('heading', { name: 'Appointment not found' }).waitFor();
  await page.screenshot({ path: join(artifacts, '38-manage-not-found.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an admin turns on two-step sign-in, signs in with a code, and issues an API key', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await signIn(context, 'owner@clinic.test');
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // A refused code is an answered request, not a fault of the page.
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text()); });

  // Until they do, administrators are asked to.
  await page.getByText('turn on two-step sign-in for your administrator account').waitFor();
  await page.getByRole('link', { name: 'Set it up' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  await page.getByRole('img', { name: /QR code/ }).waitFor();
  const key = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
  const totp = new TOTP({ secret: key, digits: 6, period: 30, algorithm: 'SHA1' });
  await page.getByLabel('Code from the app').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Code from the app is not the code the authenticator shows now').waitFor();
  for (const width of [1366, 820, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifacts, `9-mfa-enrol-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.getByLabel('Code from the app').fill(totp.generate());
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Two-step sign-in is on.').waitFor();
  assert.equal(await page.locator('.recovery-codes li').count(), 10);
  const recovery = await page.locator('.recovery-codes li').first().innerText();
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByText('recovery code(s) left').waitFor();
  for (const width of [1366, 820, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifacts, `10-account-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 900 });

  // Signing in now takes the password and then a code (here a recovery code:
  // the app's current code was just used).
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill('owner@clinic.test');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
  await page.screenshot({ path: join(artifacts, '11-mfa-step.png') });
  await page.getByLabel('Code from your authenticator app').fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('That code is not right').waitFor();
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recovery);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Patients' }).waitFor();
  assert.equal(await page.getByText('turn on two-step sign-in').count(), 0, 'no more nudging');

  // An API key for an integration: shown once, then listed by its prefix.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await page.getByLabel('Name').fill('Accounting export');
  await page.getByLabel('Role').selectOption('billing');
  await page.getByRole('button', { name: 'Issue key' }).click();
  const shown = await page.locator('code.secret').innerText();
  assert.match(shown, /^cbk_[0-9a-f]{64}$/);
  await page.getByRole('cell', { name: 'Accounting export' }).waitFor();
  const res = await fetch(setupUrl.replace(/\/setup\?.*$/, '/api/v1/patients'), { headers: { Authorization: `Bearer ${shown}` } });
  assert.equal(res.status, 200, 'the key works as a bearer token');
  for (const width of [1366, 820, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifacts, `12-api-keys-${width}.png`), fullPage: true });
  }
  // Revoked after an in-page question; the key stops working at once.
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.getByRole('row', { name: /Accounting export/ }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await page.getByRole('row', { name: /Accounting export/ }).getByText('Revoked').waitFor();
  const after = await fetch(setupUrl.replace(/\/setup\?.*$/, '/api/v1/patients'), { headers: { Authorization: `Bearer ${shown}` } });
  assert.equal(after.status, 401, 'a revoked key is refused');
  assert.deepEqual(errors, []);
  await context.close();
});
