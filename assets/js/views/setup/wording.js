// The wording of patients' messages, per event and language, for a manager:
// the built-in text until the clinic writes its own, a translation for the
// patients who read another language, and the placeholders to use.
import { get, put, del } from '../../api.js';
import { h, field, sentence, showFieldErrors, clearFieldErrors, toast, ask } from '../../dom.js';
import { languageName, languageOptions } from '../../languages.js';

const EVENTS = [
  ['confirmation', 'Booking confirmation'],
  ['reschedule', 'Appointment moved'],
  ['cancellation', 'Appointment cancelled'],
  ['reminder', 'Reminder'],
];

export function wordingSetupCard() {
  const event = h('select', {}, EVENTS.map(([value, label]) => h('option', { value }, label)));
  const language = h('select', {});
  const newLanguage = h('input', { list: 'wording-languages', autocomplete: 'off', placeholder: 'e.g. cy, pl, pt-BR', dataset: { field: 'language' } });
  const addLanguage = h('div', { class: 'grid', hidden: true }, field('New language', newLanguage, 'A language tag; patients with this language get this wording.'), languageOptions(h, 'wording-languages'));
  const subject = h('input', { dataset: { field: 'subject' }, maxlength: 200 });
  const emailBody = h('textarea', { dataset: { field: 'email_body' }, rows: 7, maxlength: 5000 });
  const textBody = h('textarea', { dataset: { field: 'text_body' }, rows: 3, maxlength: 600 });
  const state = h('p', { class: 'muted small', role: 'status' });
  const placeholders = h('p', { class: 'placeholder-list small' });
  const message = h('div', { class: 'form-message' });
  const forget = h('button', { class: 'btn btn-ghost', type: 'button', hidden: true });
  let focused = emailBody;
  for (const box of [subject, emailBody, textBody]) box.addEventListener('focus', () => { focused = box; });

  const chosenLanguage = () => (language.value === '+' ? newLanguage.value.trim() : language.value);
  const query = (tag) => (tag ? `?language=${encodeURIComponent(tag)}` : '');

  function languageChoices(translations, keep) {
    const options = [h('option', { value: '' }, 'Usual wording (everyone)'),
      ...translations.map((tag) => h('option', { value: tag }, languageName(tag))),
      h('option', { value: '+' }, 'Add a language…')];
    language.replaceChildren(...options);
    language.value = translations.includes(keep) || keep === '+' ? keep : '';
    addLanguage.hidden = language.value !== '+';
  }

  function show(t) {
    subject.value = t.subject;
    emailBody.value = t.email_body;
    textBody.value = t.text_body;
    const asked = chosenLanguage();
    const own = t.custom && (asked ? t.wording_language === t.language : !t.wording_language);
    if (!t.custom) state.textContent = asked ? `No ${languageName(asked)} wording yet: this is the built-in English. Save to add it.` : 'The built-in wording. Change it and save to use the clinic’s own.';
    else if (!own) state.textContent = t.wording_language ? `No ${languageName(asked)} wording yet: shown in ${languageName(t.wording_language)}. Save to add it.` : `No ${languageName(asked)} wording yet: this is the clinic’s usual wording. Save to add it.`;
    else state.textContent = asked ? `The clinic’s ${languageName(asked)} wording.` : 'The clinic’s own wording.';
    forget.hidden = !own;
    forget.textContent = asked ? `Remove the ${languageName(asked)} wording` : 'Go back to the built-in wording';
    placeholders.replaceChildren('Placeholders: ', ...t.placeholders.map((name) => h('button', {
      type: 'button', class: 'chip chip-button', title: 'Insert where the cursor is',
      onclick: () => insert(`{${name}}`),
    }, `{${name}}`)));
  }

  function insert(text) {
    const box = focused;
    const [start, end] = [box.selectionStart ?? box.value.length, box.selectionEnd ?? box.value.length];
    box.setRangeText(text, start, end, 'end');
    box.focus();
  }

  async function load(keep = language.value) {
    message.replaceChildren();
    clearFieldErrors(form);
    try {
      const shown = keep === '+' ? newLanguage.value.trim() : keep;
      const t = await get(`/settings/templates/${event.value}${query(shown)}`);
      languageChoices(t.translations, keep);
      show(t);
    } catch (error) {
      if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  }

  const form = h('form', { novalidate: true },
    message,
    h('div', { class: 'grid' }, field('Message', event), field('Language', language)), addLanguage,
    state,
    field('Email subject', subject),
    field('Email', emailBody),
    field('Text message (SMS, WhatsApp)', textBody, 'Keep it short: long texts go as several messages.'),
    placeholders,
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save wording'), forget));

  event.addEventListener('change', () => load());
  language.addEventListener('change', () => {
    addLanguage.hidden = language.value !== '+';
    if (language.value === '+') { newLanguage.value = ''; newLanguage.focus(); } else load();
  });
  newLanguage.addEventListener('change', () => { if (newLanguage.value.trim()) load('+'); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    message.replaceChildren();
    const tag = chosenLanguage();
    try {
      const t = await put(`/settings/templates/${event.value}${query(tag)}`, { subject: subject.value, email_body: emailBody.value, text_body: textBody.value });
      toast(tag ? `${languageName(t.language)} wording saved` : 'Wording saved', 'success');
      newLanguage.value = '';
      languageChoices(t.translations, t.language || '');
      show(t);
    } catch (error) {
      if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  });
  forget.addEventListener('click', async () => {
    const tag = chosenLanguage();
    const title = tag ? `Remove the ${languageName(tag)} wording?` : 'Go back to the built-in wording?';
    const text = tag ? 'Patients who read it get the clinic’s usual wording.' : 'The clinic’s own wording of this message is removed.';
    if (!await ask({ title, text, yes: tag ? 'Remove' : 'Use built-in', danger: true })) return;
    try {
      const t = await del(`/settings/templates/${event.value}${query(tag)}`);
      toast('Wording removed', 'success');
      languageChoices(t.translations, '');
      show(t);
    } catch (error) {
      message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
    }
  });
  load('');
  return h('section', { class: 'card', id: 'wording' }, h('h2', {}, 'Wording of messages'),
    h('p', { class: 'muted' }, 'What patients read in their confirmation, reminder and other messages. Placeholders in braces are filled in for each appointment.'),
    form);
}
