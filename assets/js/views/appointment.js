// One appointment in a dialog: what it is, the steps it can take next,
// cancelling with a reason, moving it to another free time, and its history.
// Every time shown is in the centre's zone.
import { get, post, patch, query } from '../api.js';
import { h, modal, sentence, toast } from '../dom.js';
import { formatIn } from '../zone.js';
import { attendeesPanel } from './attendees.js';
import { can } from '../session.js';

export const STATUS_LABEL = { pending: 'Pending', confirmed: 'Confirmed', checked_in: 'Checked in', completed: 'Completed', cancelled: 'Cancelled', no_show: 'No-show' };
const STEPS = {
  pending: [['confirm', 'Confirm'], ['check-in', 'Check in']],
  confirmed: [['check-in', 'Check in']],
  checked_in: [['complete', 'Complete']],
};
const DONE = { confirm: 'Appointment confirmed', 'check-in': 'Checked in', complete: 'Appointment completed', 'no-show': 'Marked as a no-show' };
export const CANCEL_REASONS = ['Patient asked to cancel', 'Patient unwell', 'Clinician unavailable', 'Booked by mistake', 'Other'];
const CHANGE_LABEL = { created: 'Booked', confirm: 'Confirmed', check_in: 'Checked in', complete: 'Completed', cancel: 'Cancelled', no_show: 'Marked as a no-show', rescheduled: 'Moved', patient_merged: 'Moved to the record kept by a merge', patient_merge_undone: 'Back to its own record (merge undone)' };

const movable = (status) => status === 'pending' || status === 'confirmed';
const wallTime = (rfc) => rfc.slice(11, 16);

export const dialog = modal;

/**
 * Free times for a service with a clinician on one day, as buttons;
 * `onPick(slot)` on a choice. With `near` (a time clicked on the calendar),
 * that time is chosen when free; otherwise a note says so and points to the
 * nearest free times before and after it.
 */
export function slotPicker({ serviceId, clinicianId, date, near, onPick, serviceLabel = () => 'this service' }) {
  const list = h('div', { class: 'slot-list', role: 'group', 'aria-label': 'Available times' });
  const note = h('p', { class: 'slot-note', role: 'status' });
  const element = h('div', {}, note, list);
  async function load(day) {
    onPick(null);
    list.replaceChildren(h('p', { class: 'muted' }, 'Finding free times…'));
    try {
      const { data: slots } = await get(`/slots${query({ service_id: serviceId(), clinician_id: clinicianId, from: day, to: day })}`);
      if (!slots.length) { list.replaceChildren(h('p', { class: 'muted' }, 'No free times on this day.')); return; }
      const buttons = slots.map((s) => h('button', {
        type: 'button', class: s.within_notice ? 'slot slot-soon' : 'slot', 'aria-pressed': 'false',
        title: s.within_notice ? 'Inside the notice patients must give: staff may still book it' : null,
        onclick: (e) => {
          list.querySelectorAll('.slot').forEach((b) => b.setAttribute('aria-pressed', 'false'));
          e.currentTarget.setAttribute('aria-pressed', 'true');
          onPick(s);
        },
      }, wallTime(s.start), s.seats_left > 1 ? h('small', {}, ` ${s.seats_left} seats`) : null));
      list.replaceChildren(...buttons);
      note.textContent = '';
      if (!near || day !== date) return;
      const exact = slots.findIndex((s) => wallTime(s.start) === near);
      if (exact >= 0) { buttons[exact].click(); return; }
      const after = slots.findIndex((s) => wallTime(s.start) > near);
      const before = (after < 0 ? slots.length : after) - 1;
      const nearest = [before, after].filter((i) => i >= 0);
      nearest.forEach((i) => buttons[i].classList.add('slot-near'));
      note.textContent = `${near} is not free for ${serviceLabel()}: it clashes with a booking or falls outside the clinician's hours.`
        + (nearest.length ? ` Nearest free: ${nearest.map((i) => wallTime(slots[i].start)).join(' or ')}.` : '');
      buttons[nearest[nearest.length - 1]]?.focus();
    } catch (error) {
      list.replaceChildren(h('p', { class: 'muted' }, error.message));
    }
  }
  if (serviceId()) load(date);
  return { element, load };
}

