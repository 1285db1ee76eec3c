// The calendar: a day with a column per clinician at a centre, or a week
// for one clinician. Appointment times come from the API in the centre's
// offset, so their wall time is read straight from the string.
import { get, patch, query } from '../api.js';
import { h, toast } from '../dom.js';
import { can, currentUser } from '../session.js';
import { nowIn, wallIn, wallToRfc, zoneName } from '../zone.js';
import { STATUS_LABEL, openAppointment } from './appointment.js';
import { bookingDialog } from './booking.js';
import { isLive, onEvent, onLiveChange } from '../live.js';

// The hours always drawn; a day with earlier or later hours or appointments draws those too.
const DAY_STARTS = 7;
const DAY_ENDS = 20;
const PX_PER_MIN = 1.5; // 90px an hour
/** Where a drop or a click lands: minutes since midnight, on a 5-minute grid. */
const SNAP_MINUTES = 5;
const canBook = () => can('appointment_write');

const pad = (n) => String(n).padStart(2, '0');
const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const parseDate = (s) => { const [y, m, d] = s.split('-').map(Number); return new Date(y, m - 1, d); };
const addDays = (s, n) => { const d = parseDate(s); d.setDate(d.getDate() + n); return isoDate(d); };
const mondayOf = (s) => { const d = parseDate(s); d.setDate(d.getDate() - ((d.getDay() + 6) % 7)); return isoDate(d); };
const wallDate = (rfc) => rfc.slice(0, 10);
const wallTime = (rfc) => rfc.slice(11, 16);
const wallMinutes = (rfc) => Number(rfc.slice(11, 13)) * 60 + Number(rfc.slice(14, 16));
const dayLabel = (s, opts = { weekday: 'long', day: 'numeric', month: 'long' }) => parseDate(s).toLocaleDateString(undefined, opts);

async function all(path) {
  const rows = [];
  for (let page = 1; page < 50; page += 1) {
    const { data, pagination } = await get(`${path}${path.includes('?') ? '&' : '?'}page=${page}&page_size=100`);
    rows.push(...data);
    if (!pagination.has_next) break;
  }
  return rows;
}

