// The page a patient opens from the link in their messages: their
// appointment, and cancelling it online until the clinic's notice. No
// sign-in; the link is the key, and the page shows nothing else.
import { get, post } from '../api.js';
import { h, ask, mount, sentence } from '../dom.js';
import { formatIn } from '../zone.js';

const STATUS = { pending: 'Booked', confirmed: 'Confirmed', checked_in: 'Checked in', completed: 'Done', cancelled: 'Cancelled', no_show: 'Missed' };

function page(...children) {
  return h('div', { class: 'auth' }, h('main', { class: 'auth-card manage-card' }, ...children));
}

export async function manageView({ params: [token] }) {
  const path = `/public/appointments/${encodeURIComponent(token)}`;
  let appointment;
  try {
    appointment = await get(path);
  } catch (error) {
    const text = error.status === 404
      ? 'This link does not open an appointment any more. It may be old, or copied incompletely. Please contact the clinic.'
      : sentence(error.message);
    return page(h('h1', {}, 'Appointment not found'), h('p', { class: 'lead' }, text));
  }
  const root = h('div', {});
  const draw = (a) => {
    const when = formatIn(a.start, a.timezone, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
    const time = `${formatIn(a.start, a.timezone, { timeStyle: 'short' })}–${formatIn(a.end, a.timezone, { timeStyle: 'short' })}`;
    const cancelled = a.status === 'cancelled';
    const message = h('div', { class: 'form-message' });
    const cancel = h('button', { class: 'btn btn-danger btn-block', type: 'button' }, a.group_session ? 'Give up my place' : 'Cancel appointment');
    cancel.addEventListener('click', async () => {
      const yes = await ask({ title: a.group_session ? 'Give up your place?' : 'Cancel this appointment?', text: `${a.service} on ${when} at ${time}.`, yes: a.group_session ? 'Give up my place' : 'Cancel it', no: 'Keep it', danger: true });
      if (!yes) return;
      cancel.disabled = true;
      try {
        draw(await post(`${path}/cancel`, {}));
      } catch (error) {
        cancel.disabled = false;
        message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
      }
    });
    const call = a.clinic_phone ? h('a', { href: `tel:${a.clinic_phone}` }, a.clinic_phone_display || a.clinic_phone) : null;
    mount(root,
      h('p', { class: 'muted manage-clinic' }, a.clinic_name),
      h('h1', {}, cancelled ? 'Your appointment is cancelled' : `Hello ${a.patient_first_name}`),
      h('dl', { class: 'dl manage-details' },
        h('dt', {}, 'What'), h('dd', {}, `${a.service} with ${a.clinician}`),
        h('dt', {}, 'When'), h('dd', {}, h('span', { class: 'strong' }, when), h('br'), time),
        h('dt', {}, 'Where'), h('dd', {}, a.video_url ? h('a', { href: a.video_url, rel: 'noopener' }, 'Video visit: join here') : [a.centre, a.address ? h('br') : null, a.address]),
        h('dt', {}, 'Status'), h('dd', {}, h('span', { class: cancelled ? 'badge badge-archived' : 'badge badge-active' }, STATUS[a.status] || a.status))),
      message,
      a.can_cancel ? [cancel, h('p', { class: 'muted small' }, `You can cancel online until ${formatIn(a.cancel_until, a.timezone)}.`)] : null,
      !a.can_cancel && !cancelled && ['pending', 'confirmed'].includes(a.status)
        ? h('p', {}, 'It is too late to cancel online. ', call ? ['Please call ', call, '.'] : 'Please call the clinic.') : null,
      cancelled ? h('p', {}, 'To book again, ', call ? ['call ', call, '.'] : 'contact the clinic.') : null,
      !cancelled && call ? h('p', { class: 'muted small' }, 'To move it, call ', call, '.') : null);
  };
  draw(appointment);
  return page(root);
}