function describe(item, timeZone) {
  const label = CHANGE_LABEL[item.change] || item.change.replace(/_/g, ' ');
  const d = item.details || {};
  if (item.change === 'rescheduled' && d.from?.start && d.to?.start) {
    const when = (iso) => formatIn(iso, timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    return `${label} from ${when(d.from.start)} to ${when(d.to.start)}`;
  }
  if (item.change === 'cancel' && d.reason) return `${label}: ${d.reason}`;
  if (d.policy_overridden) return `${label} (${d.policy_overridden})`;
  return label;
}

/**
 * Opens appointment `a`. `context` gives names and the zone:
 * { label, service, clinician, timeZone, canChange, onChanged }.
 */
export function openAppointment(a, context) {
  const { label, service, clinician, timeZone, canChange, onChanged } = context;
  const when = `${formatIn(a.start, timeZone, { weekday: 'long', day: 'numeric', month: 'long' })}, ${wallTime(a.start)}–${wallTime(a.end)}`;
  const message = h('div', { class: 'form-message', 'aria-live': 'polite' });
  const panel = h('div', { class: 'dialog-panel' });
  const historyList = h('ol', { class: 'history' }, h('li', { class: 'muted' }, 'Loading…'));
  const d = dialog(
    h('h2', {}, service?.capacity > 1 ? `${service.name}: group session` : label),
    h('p', { class: 'muted' }, `${when} · ${service?.name || ''} with ${clinician?.display_name || ''}`),
    h('p', {}, h('span', { class: `badge status-badge status-${a.status}` }, STATUS_LABEL[a.status])),
    a.status === 'cancelled' && a.cancel_reason ? h('p', { class: 'cancel-reason' }, `Reason: ${a.cancel_reason}`) : null,
    a.video_url ? h('p', {}, h('a', { href: a.video_url, target: '_blank', rel: 'noopener' }, 'Open the video room')) : null,
    a.notes ? h('p', {}, a.notes) : null,
    service?.capacity > 1 ? attendeesPanel(a, service, { canChange, onChanged }) : null,
    message,
    panel,
    h('details', { class: 'history-box' }, h('summary', {}, 'History'), historyList));

  const fail = (error) => {
    message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
  };
  const changed = (text) => {
    toast(text, 'success');
    d.close();
    onChanged();
  };

  async function step(action) {
    try {
      await post(`/appointments/${a.id}/${action}`);
      changed(DONE[action]);
    } catch (error) {
      fail(error);
    }
  }

  function actions() {
    message.replaceChildren();
    const steps = canChange ? (STEPS[a.status] || []) : [];
    const started = new Date(a.start) <= new Date();
    // A visit under way or done gets its note written from here.
    const writesNote = can('clinical_write') && ['checked_in', 'completed'].includes(a.status) && a.attendees.length === 1 && !(service?.capacity > 1);
    panel.replaceChildren(h('div', { class: 'form-actions dialog-actions' },
      steps.map(([action, text]) => h('button', { type: 'button', class: 'btn btn-primary', onclick: () => step(action) }, text)),
      canChange && movable(a.status) ? h('button', { type: 'button', class: 'btn btn-ghost', onclick: reschedule }, 'Reschedule') : null,
      canChange && movable(a.status) && started ? h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => step('no-show') }, 'Mark no-show') : null,
      canChange && movable(a.status) ? h('button', { type: 'button', class: 'btn btn-ghost btn-danger', onclick: cancel }, 'Cancel appointment') : null,
      writesNote ? h('a', { class: 'btn btn-primary', href: `/patients/${a.attendees[0].patient_id}?write_note=${a.id}`, dataset: { link: '' }, onclick: () => d.close() }, 'Write note') : null,
      a.attendees.length === 1 && !(service?.capacity > 1) ? h('a', { class: 'btn btn-ghost', href: `/patients/${a.attendees[0].patient_id}`, dataset: { link: '' }, onclick: () => d.close() }, 'Patient record') : null,
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, 'Close')));
  }

  function cancel() {
    message.replaceChildren();
    const name = `reason-${a.id}`;
    const choices = h('div', { class: 'choice-list', role: 'radiogroup', 'aria-label': 'Reason for cancelling' },
      CANCEL_REASONS.map((reason, i) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name, value: reason, checked: i === 0 }), reason)));
    const more = h('input', { type: 'text', id: `reason-more-${a.id}`, maxlength: 300, placeholder: 'Anything to add (optional)' });
    panel.replaceChildren(
      h('fieldset', { class: 'cancel-form' },
        h('legend', {}, 'Reason for cancelling'),
        choices,
        h('label', { for: more.id, class: 'sr-only' }, 'More about the reason'),
        more),
      h('div', { class: 'form-actions dialog-actions' },
        h('button', {
          type: 'button', class: 'btn btn-primary btn-danger-solid',
          onclick: async () => {
            const picked = choices.querySelector('input:checked')?.value || 'Other';
            const extra = more.value.trim();
            try {
              await post(`/appointments/${a.id}/cancel`, { reason: extra ? `${picked}: ${extra}` : picked });
              changed('Appointment cancelled');
            } catch (error) {
              fail(error);
            }
          },
        }, 'Cancel appointment'),
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: actions }, 'Keep appointment')));
    choices.querySelector('input')?.focus();
  }

  function reschedule() {
    message.replaceChildren();
    let chosen = null;
    const move = h('button', { type: 'button', class: 'btn btn-primary', disabled: true }, 'Move here');
    const picker = slotPicker({
      serviceId: () => a.service_id,
      clinicianId: a.clinician_id,
      date: a.start.slice(0, 10),
      onPick: (slot) => { chosen = slot; move.disabled = !slot; },
    });
    const day = h('input', { type: 'date', id: `move-day-${a.id}`, value: a.start.slice(0, 10), onchange: () => day.value && picker.load(day.value) });
    move.addEventListener('click', async () => {
      if (!chosen) return;
      try {
        await patch(`/appointments/${a.id}`, { start: chosen.start, centre_id: chosen.centre_id });
        changed(`Appointment moved to ${formatIn(chosen.start, timeZone, { weekday: 'short', day: 'numeric', month: 'short' })}, ${wallTime(chosen.start)}`);
      } catch (error) {
        fail(error);
        if (error.code === 'SLOT_TAKEN') picker.load(day.value);
      }
    });
    panel.replaceChildren(
      h('div', { class: 'field' }, h('label', { for: day.id }, 'New date'), day),
      h('div', { class: 'field' }, h('span', { class: 'label' }, 'New time'), picker.element),
      h('div', { class: 'form-actions dialog-actions' }, move, h('button', { type: 'button', class: 'btn btn-ghost', onclick: actions }, 'Back')));
    day.focus();
  }

  actions();
  get(`/appointments/${a.id}/history`).then(({ data }) => {
    historyList.replaceChildren(...data.map((item) => h('li', {},
      h('span', { class: 'history-when' }, formatIn(item.at, timeZone, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })),
      ' ', describe(item, timeZone))));
  }).catch((error) => historyList.replaceChildren(h('li', { class: 'muted' }, error.message)));
  return d;
}