export async function calendarView({ query: params }) {
  const [centres, clinicians, services] = await Promise.all([all('/centres'), all('/clinicians'), all('/services')]);
  // A clinician who signs in opens on their own day (the whole team is a click away).
  const me = clinicians.find((c) => c.active && c.staff_id != null && c.staff_id === currentUser()?.id);
  const firstCentre = Number(params.get('centre')) || me?.centre_ids[0] || centres.find((c) => c.active)?.id;
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zoneOf = (centreId) => centres.find((c) => c.id === centreId)?.timezone || browserZone;
  const state = {
    view: params.get('view') === 'week' ? 'week' : 'day',
    date: params.get('date') || nowIn(zoneOf(firstCentre)).date,
    centre: firstCentre,
    clinician: Number(params.get('clinician')) || me?.id || clinicians.find((c) => c.active)?.id,
    mine: !!me && params.get('team') !== '1',
  };
  // A patient handed over by "Book" on their page fills the first booking only.
  let carriedPatient = Number(params.get('patient'))
    ? { id: Number(params.get('patient')), label: params.get('patient_name') || `Patient #${params.get('patient')}` }
    : null;
  if (!centres.length || !clinicians.length || !services.length) {
    return h('section', { class: 'page' }, h('h1', {}, 'Calendar'),
      h('div', { class: 'empty' }, h('p', { class: 'strong' }, 'Set up the clinic first'),
        h('p', {}, 'Add a centre, a clinician with availability, and a service.'),
        h('a', { class: 'btn btn-primary', href: '/setup-clinic', dataset: { link: '' } }, 'Open clinic setup')));
  }
  const board = h('div', { class: 'calendar', 'aria-busy': 'true' });
  const title = h('h1', {});
  const zoneLabel = h('p', { class: 'muted small zone-label' });
  const serviceById = new Map(services.map((s) => [s.id, s]));
  const clinicianById = new Map(clinicians.map((c) => [c.id, c]));
  const zone = () => zoneOf(state.centre);
  let scrolled = false;
  let showClosedDays = params.get('closed') === '1';
  // Each clinician's weekly hours, extra hours and time off, fetched once: the calendar shades them.
  const hoursOf = new Map();
  const listOf = (path) => get(path).then((r) => r.data).catch(() => []);
  const weeklyHours = (clinicianId) => {
    if (!hoursOf.has(clinicianId)) {
      hoursOf.set(clinicianId, Promise.all([
        listOf(`/clinicians/${clinicianId}/availability`),
        listOf(`/clinicians/${clinicianId}/extra-availability`),
        listOf(`/clinicians/${clinicianId}/time-off`),
      ]).then(([weekly, extra, off]) => ({ weekly, extra, off })));
    }
    return hoursOf.get(clinicianId);
  };
  /** The part of [start, end) that falls on `date`, as wall minutes in the zone. */
  const onDate = (item, date) => {
    const from = wallIn(item.start, zone());
    const until = wallIn(item.end, zone());
    if (from.date > date || until.date < date) return null;
    const span = [from.date < date ? 0 : from.minutes, until.date > date ? 24 * 60 : until.minutes];
    return span[1] > span[0] ? span : null;
  };
  const isoWeekday = (date) => ((parseDate(date).getDay() + 6) % 7) + 1;
  const toMinutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const here = (centreId) => state.view === 'week' || !centreId || centreId === state.centre;
  /** The open hours (minutes since midnight) of a clinician at the centre on a date, and their time off. */
  const openHours = ({ weekly, extra }, date) => [
    ...weekly
      .filter((r) => r.weekday === isoWeekday(date) && here(r.centre_id)
        && (!r.effective_from || r.effective_from <= date) && (!r.effective_until || r.effective_until >= date))
      .map((r) => [toMinutes(r.start), toMinutes(r.end)]),
    ...extra.filter((x) => here(x.centre_id)).map((x) => onDate(x, date)).filter(Boolean),
  ];
  const timeOff = ({ off }, date) => off.map((x) => onDate(x, date)).filter(Boolean);

  const centreSelect = h('select', { 'aria-label': 'Centre' }, centres.map((c) => h('option', { value: c.id, selected: c.id === state.centre }, c.name)));
  const clinicianSelect = h('select', { 'aria-label': 'Clinician' }, clinicians.filter((c) => c.active).map((c) => h('option', { value: c.id, selected: c.id === state.clinician }, c.display_name)));
  const datePicker = h('input', { type: 'date', 'aria-label': 'Go to date', value: state.date, onchange: (e) => { if (e.target.value) { state.date = e.target.value; load(); } } });
  const viewSelect = h('div', { class: 'segmented', role: 'group', 'aria-label': 'View' },
    h('button', { type: 'button', 'aria-pressed': String(state.view === 'day'), onclick: () => { state.view = 'day'; load(); } }, 'Day'),
    h('button', { type: 'button', 'aria-pressed': String(state.view === 'week'), onclick: () => { state.view = 'week'; load(); } }, 'Week'));
  const teamSelect = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Whose day', hidden: true },
    h('button', { type: 'button', dataset: { mine: '1' }, onclick: () => { state.mine = true; load(); } }, 'My day'),
    h('button', { type: 'button', dataset: { mine: '0' }, onclick: () => { state.mine = false; load(); } }, 'Whole team'));
  centreSelect.addEventListener('change', () => { state.centre = Number(centreSelect.value); load(); });
  clinicianSelect.addEventListener('change', () => { state.clinician = Number(clinicianSelect.value); load(); });
  const shift = (n) => { state.date = addDays(state.date, state.view === 'week' ? 7 * n : n); load(); };

  const narrow = matchMedia('(max-width: 600px)');
  let quietLoad = false;
  let lastShown = null;
  let firstHour = DAY_STARTS;
  let lastHour = DAY_ENDS;
  async function load() {
    const url = `/calendar${query({ view: state.view === 'week' ? 'week' : '', date: state.date, centre: state.centre, clinician: state.view === 'week' ? state.clinician : '', team: me && !state.mine ? '1' : '' })}`;
    history.replaceState(null, '', url);
    teamSelect.hidden = !me || state.view === 'week';
    teamSelect.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String((b.dataset.mine === '1') === state.mine)));
    viewSelect.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.textContent.toLowerCase() === state.view)));
    // One centre needs no choosing: the room goes to the day.
    centreSelect.hidden = state.view === 'week' || centres.length < 2;
    clinicianSelect.hidden = state.view !== 'week';
    datePicker.value = state.date;
    zoneLabel.textContent = `All times in ${zoneName(zone())} (${zone()})`;
    // A live refresh redraws in place, without the loading fade.
    const quiet = quietLoad;
    if (!quiet) board.setAttribute('aria-busy', 'true');
    quietLoad = false;
    const first = state.view === 'week' ? mondayOf(state.date) : state.date;
    const days = state.view === 'week' ? [...Array(7)].map((_, i) => addDays(first, i)) : [first];
    // A phone gives the day its screen: the title fits one line.
    const month = narrow.matches ? 'short' : 'long';
    title.textContent = state.view === 'week'
      ? `Week of ${dayLabel(first, { day: 'numeric', month, year: 'numeric' })}`
      : dayLabel(first, { weekday: narrow.matches ? 'short' : 'long', day: 'numeric', month, year: 'numeric' });
    const filter = state.view === 'week' ? { clinician_id: state.clinician } : { centre_id: state.centre };
    // A day either side covers any centre offset; the wall date then picks the day.
    const from = `${addDays(days[0], -1)}T00:00:00Z`;
    const to = `${addDays(days[days.length - 1], 2)}T00:00:00Z`;
    try {
      const appointments = (await all(`/appointments${query({ ...filter, from, to })}`)).filter((a) => days.includes(wallDate(a.start)));
      let columns = state.view === 'week'
        ? days.map((d) => ({ key: d, label: dayLabel(d, { weekday: 'short', day: 'numeric' }), date: d, clinician: state.clinician, items: appointments.filter((a) => wallDate(a.start) === d) }))
        : clinicians.filter((c) => c.active && c.centre_ids.includes(state.centre) && (!state.mine || c.id === me.id)).map((c) => ({ key: c.id, label: c.display_name, date: first, clinician: c.id, items: appointments.filter((a) => a.clinician_id === c.id) }));
      const rules = await Promise.all(columns.map((col) => weeklyHours(col.clinician)));
      columns.forEach((col, i) => { col.open = openHours(rules[i], col.date); col.off = timeOff(rules[i], col.date); });
      const closed = columns.filter((col) => state.view === 'week' && !col.open.length && !col.items.length);
      closedToggle.hidden = state.view !== 'week' || !closed.length;
      closedToggle.textContent = showClosedDays ? 'Hide closed days' : `Show closed days (${closed.length})`;
      if (state.view === 'week' && !showClosedDays) columns = columns.filter((col) => !closed.includes(col));
      const spans = columns.flatMap((col) => [...col.open, ...col.items.map((a) => [wallMinutes(a.start), wallMinutes(a.end) || 24 * 60])]);
      firstHour = Math.min(DAY_STARTS, ...spans.map(([from]) => Math.floor(from / 60)));
      lastHour = Math.min(24, Math.max(DAY_ENDS, ...spans.map(([, until]) => Math.ceil(until / 60))));
      // A live refresh that finds what is already shown (one's own change,
      // echoed back) leaves the board alone: nothing under the pointer moves.
      const shown = JSON.stringify([columns.map((c) => [c.key, c.label, c.open, c.off, c.items]), firstHour, lastHour]);
      if (quiet && shown === lastShown && board.firstElementChild) return;
      lastShown = shown;
      const rendered = grid(columns);
      // A refresh keeps the reader where they were on the day.
      const keptScroll = board.firstElementChild?.scrollTop;
      board.replaceChildren(rendered);
      if (scrolled && keptScroll) rendered.scrollTop = keptScroll;
      if (!scrolled) {
        // Open on the working day: now when it is today, else the morning.
        const now = nowIn(zone());
        const target = days.includes(now.date) ? now.minutes - 60 : 8 * 60;
        rendered.scrollTop = Math.max(0, (target - firstHour * 60) * PX_PER_MIN);
        scrolled = true;
      }
    } catch (error) {
      lastShown = null;
      board.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
    } finally {
      board.setAttribute('aria-busy', 'false');
    }
  }

  /** Minutes since midnight at a pointer's height in a column, on the grid. */
  const minutesAt = (column, clientY) => {
    const y = clientY - column.getBoundingClientRect().top;
    return firstHour * 60 + Math.round(y / PX_PER_MIN / SNAP_MINUTES) * SNAP_MINUTES;
  };
  const hhmm = (minutes) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  let dragging = null;

  async function moveTo(col, minutes) {
    const { appointment, grabMinutes } = dragging;
    dragging = null;
    const startMinutes = Math.max(0, minutes - grabMinutes);
    const body = { start: wallToRfc(col.date, startMinutes, zone()) };
    if (col.clinician !== appointment.clinician_id) body.clinician_id = col.clinician;
    try {
      await patch(`/appointments/${appointment.id}`, body);
      toast(`Appointment moved to ${hhmm(startMinutes)}${body.clinician_id ? ` with ${clinicianById.get(col.clinician)?.display_name}` : ''}`, 'success');
    } catch (error) {
      toast(`Not moved: ${error.message}`, 'error');
    }
    load();
  }

  function grid(columns) {
    const hours = [...Array(lastHour - firstHour)].map((_, i) => firstHour + i);
    const height = (lastHour - firstHour) * 60 * PX_PER_MIN;
    const now = nowIn(zone());
    return h('div', { class: 'cal-grid', style: `--cols: ${columns.length}` },
      h('div', { class: 'cal-head' }, h('div', { class: 'cal-gutter' }), columns.map((col) => h('div', { class: 'cal-col-head' }, col.label,
        h('a', {
          class: 'cal-sheet', href: `/calendar/day-sheet${query({ date: col.date, clinician: col.clinician, centre: state.centre })}`,
          dataset: { link: '' }, 'aria-label': `Day sheet of ${clinicianById.get(col.clinician)?.display_name} for ${col.date}`,
        }, 'Day sheet')))),
      h('div', { class: 'cal-body', style: `height: ${height}px` },
        h('div', { class: 'cal-gutter' }, hours.map((hr) => h('div', { class: 'cal-hour', style: `top: ${(hr - firstHour) * 60 * PX_PER_MIN}px` }, `${pad(hr)}:00`))),
        columns.map((col) => h('div', {
          class: 'cal-col',
          role: 'region',
          'aria-label': `${col.label}`,
          dataset: { date: col.date, clinician: col.clinician },
          onclick: (e) => {
            if (e.target !== e.currentTarget || !canBook()) return;
            const minutes = firstHour * 60 + Math.floor(e.offsetY / PX_PER_MIN / 15) * 15;
            openBooking({ clinician: col.clinician, date: col.date, near: hhmm(minutes) });
          },
          ondragover: (e) => { if (dragging) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; } },
          ondrop: (e) => { if (dragging) { e.preventDefault(); moveTo(col, minutesAt(e.currentTarget, e.clientY)); } },
        },
        col.open.map(([from, until]) => h('div', {
          class: 'cal-open', 'aria-hidden': 'true',
          style: `top: ${Math.max(0, (from - firstHour * 60) * PX_PER_MIN)}px; height: ${Math.max(0, (Math.min(until, lastHour * 60) - Math.max(from, firstHour * 60)) * PX_PER_MIN)}px`,
        })),
        col.off.map(([from, until]) => h('div', {
          class: 'cal-off',
          style: `top: ${Math.max(0, (from - firstHour * 60) * PX_PER_MIN)}px; height: ${Math.max(0, (Math.min(until, lastHour * 60) - Math.max(from, firstHour * 60)) * PX_PER_MIN)}px`,
        }, 'Time off')),
        col.open.length ? null : h('div', { class: 'cal-closed-label' }, 'Closed'),
        hours.map((hr) => h('div', { class: 'cal-line', style: `top: ${(hr - firstHour) * 60 * PX_PER_MIN}px` })),
        col.date === now.date && now.minutes >= firstHour * 60 && now.minutes < lastHour * 60
          ? h('div', { class: 'cal-now', style: `top: ${(now.minutes - firstHour * 60) * PX_PER_MIN}px`, 'aria-hidden': 'true' }) : null,
        col.items.map((a) => card(a)),
        canBook() ? h('button', { type: 'button', class: 'cal-add', 'aria-label': `Book with ${col.label}`, onclick: () => openBooking({ clinician: col.clinician, date: col.date }) }, '+') : null))));
  }

  function card(a) {
    const top = Math.max(0, (wallMinutes(a.start) - firstHour * 60) * PX_PER_MIN);
    const height = Math.max(22, (wallMinutes(a.end) - wallMinutes(a.start)) * PX_PER_MIN - 2);
    const service = serviceById.get(a.service_id);
    const who = a.attendees.filter((t) => t.status === 'booked').map((t) => t.name);
    const label = who.length > 1 ? `${who.length} attendees` : (who[0] || 'No attendees');
    const movable = canBook() && (a.status === 'pending' || a.status === 'confirmed');
    return h('button', {
      type: 'button',
      class: `cal-appt status-${a.status}${height < 44 ? ' short' : ''}`,
      style: `top: ${top}px; height: ${height}px; ${service?.colour ? `--accent: ${service.colour}` : ''}`,
      'aria-label': `${wallTime(a.start)} ${label}, ${service?.name || 'appointment'}, ${STATUS_LABEL[a.status]}`,
      draggable: movable ? 'true' : false,
      dataset: { appointment: a.id },
      ondragstart: (e) => {
        const column = e.currentTarget.parentElement;
        dragging = { appointment: a, grabMinutes: minutesAt(column, e.clientY) - wallMinutes(a.start) };
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', String(a.id));
      },
      ondragend: () => { dragging = null; },
      onclick: () => openAppointment(a, {
        label, service, clinician: clinicianById.get(a.clinician_id), timeZone: zone(), canChange: canBook(), onChanged: load,
      }),
    },
    h('span', { class: 'cal-appt-time' }, `${wallTime(a.start)}–${wallTime(a.end)}`),
    a.video_url ? h('span', { class: 'cal-appt-video', title: 'Video visit' }, 'Video') : null,
    h('span', { class: 'cal-appt-who' }, label),
    h('span', { class: 'cal-appt-meta' }, `${service?.name || ''} · ${STATUS_LABEL[a.status]}`));
  }

  function openBooking({ clinician, date, near }) {
    const patient = carriedPatient;
    carriedPatient = null;
    carryBanner?.remove();
    bookingDialog({
      clinicianId: clinician, clinicianName: clinicianById.get(clinician)?.display_name || '', date, near, patient, timeZone: zone(),
      services: services.filter((s) => s.active && s.clinician_ids.includes(clinician)),
      onBooked: (booked) => { state.date = booked; load(); },
    });
  }

  const carryBanner = carriedPatient
    ? h('div', { class: 'banner banner-info', role: 'status' }, `Booking for ${carriedPatient.label}: pick a time on the calendar or press New appointment.`)
    : null;
  const closedToggle = h('button', {
    type: 'button', class: 'btn btn-ghost btn-small', hidden: true,
    onclick: () => { showClosedDays = !showClosedDays; load(); },
  }, 'Show closed days');
  // Someone else books, moves or cancels: the board redraws itself (the
  // events say what changed; the board refetches what it shows).
  const shownDays = () => {
    const first = state.view === 'week' ? mondayOf(state.date) : state.date;
    return state.view === 'week' ? [...Array(7)].map((_, i) => addDays(first, i)) : [first];
  };
  const concerns = (a) => board.querySelector(`[data-appointment="${a.id}"]`)
    || (shownDays().includes(wallDate(a.start))
      && (state.view === 'week' ? a.clinician_id === state.clinician : a.centre_id === state.centre));
  let refreshTimer = null;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    // A burst of changes (a series) redraws once; never under a drag.
    refreshTimer = setTimeout(() => {
      if (dragging) { refreshSoon(); return; }
      quietLoad = true;
      load();
    }, 250);
  };
  const liveBadge = h('span', { class: 'live-badge', role: 'status' });
  const showLive = (live) => {
    liveBadge.classList.toggle('is-live', live);
    liveBadge.textContent = live ? 'Live' : 'Reconnecting…';
    liveBadge.title = live ? 'Changes others make appear as they happen' : 'Live updates paused; the calendar refreshes when they are back';
  };
  showLive(isLive());
  const stops = [
    onEvent('appointment.*', (event) => {
      if (!board.isConnected) { stops.forEach((stop) => stop()); return; }
      if (event.type === 'resync' || concerns(event.data)) refreshSoon();
    }),
    onLiveChange((live) => { if (board.isConnected) showLive(live); else stops.forEach((stop) => stop()); }),
  ];
  const firstBookable = () => clinicians.find((c) => c.active && (state.view === 'week' ? c.id === state.clinician : c.centre_ids.includes(state.centre)));
  load();
  return h('section', { class: 'page page-wide calendar-page' },
    h('div', { class: 'page-head' }, h('div', {}, title, zoneLabel),
      h('div', { class: 'toolbar cal-toolbar' },
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => shift(-1), 'aria-label': 'Previous' }, '←'),
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => { state.date = nowIn(zone()).date; scrolled = false; load(); } }, 'Today'),
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => shift(1), 'aria-label': 'Next' }, '→'),
        datePicker,
        viewSelect, teamSelect, centreSelect, clinicianSelect,
        canBook() ? h('button', {
          type: 'button', class: 'btn btn-primary',
          onclick: () => { const c = firstBookable(); if (c) openBooking({ clinician: c.id, date: state.date }); },
        }, 'New appointment') : null)),
    carryBanner,
    h('div', { class: 'legend' }, Object.entries(STATUS_LABEL).map(([k, v]) => h('span', { class: `legend-item status-${k}` }, v)),
      h('span', { class: 'legend-item legend-closed' }, 'Closed'), closedToggle, liveBadge),
    board);
}
