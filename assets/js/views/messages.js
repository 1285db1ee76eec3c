// The messages a patient was sent (confirmations, moves, cancellations,
// reminders) and how each delivery went.
import { get } from '../api.js';
import { h, formatInstant, sentence } from '../dom.js';

const STATUS = { queued: 'Waiting', sent: 'Sent', failed: 'Retrying', dead: 'Not delivered' };
const CHANNEL = { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp' };
const TEMPLATE = { confirmation: 'Confirmation', reschedule: 'Moved', cancellation: 'Cancellation', reminder: 'Reminder', test: 'Test' };

export function messagesCard(patient) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading messages…'));
  get(`/outbound-messages?patient_id=${patient.id}&page_size=20`).then(({ data }) => {
    body.replaceChildren(data.length
      ? h('ul', { class: 'plain-list message-list' }, data.map((m) => h('li', { class: 'row-between' },
        h('span', {}, h('span', { class: 'strong' }, TEMPLATE[m.template] || m.template), h('span', { class: 'muted small' }, ` · ${CHANNEL[m.channel]} · ${formatInstant(m.sent_at || m.created_at)}`),
          m.status !== 'sent' && m.last_error ? h('p', { class: 'small muted' }, sentence(m.last_error)) : null),
        h('span', { class: `badge message-${m.status}` }, STATUS[m.status]))))
      : h('p', { class: 'muted' }, 'No messages yet. Confirmations and reminders go by the channels the patient agreed to.'));
  }).catch((error) => body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message))));
  const prefs = patient.contact_preferences || {};
  const agreed = ['email', 'sms', 'whatsapp'].filter((k) => prefs[k]).map((k) => CHANNEL[k]);
  return h('article', { class: 'card messages-card' }, h('h2', {}, 'Messages'),
    h('p', { class: 'muted small' }, agreed.length ? `By ${agreed.join(', ')}.` : 'The patient gets no messages.'),
    body);
}
