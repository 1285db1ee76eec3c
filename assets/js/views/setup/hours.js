// A clinician's weekly hours: one row per weekday with its blocks, "copy
// Monday to weekdays", and the one-line summary shown when collapsed.
import { get, api } from '../../api.js';
import { h, toast } from '../../dom.js';

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const byStart = (a, b) => a.start.localeCompare(b.start);

/** "Mon–Fri 09:00–17:00 · Sat 10:00–13:00", days with the same hours run together. */
export function summariseHours(rules, centres = []) {
  if (!rules.length) return 'No weekly hours yet';
  const many = new Set(rules.map((r) => r.centre_id)).size > 1;
  const nameOf = (id) => centres.find((c) => c.id === id)?.name || 'a centre';
  const perDay = WEEKDAYS.map((_, i) => rules.filter((r) => r.weekday === i + 1).sort(byStart)
    .map((r) => `${r.start}–${r.end}${many ? ` (${nameOf(r.centre_id)})` : ''}`).join(', '));
  const parts = [];
  for (let day = 0; day < 7; day += 1) {
    if (!perDay[day]) continue;
    let last = day;
    while (last + 1 < 7 && perDay[last + 1] === perDay[day]) last += 1;
    parts.push(`${last > day ? `${SHORT[day]}–${SHORT[last]}` : SHORT[day]} ${perDay[day]}`);
    day = last;
  }
  return parts.join(' · ');
}

/**
 * The editor for one clinician's weekly hours. `centres` are the centres
 * the clinician works at. `onSaved(rules)` is told the saved hours.
 */
export async function hoursEditor(clinician, centres, onSaved) {
  const { data: rules } = await get(`/clinicians/${clinician.id}/availability`);
  const message = h('div', { class: 'form-message' });
  const days = WEEKDAYS.map((name, i) => {
    const blocks = h('div', { class: 'blocks' });
    const closed = h('span', { class: 'muted closed-note' }, 'Closed');
    const sync = () => { closed.hidden = blocks.children.length > 0; };
    const add = (rule = { start: '09:00', end: '17:00', centre_id: centres[0]?.id }) => {
      blocks.append(blockRow(name, rule, centres, sync));
      sync();
    };
    const row = h('div', { class: 'day-hours', dataset: { weekday: i + 1 } },
      h('span', { class: 'day-name' }, name),
      h('div', { class: 'day-blocks' }, closed, blocks),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Add hours on ${name}`, onclick: () => add() }, '+ Hours'));
    rules.filter((r) => r.weekday === i + 1).sort(byStart).forEach(add);
    sync();
    return { row, blocks, add, sync };
  });
  const copyMonday = () => {
    const monday = [...days[0].blocks.children].map(readBlock);
    for (const day of days.slice(1, 5)) {
      day.blocks.replaceChildren();
      monday.forEach((rule) => day.add(rule));
      day.sync();
    }
    toast('Monday’s hours copied to Tuesday–Friday', 'info');
  };
  const save = async () => {
    const blocks = days.flatMap((day, i) => [...day.blocks.children].map((el) => ({ el, rule: { weekday: i + 1, ...readBlock(el) } })));
    message.replaceChildren();
    blocks.forEach(({ el }) => el.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid')));
    try {
      const saved = await api('PUT', `/clinicians/${clinician.id}/availability`, blocks.map((b) => b.rule));
      toast(`Hours saved for ${clinician.display_name}`, 'success');
      onSaved?.(saved.data);
    } catch (error) {
      const fields = Object.entries(error.details?.fields || {});
      const lines = fields.map(([key, problem]) => {
        const [, index, name] = key.match(/^\[(\d+)\]\.?(\w*)/) || [];
        const block = blocks[Number(index)];
        if (!block) return `${key} ${problem}`;
        const input = block.el.querySelector(`[name="${name}"]`) || block.el.querySelector('input');
        input?.setAttribute('aria-invalid', 'true');
        return `${WEEKDAYS[block.rule.weekday - 1]} ${block.rule.start}–${block.rule.end}: ${name === 'end' ? 'until' : name || 'hours'} ${problem}`;
      });
      message.append(h('div', { class: 'banner banner-error', role: 'alert' }, lines.length ? lines.join('; ') : error.message));
      blocks.find(({ el }) => el.querySelector('[aria-invalid]'))?.el.querySelector('[aria-invalid]')?.focus();
    }
  };
  return h('div', { class: 'hours-editor' },
    centres.length ? null : h('p', { class: 'banner banner-warning' }, 'Choose the centres this clinician works at first (Edit).'),
    days.map((d) => d.row),
    message,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: copyMonday }, 'Copy Monday to Tue–Fri'),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: save, disabled: !centres.length }, 'Save hours')));
}

function blockRow(dayName, rule, centres, changed) {
  const row = h('div', { class: 'hours-block', dataset: { from: rule.effective_from || '', until: rule.effective_until || '' } },
    h('input', { type: 'time', name: 'start', value: rule.start, step: 300, 'aria-label': `${dayName} from` }),
    h('span', { class: 'muted', 'aria-hidden': 'true' }, '–'),
    h('input', { type: 'time', name: 'end', value: rule.end === '24:00' ? '23:59' : rule.end, step: 300, 'aria-label': `${dayName} until` }),
    centres.length > 1
      ? h('select', { name: 'centre_id', 'aria-label': `${dayName} at` }, centres.map((c) => h('option', { value: c.id, selected: c.id === rule.centre_id }, c.name)))
      : h('input', { type: 'hidden', name: 'centre_id', value: rule.centre_id ?? centres[0]?.id ?? '' }),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Remove ${dayName} ${rule.start}–${rule.end}`, onclick: () => { row.remove(); changed(); } }, '✕'));
  return row;
}

function readBlock(el) {
  const value = (name) => el.querySelector(`[name="${name}"]`).value;
  const rule = { start: value('start'), end: value('end'), centre_id: Number(value('centre_id')) };
  // Dated hours (from / until) keep their dates: this editor changes the times only.
  if (el.dataset.from) rule.effective_from = el.dataset.from;
  if (el.dataset.until) rule.effective_until = el.dataset.until;
  return rule;
}
