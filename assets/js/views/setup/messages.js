// When reminders go and which channels this server can send on, for a
// manager; an administrator can send a test message on each channel.
import { get, patch, post } from '../../api.js';
import { h, field, sentence, showFieldErrors, clearFieldErrors, toast } from '../../dom.js';
import { can } from '../../session.js';

export function messagesSetupCard() {
  const status = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const leads = h('input', { dataset: { field: 'reminder_hours_before' }, placeholder: '24, 2', inputmode: 'numeric' });
  const quietOn = h('input', { type: 'checkbox' });
  const quietStart = h('input', { type: 'time', value: '21:00', dataset: { field: 'quiet_hours.start' } });
  const quietEnd = h('input', { type: 'time', value: '08:00', dataset: { field: 'quiet_hours.end' } });
  const message = h('div', { class: 'form-message' });

  const channelLine = (name, on, how) => h('li', {}, h('span', { class: on ? 'badge badge-active' : 'badge badge-archived' }, on ? 'Set up' : 'Not set up'), ` ${name}`,
    on ? null : h('span', { class: 'muted small' }, ` · ${how}`));

  async function load() {
    try {
      const s = await get('/settings/notifications');
      leads.value = s.reminder_hours_before.join(', ');
      quietOn.checked = !!s.quiet_hours;
      if (s.quiet_hours) { quietStart.value = s.quiet_hours.start; quietEnd.value = s.quiet_hours.end; }
      status.replaceChildren(h('ul', { class: 'plain-list channel-list', 'aria-label': 'Channels' },
        channelLine('Email', s.channels.email, 'set smtp_url and smtp_from in clinicbox.toml'),
        channelLine('SMS and WhatsApp', s.channels.sms, 'set sms_webhook_url and sms_webhook_secret')),
      s.channels.email || s.channels.sms ? null : h('p', { class: 'muted small' }, 'Until a channel is set up, staff still see bookings and alerts in the app; patients get no messages.'));
    } catch (error) {
      status.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  const form = h('form', { novalidate: true },
    h('h3', {}, 'Reminders'), message,
    h('div', { class: 'grid' }, field('Hours before the appointment', leads, 'Separated by commas; leave empty for no reminders.')),
    h('label', { class: 'check' }, quietOn, ' No messages in quiet hours'),
    h('div', { class: 'grid' }, field('Quiet from', quietStart), field('Quiet until', quietEnd)),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save reminders')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    message.replaceChildren();
    const hours = leads.value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    if (hours.some((n) => !Number.isInteger(n))) {
      message.append(h('div', { class: 'banner banner-error', role: 'alert' }, 'Write whole hours, e.g. 24, 2.'));
      leads.focus();
      return;
    }
    try {
      await patch('/settings/notifications', { reminder_hours_before: hours, quiet_hours: quietOn.checked ? { start: quietStart.value, end: quietEnd.value } : null });
      toast('Reminders saved', 'success');
      load();
    } catch (error) {
      if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  });

  let tester = null;
  if (can('staff_manage')) {
    const channel = h('select', { dataset: { field: 'channel' } }, h('option', { value: 'email' }, 'Email'), h('option', { value: 'sms' }, 'SMS'), h('option', { value: 'whatsapp' }, 'WhatsApp'));
    const to = h('input', { dataset: { field: 'to' }, placeholder: 'you@clinic.example or 07700 900123' });
    const outcome = h('div', { role: 'status' });
    tester = h('form', { novalidate: true }, h('h3', {}, 'Send a test'),
      h('div', { class: 'grid' }, field('Channel', channel), field('To', to)), outcome,
      h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-ghost', type: 'submit' }, 'Send test')));
    tester.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(tester);
      outcome.replaceChildren();
      try {
        const r = await post('/admin/notifications/test', { channel: channel.value, to: to.value });
        outcome.replaceChildren(h('div', { class: r.delivered ? 'banner banner-success' : 'banner banner-error' },
          r.delivered ? `Delivered to ${r.to}.` : `Not delivered: ${sentence(r.error)}`));
      } catch (error) {
        if (!showFieldErrors(tester, error)) outcome.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
      }
    });
  }
  load();
  return h('section', { class: 'card', id: 'messages' }, h('h2', {}, 'Messages to patients'), status, form, tester);
}
